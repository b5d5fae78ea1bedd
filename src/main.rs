//! The `avdeploy` command: everything happens in the library's [`avdeploy::run`].

fn main() {
    std::process::exit(avdeploy::run());
}
