//! The exit sentinel: `az vm run-command invoke` reports no exit code, so every script the engine
//! sends is wrapped to run in a child PowerShell and print its exit code as the last line, its
//! `[OUTPUT]` lines just before.

/// The text before the exit code on the wrapper's last output line.
pub const PREFIX: &str = "AVDEPLOY_EXIT_CODE=";

const BODY_START: &str = "$avdBody = @'\n";
const BODY_END: &str = "\n'@\n";

/// Why a script cannot be wrapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WrapError {
    /// A line starting with `'@` would end the single-quoted here-string early.
    #[error("line {line} starts with `'@`, which would end the wrapper's here-string")]
    HereStringTerminator {
        /// 1-based line number within the script.
        line: usize,
    },
}

/// Wraps `script` so that its exit code, whatever way it ends (`exit N`, `throw`, success), is
/// printed as the last output line: `AVDEPLOY_EXIT_CODE=<n>`, and every `[OUTPUT]` line it printed
/// comes just before it (run command returns only the last 4 KB of output).
///
/// The script is embedded verbatim in a single-quoted here-string, so nothing in it is expanded by
/// the wrapper, then written to a temporary file and run with `powershell.exe -File`.
pub fn wrap(script: &str) -> Result<String, WrapError> {
    if let Some(index) = script.lines().position(|line| line.starts_with("'@")) {
        return Err(WrapError::HereStringTerminator { line: index + 1 });
    }
    let body = script.trim_end_matches(['\r', '\n']);
    Ok(format!(
        "# Wrapped by avdeploy: runs the operation's script in a child PowerShell and reports its\n\
         # exit code on the last line, because run-command itself reports none.\n\
         $ErrorActionPreference = 'Continue'\n\
         $avdFile = Join-Path $env:TEMP ('avdeploy-' + [guid]::NewGuid().ToString() + '.ps1')\n\
         {BODY_START}{body}{BODY_END}\
         $avdCode = 1\n\
         $avdOutputs = New-Object System.Collections.ArrayList\n\
         try {{\n\
         \x20   Set-Content -LiteralPath $avdFile -Value $avdBody -Encoding UTF8\n\
         \x20   & powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $avdFile | ForEach-Object {{\n\
         \x20       if ($_ -cmatch '^\\[OUTPUT\\] ') {{ [void]$avdOutputs.Add($_) }} else {{ $_ }}\n\
         \x20   }}\n\
         \x20   $avdCode = $LASTEXITCODE\n\
         }} catch {{\n\
         \x20   Write-Output ('[ERROR] ' + $_.Exception.Message)\n\
         }} finally {{\n\
         \x20   Remove-Item -LiteralPath $avdFile -Force -ErrorAction SilentlyContinue\n\
         }}\n\
         foreach ($avdLine in $avdOutputs) {{ Write-Output $avdLine }}\n\
         if ($null -eq $avdCode) {{ $avdCode = 0 }}\n\
         Write-Output ('{PREFIX}' + $avdCode)\n\
         exit $avdCode\n"
    ))
}

/// The operation's own script inside a wrapped one, if `wrapped` came from [`wrap`].
pub fn unwrap(wrapped: &str) -> Option<&str> {
    let start = wrapped.find(BODY_START)? + BODY_START.len();
    let len = wrapped[start..].find(BODY_END)?;
    Some(&wrapped[start..start + len])
}

/// The sentinel line the wrapper prints for `code`.
pub fn line(code: i32) -> String {
    format!("{PREFIX}{code}")
}

/// The exit code reported by the last non-empty line of `stdout`, if that line is a sentinel.
pub fn parse(stdout: &str) -> Option<i32> {
    let last = stdout.lines().rev().find(|line| !line.trim().is_empty())?;
    last.trim().strip_prefix(PREFIX)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_then_unwrap_returns_the_script() {
        let script = "Write-Host '[INFO] hi'\r\nexit 3\n";
        let wrapped = wrap(script).unwrap();
        assert_eq!(unwrap(&wrapped), Some("Write-Host '[INFO] hi'\r\nexit 3"));
        assert!(wrapped.trim_end().ends_with("exit $avdCode"));
    }

    #[test]
    fn wrap_refuses_a_here_string_terminator() {
        let err = wrap("Write-Host 'a'\n'@\n").unwrap_err();
        assert_eq!(err, WrapError::HereStringTerminator { line: 2 });
    }

    #[test]
    fn parse_reads_only_the_last_line() {
        assert_eq!(parse(&format!("a\n{}\n\n", line(0))), Some(0));
        assert_eq!(parse(&format!("{}\nmore\n", line(0))), None);
        assert_eq!(parse(&line(-1)), Some(-1));
        assert_eq!(parse(""), None);
    }
}
