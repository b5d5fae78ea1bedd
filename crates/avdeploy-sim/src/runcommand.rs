//! `az vm run-command invoke`: one script at a time per VM (overlaps get the Conflict error), the
//! script walked rather than run (see [`crate::ps_walk`]: what it prints where the text is
//! known, through functions, branches, `try` and loops; `exit`/`throw` obeyed), StdOut cut to its
//! last 4,096 bytes, and the engine's exit sentinel honoured.

use serde_json::{Value, json};

use crate::call::{Call, Exclusive, Outcome};
use crate::catalog::{RUN_COMMAND_DEFAULT_SECONDS, by_path};
use crate::failure::AzFailure;
use crate::ps_walk::{Walked, walk};
use crate::resource::Address;
use crate::script_effects;
use avdeploy_wire::sentinel;

/// Azure returns only this many trailing bytes of a script's output.
pub const OUTPUT_LIMIT: usize = 4096;

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
    call.write(seconds, exclusive, |call| {
        let run = script_run(&script, forced_exit);
        script_effects::apply(call, &address, &run)?;
        crate::guest::after_script(call, &address, &script)?;
        let (stdout, stderr) = transcript(run);
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
    transcript(script_run(script, forced_exit))
}

/// StdOut (cut to its last 4,096 bytes) and StdErr of a walked script.
pub fn transcript(run: Walked) -> (String, String) {
    let mut stdout = run.stdout.join("\n");
    if !stdout.is_empty() {
        stdout.push('\n');
    }
    (tail(&stdout, OUTPUT_LIMIT).to_owned(), run.stderr)
}

/// What `script` produces on the simulated VM, sentinel line included when it is wrapped (the
/// wrapper's `[OUTPUT]` lines just before it, as the wrapper prints them); `forced_exit` (a fault)
/// replaces its exit code.
pub fn script_run(script: &str, forced_exit: Option<i32>) -> Walked {
    let wrapped = sentinel::unwrap(script);
    let mut run = walk(wrapped.unwrap_or(script));
    if let Some(code) = forced_exit {
        run.code = code;
        if wrapped.is_none() {
            run.stderr.push_str(&format!(
                "simulated failure: the script exited with code {code}\n"
            ));
        }
    }
    if wrapped.is_some() {
        let (outputs, others): (Vec<String>, Vec<String>) = std::mem::take(&mut run.stdout)
            .into_iter()
            .partition(|line| line.starts_with("[OUTPUT] "));
        run.stdout = others;
        run.stdout.extend(outputs);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ps_walk::StartedProcess;

    #[test]
    fn reaches_output_inside_functions_branches_try_and_loops() {
        let script = "\
function Write-Reboot {
    param([bool]$Required)
    if ($Required) { Write-Host '[OUTPUT] REBOOT_REQUIRED=true' } else { Write-Host '[OUTPUT] REBOOT_REQUIRED=false' }
}
Write-Host '[START] go'
$names = @('chrome', 'reader')
try {
    foreach ($name in $names) { Write-Host ('[INFO] installing ' + $name) }
    if (Test-Path 'C:\\x') { Write-Output \"[ERROR] unknown branch\"; exit 1 }
} finally {
    Write-Host '[INFO] cleaned up'
}
Write-Reboot -Required $false
Write-Output \"[INFO] it's $name\"
echo \"[SUCCESS] done\"
exit 0
Write-Host 'after'";
        let run = walk(script);
        assert_eq!(
            run.stdout,
            [
                "[START] go",
                "[INFO] installing chrome",
                "[INFO] installing reader",
                "[INFO] cleaned up",
                "[OUTPUT] REBOOT_REQUIRED=false",
                "[INFO] it's reader",
                "[SUCCESS] done"
            ]
        );
        assert_eq!(run.code, 0);
    }

    #[test]
    fn records_the_processes_a_script_starts() {
        let script = "\
$token = 'tok-123'
function Install-Msi([string]$Name, [string]$Properties) {
    $file = Join-Path 'C:\\Temp' \"$Name.msi\"
    $process = Start-Process -FilePath 'msiexec.exe' -ArgumentList \"/i `\"$file`\" /quiet $Properties\" -PassThru
    if (-not $process.WaitForExit(900000)) { throw 'timed out' }
}
if (Get-Service -Name 'RDAgentBootLoader' -ErrorAction SilentlyContinue) {
    Write-Output '[INFO] already installed'
} else {
    Install-Msi -Name 'RDAgent' -Properties \"REGISTRATIONTOKEN=$token\"
}
& 'C:\\Temp\\setup.exe' /configure $unknown
Start-Process -FilePath 'C:\\Windows\\System32\\Sysprep\\sysprep.exe' -ArgumentList '/generalize', '/oobe', '/shutdown'";
        let run = walk(script);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            run.started,
            [
                StartedProcess {
                    program: "msiexec.exe".into(),
                    arguments: "/i \"C:\\Temp\\RDAgent.msi\" /quiet REGISTRATIONTOKEN=tok-123"
                        .into()
                },
                StartedProcess {
                    program: "C:\\Temp\\setup.exe".into(),
                    arguments: "/configure $unknown".into()
                },
                StartedProcess {
                    program: "C:\\Windows\\System32\\Sysprep\\sysprep.exe".into(),
                    arguments: "/generalize /oobe /shutdown".into()
                },
            ]
        );
    }

    #[test]
    fn throw_and_exit_stop_the_script() {
        let run = walk("Write-Host 'a'\nthrow 'boom'\nWrite-Host 'b'");
        assert_eq!(
            (run.stdout.len(), run.code, run.stderr.as_str()),
            (1, 1, "boom\n")
        );
        assert_eq!(walk("exit 3010").code, 3010);
        assert_eq!(walk("Write-Host 'x'").code, 0);
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
    fn here_strings_are_values() {
        let run = walk("$a = @'\n{\nWrite-Host 'in'\n'@\nWrite-Host 'out'\nWrite-Host $a");
        assert_eq!(run.stdout, ["out", "{", "Write-Host 'in'"]);
    }

    #[test]
    fn wrapped_outputs_come_just_before_the_sentinel() {
        let wrapped =
            sentinel::wrap("Write-Host '[OUTPUT] A=1'\nWrite-Host '[INFO] later'\nexit 0\n")
                .unwrap();
        let (stdout, _) = run_script(&wrapped, None);
        assert_eq!(stdout, "[INFO] later\n[OUTPUT] A=1\nAVDEPLOY_EXIT_CODE=0\n");
    }
}
