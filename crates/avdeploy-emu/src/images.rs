//! The VM image alias document `az vm create` reads from the cloud's `vmImageAliasDoc`
//! endpoint (a template whose `aliases` output names the images by OS).

use serde_json::{Value, json};

/// Aliases of the Windows and Linux images the catalog's VMs may name.
pub(crate) fn alias_document() -> Value {
    let image = |publisher: &str, offer: &str, sku: &str| json!({"publisher": publisher, "offer": offer, "sku": sku, "version": "latest", "architecture": "x64"});
    json!({
        "$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json",
        "contentVersion": "1.0.0.0",
        "parameters": {},
        "variables": {},
        "resources": [],
        "outputs": {"aliases": {"type": "object", "value": {
            "Linux": {
                "Ubuntu2204": image("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2"),
                "Ubuntu2404": image("Canonical", "ubuntu-24_04-lts", "server"),
            },
            "Windows": {
                "Win2022Datacenter": image("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-g2"),
                "Win2022AzureEdition": image("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition"),
                "Win2019Datacenter": image("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter"),
                "Win11-24H2-AVD": image("MicrosoftWindowsDesktop", "windows-11", "win11-24h2-avd"),
            },
        }}},
    })
}
