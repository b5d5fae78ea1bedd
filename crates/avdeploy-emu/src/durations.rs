//! How long writes take and how they are polled, per ARM type: the shim's durations (its
//! catalog), and Resource Manager's polling style for the types that are long-running in Azure.

use std::time::Duration;

use avdeploy_sim::catalog::FAMILIES;
use avdeploy_sim::clock;

use crate::lro::Polling;

/// Types Azure writes synchronously (201/200 at once) although they take time in the shim.
const SYNCHRONOUS: &[&str] = &[
    "Microsoft.Authorization/",
    "Microsoft.DesktopVirtualization/",
    "Microsoft.KeyVault/vaults",
    "Microsoft.ManagedIdentity/",
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.Resources/resourceGroups",
    "Microsoft.Storage/storageAccounts/fileServices",
];

/// Types whose writes answer 202 with a `Location` only.
const LOCATION_POLLED: &[&str] = &["Microsoft.Storage/storageAccounts"];

/// A write of `type_name` is long-running: its real duration and polling style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timing {
    /// Real time until the write completes.
    pub(crate) duration: Duration,
    /// The headers the accepted answer carries.
    pub(crate) polling: Polling,
}

/// The timing of a create (`created`) or update/delete of `type_name` at `time_scale`; `None`
/// when Azure answers it synchronously.
pub(crate) fn write(type_name: &str, created: bool, time_scale: f64) -> Option<Timing> {
    if SYNCHRONOUS.iter().any(|t| starts_with_ci(type_name, t)) {
        return None;
    }
    let seconds = f64::from(write_seconds(type_name)?);
    let seconds = if created { seconds } else { seconds / 2.0 };
    let polling = if LOCATION_POLLED
        .iter()
        .any(|t| type_name.eq_ignore_ascii_case(t))
    {
        Polling::Location
    } else {
        Polling::AsyncOperation
    };
    Some(Timing {
        duration: clock::scaled(seconds, time_scale),
        polling,
    })
}

/// The shim's create duration of `type_name` in Azure seconds.
pub(crate) fn write_seconds(type_name: &str) -> Option<u32> {
    FAMILIES
        .iter()
        .find(|family| family.arm_type().eq_ignore_ascii_case(type_name))
        .map(|family| family.write_seconds)
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shims_durations_scaled_with_arms_polling() {
        let vm = write("Microsoft.Compute/virtualMachines", true, 0.01).unwrap();
        assert_eq!(vm.duration, Duration::from_millis(1200));
        assert_eq!(vm.polling, Polling::AsyncOperation);
        let update = write("microsoft.compute/virtualmachines", false, 0.01).unwrap();
        assert_eq!(update.duration, Duration::from_millis(600));
        let account = write("Microsoft.Storage/storageAccounts", true, 1.0).unwrap();
        assert_eq!(account.polling, Polling::Location);
        assert_eq!(write("Microsoft.Resources/resourceGroups", true, 1.0), None);
        assert_eq!(
            write(
                "Microsoft.Storage/storageAccounts/fileServices/shares",
                true,
                1.0
            ),
            None
        );
        assert_eq!(write("Microsoft.Unknown/things", true, 1.0), None);
        assert!(write_seconds("Microsoft.Network/virtualNetworks/subnets").is_some());
    }
}
