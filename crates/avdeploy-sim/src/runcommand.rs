//! `az vm run-command invoke`: one script at a time per VM (overlaps get the Conflict error), the
//! script simulated rather than run (its top-level literal output echoed, `exit`/`throw` obeyed),
//! StdOut cut to its last 4,096 bytes, and the engine's exit sentinel honoured.

use serde_json::{Value, json};

use crate::call::{Call, Exclusive, Outcome};
use crate::catalog::{RUN_COMMAND_DEFAULT_SECONDS, by_path};
use crate::failure::AzFailure;
use crate::resource::Address;
use avdeploy_wire::sentinel;

/// Azure returns only this many trailing bytes of a script's output.
pub const OUTPUT_LIMIT: usize = 4096;

/// What a simulated script produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScriptRun {
    /// Echoed output lines.
    pub stdout: Vec<String>,
    /// Error text (a top-level `throw`).
    pub stderr: String,
    /// The script's exit code.
    pub code: i32,
}

/// The busy key of a VM's run-command slot.
pub fn vm_key(address: &Address) -> String {
    format!("vm:{}/{}", address.rg, address.name()).to_lowercase()
}

/// Answers `az vm run-command invoke`; `forced_exit` is a fault's exit code for the script.
pub fn invoke(call: &mut Call) -> Outcome {
    invoke_with(call, None)
}

/// [`invoke`] with an optional forced script exit code.
pub fn invoke_with(call: &mut Call, forced_exit: Option<i32>) -> Outcome {
    let family = by_path("vm").ok_or_else(|| AzFailure::usage("vm is not simulated"))?;
    let address = Address::from_args(family, &call.args)?;
    let command_id = call.args.require("--command-id")?.to_owned();
    let script = read_scripts(call.args.values("--scripts"), "--scripts")?;
    call.existing(&address)?;
    let seconds = call
        .settings
        .expected_seconds
        .unwrap_or(RUN_COMMAND_DEFAULT_SECONDS);
    let exclusive = Some(Exclusive::RunCommand(vm_key(&address)));
    call.write(seconds, exclusive, |_| {
        let (stdout, stderr) = run_script(&script, forced_exit);
        Ok(response(&command_id, &stdout, &stderr))
    })
}

/// The script of `--scripts`/`--script` (`flag`): `@path` values read from files, inline values
/// joined with newlines.
pub fn read_scripts(values: &[String], flag: &str) -> Result<String, AzFailure> {
    let mut parts = Vec::new();
    for value in values {
        match value.strip_prefix('@') {
            Some(path) => parts.push(std::fs::read_to_string(path).map_err(|e| {
                AzFailure::usage(&format!("argument {flag}: cannot read '{path}': {e}"))
            })?),
            None => parts.push(value.clone()),
        }
    }
    Ok(parts.join("\n"))
}

/// StdOut and StdErr of `script` as the VM would return them, sentinel included when wrapped.
pub fn run_script(script: &str, forced_exit: Option<i32>) -> (String, String) {
    let run = script_run(script, forced_exit);
    let mut stdout = run.stdout.join("\n");
    if !stdout.is_empty() {
        stdout.push('\n');
    }
    (tail(&stdout, OUTPUT_LIMIT).to_owned(), run.stderr)
}

/// What `script` produces on the simulated VM, sentinel line included when it is wrapped;
/// `forced_exit` (a fault) replaces its exit code.
pub fn script_run(script: &str, forced_exit: Option<i32>) -> ScriptRun {
    let wrapped = sentinel::unwrap(script);
    let mut run = simulate(wrapped.unwrap_or(script));
    if let Some(code) = forced_exit {
        run.code = code;
        if wrapped.is_none() {
            run.stderr.push_str(&format!(
                "simulated failure: the script exited with code {code}\n"
            ));
        }
    }
    if wrapped.is_some() {
        run.stdout.push(sentinel::line(run.code));
    }
    run
}

fn response(command_id: &str, stdout: &str, stderr: &str) -> Value {
    if command_id.eq_ignore_ascii_case("RunShellScript") {
        let message = format!("Enable succeeded: \n[stdout]\n{stdout}\n[stderr]\n{stderr}");
        return json!({ "value": [item("ProvisioningState/succeeded", &message)] });
    }
    json!({ "value": [
        item("ComponentStatus/StdOut/succeeded", stdout),
        item("ComponentStatus/StdErr/succeeded", stderr),
    ]})
}

fn item(code: &str, message: &str) -> Value {
    json!({ "code": code, "displayStatus": "Provisioning succeeded", "level": "Info",
            "message": message, "time": null })
}

