//! `avdeploy init`: write a working deployment folder from the built-in catalog.

use crate::catalog::QUICKSTART;
use crate::cli::InitArgs;
use crate::error::Error;

/// Runs `init`.
pub fn run(args: &InitArgs) -> Result<i32, Error> {
    let dir = &args.dir;
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        return Err(Error::Usage {
            message: format!(
                "`{}` is not empty: init writes into a new or empty folder",
                dir.display()
            ),
        });
    }
    for file in QUICKSTART {
        let path = dir.join(file.path);
        crate::atomic_file::write(&path, file.text.as_bytes()).map_err(|source| Error::Io {
            action: "write",
            path,
            source,
        })?;
    }
    println!(
        "Wrote a deployment to {dir} ({count} files). Next:\n  avdeploy -C {dir} validate\n  avdeploy -C {dir} plan all\n  avdeploy -C {dir} run all --simulate",
        dir = dir.display(),
        count = QUICKSTART.len()
    );
    Ok(crate::exit_code::SUCCESS)
}
