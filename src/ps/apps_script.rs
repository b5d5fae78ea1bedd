//! The `apps:` phases: parallel downloads (then download steps) as throttled jobs, and installs
//! strictly one at a time.

use super::quote::{literal, one_line, quote_line};
use super::spec::{AppItem, AppsSpec, DEFAULT_SUCCESS_CODES, InstallKind, MAX_TIMEOUT_SECS};
use super::writer::{Phase, ScriptWriter, string_array};

/// How many items download a file from a URL.
pub(crate) fn download_count(apps: &AppsSpec) -> usize {
    apps.items.iter().filter(|item| item.url.is_some()).count()
}

/// How many items run a download step.
pub(crate) fn step_count(apps: &AppsSpec) -> usize {
    apps.items
        .iter()
        .filter(|item| item.download_step.is_some())
        .count()
}

/// How many items are installed or checked.
pub(crate) fn install_count(apps: &AppsSpec) -> usize {
    apps.items.iter().filter(|item| item.has_install()).count()
}

/// `file` made absolute: kept when it is (`C:\...`, `\\server\...`, `/...`), else joined to `dir`.
pub(crate) fn resolve(dir: &str, file: &str) -> String {
    let bytes = file.as_bytes();
    let drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/');
    if drive || file.starts_with('\\') || file.starts_with('/') {
        file.to_owned()
    } else {
        format!("{}\\{file}", dir.trim_end_matches(['\\', '/']))
    }
}

/// Phase 1: every URL download as a job under the throttle, then every download step likewise.
pub(crate) fn write_downloads(w: &mut ScriptWriter, apps: &AppsSpec, phase: Phase) {
    let downloads = download_count(apps);
    let steps = step_count(apps);
    let work = if steps == 0 {
        format!("{downloads} file(s)")
    } else {
        format!("{downloads} file(s), then {steps} download step(s),")
    };
    w.say(&format!(
        "[PROGRESS] {phase}: downloading {work} to {}",
        apps.download_dir
    ));
    w.line(&format!(
        "[void][System.IO.Directory]::CreateDirectory({})",
        literal(&apps.download_dir)
    ));
    if downloads > 0 {
        for item in apps.items.iter().filter(|item| item.url.is_some()) {
            write_download_job(w, apps, item);
        }
        w.say(&format!(
            "[INFO] Waiting for {downloads} download(s) to complete..."
        ));
        w.line("Wait-AvdJobs");
    }
    if steps > 0 {
        w.say(&format!("[INFO] Running {steps} download step(s)"));
        for item in &apps.items {
            write_step_job(w, apps, item);
        }
        w.say(&format!(
            "[INFO] Waiting for {steps} download step(s) to complete..."
        ));
        w.line("Wait-AvdJobs");
    }
    w.say(&format!("[SUCCESS] {phase}: downloads complete"));
    w.line("");
}

fn write_download_job(w: &mut ScriptWriter, apps: &AppsSpec, item: &AppItem) {
    let Some(url) = &item.url else { return };
    let arguments = [
        literal(url),
        literal(&resolve(&apps.download_dir, &item.file)),
        literal(item.sha256.as_deref().unwrap_or_default()),
        item.size.unwrap_or(0).to_string(),
    ];
    w.start_job(
        &item.name,
        "AvdDownloadJob",
        item.timeout_secs,
        &arguments,
        None,
    );
}

fn write_step_job(w: &mut ScriptWriter, apps: &AppsSpec, item: &AppItem) {
    let Some(step) = &item.download_step else {
        return;
    };
    let arguments = [
        literal(&resolve(&apps.download_dir, &step.command)),
        literal(&step.args),
        literal(&apps.download_dir),
    ];
    w.start_job(
        &item.name,
        "AvdToolJob",
        item.timeout_secs,
        &arguments,
        None,
    );
}

/// Phase 2: each item installed (or only checked) in order, then the pending-reboot value (printed
/// with the other outputs at the end).
pub(crate) fn write_installs(w: &mut ScriptWriter, apps: &AppsSpec, phase: Phase) {
    let total = install_count(apps);
    w.say(&format!(
        "[PROGRESS] {phase}: installing {total} app(s), one at a time"
    ));
    let installs = apps.items.iter().filter(|item| item.has_install());
    for (index, item) in installs.enumerate() {
        write_install(w, apps, item, index + 1, total);
    }
    w.line("Set-AvdRebootOutput");
    w.say(&format!("[SUCCESS] {phase}: {total} app(s) installed"));
    w.line("");
}

fn write_install(
    w: &mut ScriptWriter,
    apps: &AppsSpec,
    item: &AppItem,
    number: usize,
    total: usize,
) {
    let (kind, doing, done) = match item.install.kind {
        InstallKind::Exe => ("exe", "Installing", "Installed"),
        InstallKind::Msi => ("msi", "Installing", "Installed"),
        InstallKind::None => ("none", "Checking", "Checked"),
    };
    let name = one_line(&item.name);
    let codes = if item.install.success_codes.is_empty() {
        DEFAULT_SUCCESS_CODES.to_vec()
    } else {
        item.install.success_codes.clone()
    };
    let codes: Vec<String> = codes.iter().map(ToString::to_string).collect();
    w.say(&format!("[INFO] {doing} {name} ({number}/{total})"));
    w.line(&format!(
        "Install-AvdApp -Name {} -Kind '{kind}' -Path {} -Arguments {} -SuccessCodes @({}) -Verify {} -TimeoutSeconds {}",
        quote_line(&name),
        literal(&resolve(&apps.download_dir, &item.file)),
        literal(&item.install.args),
        codes.join(", "),
        string_array(&item.install.verify),
        item.timeout_secs.min(MAX_TIMEOUT_SECS),
    ));
    w.say(&format!("[SUCCESS] {done} {name}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_keeps_absolute_paths() {
        assert_eq!(resolve(r"C:\Temp\x\", "a.msi"), r"C:\Temp\x\a.msi");
        assert_eq!(resolve(r"C:\Temp", r"D:\b.exe"), r"D:\b.exe");
        assert_eq!(
            resolve(r"C:\Temp", r"\\srv\share\c.msi"),
            r"\\srv\share\c.msi"
        );
        assert_eq!(resolve(r"C:\Temp", r"sub\d.exe"), r"C:\Temp\sub\d.exe");
    }
}
