//! `avdeploy init`: write a working deployment folder from a built-in example.

use std::path::Path;

use crate::cli::InitArgs;
use crate::error::Error;
use crate::examples::{EXAMPLES, Example};

/// Runs `init`.
pub(crate) fn run(args: &InitArgs) -> Result<i32, Error> {
    if args.list_examples {
        print!("{}", listing());
        return Ok(crate::exit_code::SUCCESS);
    }
    let example = crate::examples::example(&args.example).ok_or_else(|| Error::Usage {
        message: format!(
            "there is no example `{}`; the built-in examples are: {}",
            args.example,
            EXAMPLES
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    let Some(dir) = args.dir.as_deref() else {
        return Err(Error::Usage {
            message: "init needs the folder to write into".to_owned(),
        });
    };
    write(example, dir)?;
    println!(
        "Wrote the {name} example to {dir} ({count} files). Next:\n  avdeploy -C {dir} validate\n  avdeploy -C {dir} plan all\n  avdeploy -C {dir} run all --simulate",
        name = example.name,
        dir = dir.display(),
        count = example.files.len()
    );
    Ok(crate::exit_code::SUCCESS)
}

/// The examples, one a line: name and summary.
fn listing() -> String {
    let width = EXAMPLES.iter().map(|e| e.name.len()).max().unwrap_or(0);
    EXAMPLES
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let default = if i == 0 { " (default)" } else { "" };
            format!("{:width$}  {}{default}\n", e.name, e.summary)
        })
        .collect()
}

/// Writes every file of `example` under `dir`, which must be new or empty.
fn write(example: &Example, dir: &Path) -> Result<(), Error> {
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        return Err(Error::Usage {
            message: format!(
                "`{}` is not empty: init writes into a new or empty folder",
                dir.display()
            ),
        });
    }
    for file in example.files {
        let path = dir.join(file.path);
        crate::atomic_file::write(&path, file.text.as_bytes()).map_err(|source| Error::Io {
            action: "write",
            path,
            source,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_names_every_example_and_marks_the_default() {
        let text = listing();
        assert_eq!(text.lines().count(), EXAMPLES.len());
        assert!(text.lines().next().unwrap().starts_with("avd "));
        assert!(text.lines().next().unwrap().ends_with("(default)"));
        assert!(text.contains("quickstart"));
    }
}