/// The last `limit` bytes of `text`, starting on a character boundary.
pub fn tail(text: &str, limit: usize) -> &str {
    let mut start = text.len().saturating_sub(limit);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Simulates a script: top-level (brace depth 0) `Write-Host`/`Write-Output`/`echo` of a literal
/// string are echoed in order; a top-level `exit N` stops with N; a top-level `throw '…'` stops
/// with 1 and the message on StdErr. Nothing else runs.
pub fn simulate(script: &str) -> ScriptRun {
    let mut run = ScriptRun::default();
    let mut depth: i64 = 0;
    let mut here_string: Option<&str> = None;
    let mut block_comment = false;
    for raw in script.lines() {
        let line = raw.trim();
        if let Some(end) = here_string {
            if line.starts_with(end) {
                here_string = None;
            }
            continue;
        }
        if block_comment || line.starts_with("<#") {
            block_comment = !line.contains("#>");
            continue;
        }
        if depth == 0
            && let Some(stop) = top_level(line, &mut run)
        {
            run.code = stop;
            return run;
        }
        depth += brace_delta(line);
        if line.ends_with("@'") {
            here_string = Some("'@");
        } else if line.ends_with("@\"") {
            here_string = Some("\"@");
        }
    }
    run
}

/// Handles one top-level line; `Some(code)` when the script stops.
fn top_level(line: &str, run: &mut ScriptRun) -> Option<i32> {
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    match command.to_ascii_lowercase().as_str() {
        "write-host" | "write-output" | "echo" => {
            if let Some(text) = literal(rest) {
                run.stdout.push(text);
            }
            None
        }
        "exit" => Some(
            rest.trim_end_matches(';')
                .trim()
                .parse()
                .unwrap_or(if rest.is_empty() { 0 } else { 1 }),
        ),
        "throw" => {
            let message = literal(rest).unwrap_or_else(|| "ScriptHalted".to_owned());
            run.stderr.push_str(&format!("{message}\n"));
            Some(1)
        }
        _ => None,
    }
}

/// The value of a leading literal string: `'…'` (with `''` escapes) or `"…"` without `$`.
fn literal(text: &str) -> Option<String> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &text[1..];
    let mut value = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote {
            if chars.peek() == Some(&quote) {
                value.push(quote);
                chars.next();
                continue;
            }
            return (quote == '\'' || !value.contains('$')).then_some(value);
        }
        value.push(c);
    }
    None
}

/// Opening minus closing braces outside quoted strings and comments.
fn brace_delta(line: &str) -> i64 {
    let mut delta = 0;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') => break,
            (None, '{') => delta += 1,
            (None, '}') => delta -= 1,
            _ => {}
        }
    }
    delta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_top_level_literals_only() {
        let script = "\
Write-Host '[START] go'
function Fail { Write-Host 'never'
  exit 9 }
if ($x) {
    Write-Output \"[ERROR] branch\"
    exit 1
}
Write-Output \"[INFO] it''s $name\"
echo \"[SUCCESS] done\"
exit 0
Write-Host 'after'";
        let run = simulate(script);
        assert_eq!(run.stdout, ["[START] go", "[SUCCESS] done"]);
        assert_eq!(run.code, 0);
    }

    #[test]
    fn throw_and_exit_stop_the_script() {
        let run = simulate("Write-Host 'a'\nthrow 'boom'\nWrite-Host 'b'");
        assert_eq!(
            (run.stdout.len(), run.code, run.stderr.as_str()),
            (1, 1, "boom\n")
        );
        assert_eq!(simulate("exit 3010").code, 3010);
        assert_eq!(simulate("Write-Host 'x'").code, 0);
    }

    #[test]
    fn wrapped_scripts_end_with_the_sentinel() {
        let wrapped = sentinel::wrap("Write-Host '[INFO] hi'\nexit 4\n").unwrap();
        let (stdout, _) = run_script(&wrapped, None);
        assert_eq!(stdout, "[INFO] hi\nAVDEPLOY_EXIT_CODE=4\n");
        assert_eq!(sentinel::parse(&stdout), Some(4));
        let (stdout, _) = run_script(&wrapped, Some(7));
        assert_eq!(sentinel::parse(&stdout), Some(7));
        let (plain, _) = run_script("Write-Host 'x'", None);
        assert_eq!(plain, "x\n");
    }

    #[test]
    fn output_is_cut_to_the_last_4096_bytes() {
        let script: String = (0..2000)
            .map(|i| format!("Write-Host 'line {i}'\n"))
            .collect();
        let wrapped = sentinel::wrap(&script).unwrap();
        let (stdout, _) = run_script(&wrapped, None);
        assert_eq!(stdout.len(), OUTPUT_LIMIT);
        assert!(stdout.ends_with("line 1999\nAVDEPLOY_EXIT_CODE=0\n"));
        assert_eq!(tail("héllo", 4), "llo");
    }

    #[test]
    fn here_strings_are_skipped() {
        let run = simulate("$a = @'\n{\nWrite-Host 'in'\n'@\nWrite-Host 'out'");
        assert_eq!(run.stdout, ["out"]);
    }
}
