//! What a script run by a run command does to its VM beyond its output, decided in this one
//! place for the shim and the local Azure alike: a script that shuts Windows down leaves the VM
//! stopped once it has run, as Azure then reports `PowerState/stopped` (not deallocated: the VM
//! keeps its compute allocation until it is deallocated).
//!
//! A shutdown is `Stop-Computer`, `shutdown /s` (or `/p`), or `sysprep ... /shutdown`.
//! `Restart-Computer` and `shutdown /r` restart the guest: the VM runs again afterwards.

use serde_json::json;

use crate::call::Call;
use crate::failure::CallError;
use crate::ps_walk::{StartedProcess, Walked};
use crate::resource::{Address, PRIVATE};

/// Applies the effects of a walked script on the VM at `address`.
pub fn apply(call: &mut Call, address: &Address, run: &Walked) -> Result<(), CallError> {
    if shuts_down(run) {
        let mut body = call.existing(address)?;
        body[PRIVATE]["power"] = json!("stopped");
        call.store.put(&address.record(body))?;
    }
    Ok(())
}

/// Whether the walked script shuts the guest down, so that the VM is stopped after it ran.
pub fn shuts_down(run: &Walked) -> bool {
    run.computer
        .iter()
        .any(|cmdlet| cmdlet.eq_ignore_ascii_case("stop-computer"))
        || run.started.iter().any(process_shuts_down)
}

/// Whether a started process shuts Windows down: sysprep with `/shutdown`, or `shutdown` with
/// `/s` or `/p` (also as `-s`/`-p`).
fn process_shuts_down(process: &StartedProcess) -> bool {
    let program = process.program.to_ascii_lowercase();
    let name = program.rsplit(['\\', '/']).next().unwrap_or_default();
    let name = name.strip_suffix(".exe").unwrap_or(name);
    let arguments = process.arguments.to_ascii_lowercase();
    let mut words = arguments.split_whitespace();
    match name {
        "sysprep" => words.any(|word| word == "/shutdown"),
        "shutdown" => words.any(|word| matches!(word, "/s" | "-s" | "/p" | "-p")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ps_walk::walk;

    #[test]
    fn sysprep_with_shutdown_stops_the_vm() {
        let sysprep = |arguments: &str| StartedProcess {
            program: r"C:\Windows\System32\Sysprep\sysprep.exe".into(),
            arguments: arguments.into(),
        };
        assert!(process_shuts_down(&sysprep(
            "/generalize /oobe /shutdown /mode:vm /quiet"
        )));
        assert!(!process_shuts_down(&sysprep("/generalize /oobe /quit")));
        assert!(!process_shuts_down(&StartedProcess {
            program: "msiexec.exe".into(),
            arguments: "/shutdown".into()
        }));
    }

    #[test]
    fn stop_computer_and_shutdown_s_shut_down_restarts_do_not() {
        assert!(shuts_down(&walk("Write-Host 'bye'\nStop-Computer -Force")));
        assert!(shuts_down(&walk("shutdown /s /t 0")));
        assert!(shuts_down(&walk(
            r"& 'C:\Windows\System32\shutdown.exe' /p"
        )));
        assert!(shuts_down(&walk(
            "Start-Process -FilePath 'C:\\Windows\\System32\\Sysprep\\sysprep.exe' \
             -ArgumentList '/generalize', '/oobe', '/shutdown', '/mode:vm'"
        )));
        assert!(!shuts_down(&walk("Restart-Computer -Force")));
        assert!(!shuts_down(&walk("shutdown /r /t 0")));
        assert!(!shuts_down(&walk(
            "Write-Host 'Stop-Computer is not called here'"
        )));
        assert!(!shuts_down(&walk(
            "if (Test-Path 'C:\\never') { Stop-Computer }"
        )));
    }
}
