fn main() {
    std::process::exit(avdeploy::run());
}
