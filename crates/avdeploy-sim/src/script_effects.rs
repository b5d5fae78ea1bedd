//! What a script run by `az vm run-command invoke` does to the simulated VM beyond its output:
//! `sysprep.exe ... /shutdown` stops the VM once the script has run, as Windows shuts down.

use serde_json::json;

use crate::call::Call;
use crate::failure::CallError;
use crate::ps_walk::StartedProcess;
use crate::resource::{Address, PRIVATE};

/// Applies the effects of the processes a script on the VM at `address` started.
pub fn apply(
    call: &mut Call,
    address: &Address,
    started: &[StartedProcess],
) -> Result<(), CallError> {
    if started.iter().any(shuts_down) {
        let mut body = call.existing(address)?;
        body[PRIVATE]["power"] = json!("stopped");
        call.store.put(&address.record(body))?;
    }
    Ok(())
}

/// Whether a process is sysprep asked to shut Windows down.
fn shuts_down(process: &StartedProcess) -> bool {
    let program = process.program.to_ascii_lowercase();
    let name = program.rsplit(['\\', '/']).next().unwrap_or_default();
    (name == "sysprep.exe" || name == "sysprep")
        && process.arguments.to_ascii_lowercase().contains("/shutdown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysprep_with_shutdown_stops_the_vm() {
        let sysprep = |arguments: &str| StartedProcess {
            program: r"C:\Windows\System32\Sysprep\sysprep.exe".into(),
            arguments: arguments.into(),
        };
        assert!(shuts_down(&sysprep(
            "/generalize /oobe /shutdown /mode:vm /quiet"
        )));
        assert!(!shuts_down(&sysprep("/generalize /oobe /quit")));
        assert!(!shuts_down(&StartedProcess {
            program: "msiexec.exe".into(),
            arguments: "/shutdown".into()
        }));
    }
}
