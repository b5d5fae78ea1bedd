//! Building a script line by line, with top-level marker lines whose text is fixed at generation
//! time (so the simulator, which echoes only literal top-level `Write-Host`, sees them too).

use super::quote::{literal, quote_line};

/// A script under construction.
#[derive(Debug, Default)]
pub(crate) struct ScriptWriter {
    text: String,
}

impl ScriptWriter {
    /// Appends one line of code.
    pub(crate) fn line(&mut self, code: &str) {
        self.text.push_str(code);
        self.text.push('\n');
    }

    /// Appends a chunk of fixed code that ends with a newline, then a blank line.
    pub(crate) fn chunk(&mut self, code: &str) {
        self.text.push_str(code);
        self.text.push('\n');
    }

    /// Appends a top-level `Write-Host` of one line of text (control characters become spaces).
    pub(crate) fn say(&mut self, text: &str) {
        self.line(&format!("Write-Host {}", quote_line(text)));
    }

    /// Appends a `Start-AvdJob` call for a job named `name` running `body` with `arguments`
    /// (already PowerShell expressions), whose output goes to `log_file` on the VM, if any.
    pub(crate) fn start_job(
        &mut self,
        name: &str,
        body: &str,
        timeout_secs: u64,
        arguments: &[String],
        log_file: Option<&str>,
    ) {
        let timeout = timeout_secs.min(i32::MAX as u64);
        let log = log_file.map_or_else(String::new, |file| format!(" -LogFile {}", literal(file)));
        self.line(&format!(
            "Start-AvdJob -Name {} -Body ${body} -TimeoutSeconds {timeout}{log} -Arguments @({})",
            quote_line(name),
            arguments.join(", ")
        ));
    }

    /// The finished script.
    pub(crate) fn finish(self) -> String {
        self.text
    }
}

/// `items` as a PowerShell array expression of quoted strings: `@('a', 'b')`.
pub(crate) fn string_array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| literal(item)).collect();
    format!("@({})", quoted.join(", "))
}

/// "Phase k/n" for the k-th (1-based) of n phases.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Phase {
    /// 1-based number of this phase.
    pub(crate) number: usize,
    /// How many phases the script has.
    pub(crate) total: usize,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phase {}/{}", self.number, self.total)
    }
}
