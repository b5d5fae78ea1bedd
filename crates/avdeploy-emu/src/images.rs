//! The marketplace of VM images and extensions: the image alias document `az vm create` reads
//! from the cloud's `vmImageAliasDoc` endpoint (a template whose `aliases` output names the
//! images by OS), publishers, extension types, image and extension versions.

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

/// The version every marketplace image offers here.
const MARKETPLACE_VERSION: &str = "26100.4061.250510";

/// The version every VM extension type offers here.
const EXTENSION_VERSION: &str = "2.2.0.0";

/// Publishers of VM extensions and their extension types (as `az vm extension set` finds the
/// latest version: publishers of the location, then the publisher's types, then the versions).
const EXTENSIONS: &[(&str, &[&str])] = &[
    (
        "Microsoft.Azure.ActiveDirectory",
        &["AADLoginForWindows", "AADSSHLoginForLinux"],
    ),
    (
        "Microsoft.Azure.Monitor",
        &["AzureMonitorLinuxAgent", "AzureMonitorWindowsAgent"],
    ),
    (
        "Microsoft.Azure.Security.WindowsAttestation",
        &["GuestAttestation"],
    ),
    (
        "Microsoft.Compute",
        &[
            "BGInfo",
            "CustomScriptExtension",
            "JsonADDomainExtension",
            "VMAccessAgent",
        ],
    ),
    ("Microsoft.Powershell", &["DSC"]),
];

/// Publishers of marketplace images listed beside the extension publishers (images themselves
/// are served for any publisher).
const IMAGE_PUBLISHERS: &[&str] = &[
    "Canonical",
    "MicrosoftWindowsDesktop",
    "MicrosoftWindowsServer",
];

/// Whether the path reads the marketplace (`…/locations/{l}/publishers`,
/// `…/artifacttypes/vmimage/…`, `…/artifacttypes/vmextension/…`).
pub(crate) fn is_marketplace(path: &str) -> bool {
    let path = path.to_ascii_lowercase();
    path.contains("/artifacttypes/vmimage/")
        || path.contains("/artifacttypes/vmextension/")
        || (path.contains("/providers/microsoft.compute/locations/")
            && path.trim_end_matches('/').ends_with("/publishers"))
}

/// The marketplace's `{name, location, id}` entries under `base` (a bare array, as Azure lists
/// publishers and extension types).
fn entries<'a>(base: &str, location: &str, names: impl Iterator<Item = &'a str>) -> Value {
    names
        .map(|name| json!({"name": name, "location": location, "id": format!("{base}/{name}")}))
        .collect()
}

/// Marketplace image and VM extension versions: the list (a bare array, as Azure answers) and
/// one version, for any publisher, offer, SKU or extension type.
pub(crate) fn respond(request: &crate::exchange::Request) -> crate::exchange::Response {
    use crate::exchange::Response;
    let segs = request.segments();
    let at = |word: &str| {
        segs.iter()
            .position(|s| s.eq_ignore_ascii_case(word))
            .and_then(|i| segs.get(i + 1))
            .copied()
            .unwrap_or_default()
    };
    let location = at("locations");
    let extension = segs.iter().any(|s| s.eq_ignore_ascii_case("vmextension"));
    let last = segs.last().copied().unwrap_or_default();
    if request.method == "GET" && last.eq_ignore_ascii_case("publishers") {
        let names = IMAGE_PUBLISHERS
            .iter()
            .copied()
            .chain(EXTENSIONS.iter().map(|(publisher, _)| *publisher));
        return Response::json(
            200,
            entries(&format!("/{}", segs.join("/")), location, names),
        );
    }
    if request.method == "GET" && extension && last.eq_ignore_ascii_case("types") {
        let publisher = at("publishers");
        let types = EXTENSIONS
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(publisher))
            .flat_map(|(_, types)| types.iter().copied());
        return Response::json(
            200,
            entries(&format!("/{}", segs.join("/")), location, types),
        );
    }
    let sku = at("skus");
    let versions_at = segs.iter().position(|s| s.eq_ignore_ascii_case("versions"));
    let Some(versions_at) = versions_at.filter(|_| request.method == "GET") else {
        return Response::error(404, "NotFound", "The image was not found.");
    };
    let base = format!("/{}", segs[..=versions_at].join("/"));
    let summary = |version: &str| json!({"location": location, "name": version, "id": format!("{base}/{version}")});
    match segs.get(versions_at + 1) {
        None if extension => Response::json(200, json!([summary(EXTENSION_VERSION)])),
        None => Response::json(200, json!([summary(MARKETPLACE_VERSION)])),
        Some(version) if extension => Response::json(200, summary(version)),
        Some(version) => {
            let generation = if sku.to_ascii_lowercase().contains("gen1") {
                "V1"
            } else {
                "V2"
            };
            let mut image = summary(version);
            image["properties"] = json!({
                "hyperVGeneration": generation,
                "architecture": "x64",
                "osDiskImage": {"operatingSystem": "Windows", "sizeInGb": 127},
                "dataDiskImages": [],
                "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": false},
                "imageDeprecationStatus": {"imageState": "Active"},
                "features": [
                    {"name": "SecurityType", "value": "TrustedLaunchAndConfidentialVmSupported"},
                    {"name": "IsAcceleratedNetworkSupported", "value": "True"},
                    {"name": "DiskControllerTypes", "value": "SCSI, NVMe"},
                    {"name": "IsHibernateSupported", "value": "True"},
                ],
            });
            Response::json(200, image)
        }
    }
}
