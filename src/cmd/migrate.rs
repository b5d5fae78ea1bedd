//! `avdeploy migrate [DIR] [--dry-run]`: rewrites a bash-engine folder in place after a backup
//! (or prints the unified diff), then lists what changed and what to review by hand.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::base::layout::Layout;
use crate::cli::{GlobalArgs, MigrateArgs};
use crate::error::Error;
use crate::exit_code;
use crate::load::deployment::{self, Loaded};
use crate::migrate::diff;
use crate::migrate::migration::{self, Migration};
use crate::validate::render;

/// Runs `migrate` and returns the exit code.
pub(crate) fn run(global: &GlobalArgs, args: &MigrateArgs) -> Result<i32, Error> {
    let root = args.dir.as_deref().unwrap_or(&global.dir);
    let env = |name: &str| std::env::var(name).ok();
    let Loaded {
        deployment,
        diagnostics,
    } = deployment::load(root, &global.config, &env)?;
    // Only what stops the files from being read is refused: what validate would say of a
    // bash-engine folder is what migrate is for.
    let errors: Vec<_> = diagnostics
        .into_sorted()
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    if !errors.is_empty() {
        let color = global.stderr_painter().enabled();
        eprint!("{}", render::human(&deployment.sources, &errors, color));
        return Err(Error::Invalid {
            count: errors.len(),
        });
    }
    let plan = migration::plan(&deployment);
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        for (path, file) in &plan.files {
            write!(
                out,
                "{}",
                diff::unified(&path.display().to_string(), &file.original, &file.apply())
            )?;
        }
    } else if !plan.changes.is_empty() {
        let backup = write_back(&deployment.layout, &plan)?;
        writeln!(
            out,
            "backup of the {} before: {}",
            crate::base::text::plural(plan.files.len(), "file"),
            backup.display()
        )?;
    }
    report(&mut out, &plan, args.dry_run)?;
    Ok(exit_code::SUCCESS)
}

/// Copies every file about to change into a new backup folder, then writes the new texts
/// (each atomically); returns the backup folder, relative to the deployment folder.
fn write_back(layout: &Layout, plan: &Migration) -> Result<PathBuf, Error> {
    let root = layout.root();
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
    let mut backup = layout.migrate_backup(&stamp);
    let mut counter = 1;
    while backup.exists() {
        counter += 1;
        backup = layout.migrate_backup(&format!("{stamp}-{counter}"));
    }
    for (path, file) in &plan.files {
        write(&backup.join(strip_root(root, path)), &file.original)?;
    }
    for (path, file) in &plan.files {
        write(&root.join(path), &file.apply())?;
    }
    Ok(strip_root(root, &backup).to_path_buf())
}

/// `path` relative to `root` (an absolute `--config` inside the folder included).
fn strip_root<'p>(root: &Path, path: &'p Path) -> &'p Path {
    let stripped = path.strip_prefix(root).unwrap_or(path);
    stripped.strip_prefix("/").unwrap_or(stripped)
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    let failed = |source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    crate::atomic_file::write(path, text.as_bytes()).map_err(failed)
}

fn report(out: &mut impl Write, plan: &Migration, dry_run: bool) -> Result<(), Error> {
    if plan.changes.is_empty() {
        writeln!(out, "nothing to change: the folder is migrated")?;
    } else {
        let verb = if dry_run { "would change" } else { "changed" };
        writeln!(
            out,
            "{verb} ({}):",
            crate::base::text::plural(plan.changes.len(), "edit")
        )?;
        for change in &plan.changes {
            writeln!(
                out,
                "  {}:{}: {}",
                change.file.display(),
                change.line,
                change.what
            )?;
        }
    }
    if plan.findings.is_empty() {
        writeln!(out, "nothing to review by hand")?;
        return Ok(());
    }
    writeln!(
        out,
        "to review by hand ({}):",
        crate::base::text::plural(plan.findings.len(), "finding")
    )?;
    for finding in &plan.findings {
        writeln!(
            out,
            "  {}:{}:{}: {}\n    help: {}",
            finding.file.display(),
            finding.line,
            finding.col,
            finding.message,
            finding.help
        )?;
    }
    Ok(())
}
