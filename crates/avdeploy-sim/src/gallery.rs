//! Azure Compute Gallery resources and VM extensions as Azure stores them. An image version needs
//! a generalized, deallocated source VM whose security type its definition supports; an extension
//! needs a running VM.

use serde_json::{Value, json};

use crate::call::Call;
use crate::failure::{AzFailure, CallError};
use crate::props::{self, integer, text};
use crate::resource::{Address, PRIVATE};

/// Applies the flags of `sig`, `sig image-definition`, `sig image-version` and `vm extension set`.
pub fn shape(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    match address.family.path {
        "sig" => {
            if creating {
                body["identifier"] = json!({ "uniqueName": format!("{}-{}", call.settings.subscription, address.name().to_uppercase()) });
            }
            if let Some(d) = text(&call.args, "--description") {
                body["description"] = json!(d);
            }
        }
        "sig image-definition" => definition(call, body, creating)?,
        "sig image-version" => version(call, address, body, creating)?,
        "vm extension" => extension(call, address, body)?,
        _ => {}
    }
    Ok(())
}

fn definition(call: &mut Call, body: &mut Value, creating: bool) -> Result<(), CallError> {
    let args = &call.args;
    let command = args.command();
    if creating {
        let publisher = args.require("--publisher")?;
        let offer = args.require("--offer")?;
        let sku = args.require("--sku")?;
        args.require("--os-type")?;
        body["identifier"] = json!({ "offer": offer, "publisher": publisher, "sku": sku });
        body["osState"] = json!("Generalized");
        body["hyperVGeneration"] = json!("V1");
        body["architecture"] = json!("x64");
    }
    if let Some(os) = props::choice(args, &command, "--os-type", &["Linux", "Windows"])? {
        body["osType"] = json!(os);
    }
    if let Some(state) = props::choice(
        args,
        &command,
        "--os-state",
        &["Generalized", "Specialized"],
    )? {
        body["osState"] = json!(state);
    }
    if let Some(generation) = props::choice(args, &command, "--hyper-v-generation", &["V1", "V2"])?
    {
        body["hyperVGeneration"] = json!(generation);
    }
    if args.has("--features") {
        let features: Vec<Value> = props::pairs(args.values("--features"))
            .into_iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect();
        body["features"] = Value::Array(features);
    }
    let trusted = security_type(body).is_some_and(|t| t.starts_with("TrustedLaunch"));
    if trusted && body["hyperVGeneration"] != "V2" {
        return Err(AzFailure::service(
            "InvalidParameter",
            "The feature 'SecurityType' with value 'TrustedLaunch' is only supported for Hyper-V generation 'V2'.",
            1,
        )
        .into());
    }
    if let Some(d) = text(args, "--description") {
        body["description"] = json!(d);
    }
    Ok(())
}

fn security_type(definition: &Value) -> Option<&str> {
    definition["features"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == "SecurityType")?["value"]
        .as_str()
}

fn version(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    if !creating {
        if let Some(count) = integer(&call.args, "--replica-count", 1, 100)? {
            body["publishingProfile"]["replicaCount"] = json!(count);
        }
        return Ok(());
    }
    let source = call
        .args
        .get("--virtual-machine")
        .or(call.args.get("--managed-image"))
        .ok_or_else(|| {
            AzFailure::usage("usage error: --managed-image | --virtual-machine | --os-snapshot")
        })?
        .to_owned();
    let definition = call.existing(
        &address
            .parent_address()
            .ok_or_else(|| AzFailure::usage("no definition"))?,
    )?;
    let own = body["id"].as_str().unwrap_or_default().to_owned();
    let vm = crate::references::existing(call, &source, &own)?;
    if vm["type"] == "Microsoft.Compute/virtualMachines" {
        check_source(&vm, &definition)?;
    }
    let location = body["location"].as_str().unwrap_or("eastus").to_owned();
    let replicas = integer(&call.args, "--replica-count", 1, 100)?.unwrap_or(1);
    let regions: Vec<Value> = match call.args.values("--target-regions") {
        [] => vec![
            json!({ "name": location, "regionalReplicaCount": replicas, "storageAccountType": "Standard_LRS" }),
        ],
        given => given
            .iter()
            .map(|r| {
                let mut parts = r.split('=');
                let name = parts.next().unwrap_or_default();
                let count = parts
                    .next()
                    .and_then(|c| c.parse::<i64>().ok())
                    .unwrap_or(replicas);
                let sku = parts.next().unwrap_or("Standard_LRS");
                json!({ "name": name, "regionalReplicaCount": count, "storageAccountType": sku })
            })
            .collect(),
    };
    body["publishingProfile"] = json!({
        "excludeFromLatest": props::boolean(&call.args, "--exclude-from-latest")?.unwrap_or(false),
        "publishedDate": crate::clock::iso_now(),
        "replicaCount": replicas,
        "storageAccountType": "Standard_LRS",
        "targetRegions": regions,
    });
    body["storageProfile"] = json!({
        "osDiskImage": { "hostCaching": "ReadWrite", "sizeInGB": 127 },
        "source": { "virtualMachineId": vm["id"] },
    });
    body["safetyProfile"] = json!({ "allowDeletionOfReplicatedLocations": true });
    Ok(())
}

/// A generalized image version needs a generalized, deallocated VM of a security type the
/// definition supports.
fn check_source(vm: &Value, definition: &Value) -> Result<(), AzFailure> {
    let id = vm["id"].as_str().unwrap_or_default();
    let generalized = vm[PRIVATE]["generalized"] == true;
    let power = vm[PRIVATE]["power"].as_str().unwrap_or("running");
    if definition["osState"] == "Generalized" && !generalized {
        return Err(AzFailure::service(
            "InvalidParameter",
            &format!(
                "The source virtual machine '{id}' is not generalized. A generalized image version \
                 requires a generalized source: run sysprep and 'az vm generalize' first."
            ),
            1,
        ));
    }
    if power != "deallocated" && power != "stopped" {
        return Err(AzFailure::service(
            "OperationNotAllowed",
            &format!(
                "The source virtual machine '{id}' must be deallocated to capture an image version; it is {power}."
            ),
            1,
        ));
    }
    let vm_trusted = vm["securityProfile"]["securityType"] == "TrustedLaunch";
    let def_trusted = security_type(definition).is_some_and(|t| t.starts_with("TrustedLaunch"));
    if vm_trusted && !def_trusted {
        return Err(AzFailure::service(
            "InvalidParameter",
            &format!(
                "The source virtual machine '{id}' has security type 'TrustedLaunch', which the gallery \
                 image definition does not support. Create the definition with --features SecurityType=TrustedLaunch."
            ),
            1,
        ));
    }
    Ok(())
}

fn extension(call: &mut Call, address: &Address, body: &mut Value) -> Result<(), CallError> {
    let vm = call.existing(
        &address
            .parent_address()
            .ok_or_else(|| AzFailure::usage("no vm"))?,
    )?;
    if vm[PRIVATE]["power"] != "running" {
        return Err(AzFailure::service(
            "OperationNotAllowed",
            "Cannot modify extensions in the VM when the VM is not running.",
            1,
        )
        .into());
    }
    let publisher = call.args.require("--publisher")?.to_owned();
    body["publisher"] = json!(publisher);
    body["typePropertiesType"] = json!(address.name());
    body["typeHandlerVersion"] = json!(
        call.args
            .get("--version")
            .unwrap_or(default_version(address.name()))
    );
    body["autoUpgradeMinorVersion"] = json!(!call.args.has("--no-auto-upgrade-minor-version"));
    body["enableAutomaticUpgrade"] =
        json!(props::boolean(&call.args, "--enable-auto-upgrade")?.unwrap_or(false));
    body["settings"] = match call.args.get("--settings") {
        Some(raw) => serde_json::from_str(raw).map_err(|_| {
            AzFailure::usage(&format!("argument --settings: invalid JSON: '{raw}'"))
        })?,
        None => json!({}),
    };
    body["suppressFailures"] = json!(false);
    Ok(())
}

fn default_version(extension: &str) -> &'static str {
    match extension {
        "AADLoginForWindows" => "2.2",
        "AzureMonitorWindowsAgent" => "1.0",
        _ => "1.0",
    }
}
