//! Commands with behaviour beyond the generic resource model: the account and its cloud, Entra ID groups and
//! service principals, role assignments, VM power operations and instance view, storage keys and
//! host pool registration tokens.

use serde_json::{Value, json};

use crate::call::{Call, Outcome};
use crate::catalog::by_path;
use crate::error::SimError;
use crate::failure::AzFailure;
use crate::resource::{Address, PRIVATE, public};
use crate::{directory, managed_command, runcommand};

/// Answers the command if it is one of the special ones.
pub fn dispatch(call: &mut Call) -> Option<Outcome> {
    let path = call.args.path.clone();
    let words: Vec<&str> = path.iter().map(String::as_str).collect();
    Some(match words.as_slice() {
        ["account", "show"] => Ok(account(call)),
        ["account", "list"] => Ok(json!([account(call)])),
        ["account", "set"] => Ok(Value::Null),
        ["cloud", "show"] => Ok(cloud()),
        ["ad", ..] => return directory::dispatch(call, &words[1..]),
        ["role", "assignment", verb] => crate::roles::assignment(call, verb),
        ["role", "definition", "list"] => crate::roles::definitions(call),
        ["rest"] => crate::rest::rest(call),
        ["resource", "list"] => resource_list(call),
        ["vm", "identity", verb @ ("assign" | "show")] => identity(call, verb),
        ["vm", "run-command", "invoke"] => runcommand::invoke(call),
        ["vm", "run-command", verb] => return managed_command::dispatch(call, verb),
        ["vm", "get-instance-view"] => instance_view(call),
        [
            "vm",
            verb @ ("deallocate" | "generalize" | "start" | "stop" | "restart"),
        ] => power(call, verb),
        ["storage", "account", "keys", "list"] => storage_keys(call),
        [
            "storage",
            "share",
            verb @ ("create" | "delete" | "exists" | "show"),
        ] => crate::share_data::dispatch(call, verb),
        [
            "desktopvirtualization",
            "hostpool",
            "retrieve-registration-token",
        ] => retrieve_token(call),
        _ => return None,
    })
}

fn account(call: &Call) -> Value {
    json!({
        "environmentName": "AzureCloud",
        "homeTenantId": directory::TENANT,
        "id": call.settings.subscription,
        "isDefault": true,
        "managedByTenants": [],
        "name": "avdeploy simulated subscription",
        "state": "Enabled",
        "tenantId": directory::TENANT,
        "user": { "name": "simulated.user@contoso.example", "type": "user" },
    })
}

/// `az cloud show` of the public cloud the simulated subscription lives in.
fn cloud() -> Value {
    json!({
        "endpoints": {
            "activeDirectory": "https://login.microsoftonline.com",
            "activeDirectoryGraphResourceId": "https://graph.windows.net/",
            "activeDirectoryResourceId": "https://management.core.windows.net/",
            "management": "https://management.core.windows.net/",
            "microsoftGraphResourceId": "https://graph.microsoft.com/",
            "portal": "https://portal.azure.com",
            "resourceManager": "https://management.azure.com/",
        },
        "isActive": true,
        "name": "AzureCloud",
        "profile": "latest",
        "suffixes": {
            "keyvaultDns": ".vault.azure.net",
            "storageEndpoint": "core.windows.net",
        },
    })
}

fn vm_address(call: &Call) -> Result<Address, AzFailure> {
    let family = by_path("vm").ok_or_else(|| AzFailure::usage("vm is not simulated"))?;
    Address::from_args(family, &call.args)
}

fn instance_view(call: &mut Call) -> Outcome {
    let address = vm_address(call)?;
    call.read_delay();
    let body = call.existing(&address)?;
    let mut out = public(&body);
    out["instanceView"] = crate::guest::instance_view(&address, &body);
    Ok(out)
}

fn power(call: &mut Call, verb: &str) -> Outcome {
    let address = vm_address(call)?;
    let body = call.existing(&address)?;
    let current = body[PRIVATE]["power"]
        .as_str()
        .unwrap_or("running")
        .to_owned();
    if verb == "generalize" && current != "deallocated" && current != "stopped" {
        return Err(AzFailure::service(
            "OperationNotAllowed",
            &format!(
                "Operation 'generalize' is not allowed on VM '{}' since the VM is running. \
                 Please stop or deallocate the VM and try again.",
                address.name()
            ),
            1,
        )
        .into());
    }
    let (seconds, state) = match verb {
        "deallocate" => (90.0, "deallocated"),
        "stop" => (45.0, "stopped"),
        "generalize" => (5.0, current.as_str()),
        _ => (60.0, "running"),
    };
    let state = state.to_owned();
    let exclusive = Some(crate::call::Exclusive::RunCommand(runcommand::vm_key(
        &address,
    )));
    let verb = verb.to_owned();
    call.write(seconds, exclusive, move |call| {
        let mut body = call.existing(&address)?;
        body[PRIVATE]["power"] = json!(state);
        if verb == "generalize" {
            body[PRIVATE]["generalized"] = json!(true);
        }
        call.store.put(&address.record(body))?;
        Ok(Value::Null)
    })
}

/// `resource list [-g RG]`: tracked resources (those with a location), as Resource Manager lists them.
fn resource_list(call: &mut Call) -> Outcome {
    let rg = call.args.get("--resource-group").map(str::to_lowercase);
    call.read_delay();
    let items: Vec<Value> = call
        .store
        .all()?
        .into_iter()
        .filter(|r| !r.rg.is_empty() && rg.as_ref().is_none_or(|g| *g == r.rg))
        .filter(|r| {
            r.body.get("location").is_some_and(|l| !l.is_null()) && r.body.get("type").is_some()
        })
        .map(|r| {
            let b = &r.body;
            json!({ "id": b["id"], "identity": b.get("identity"), "kind": b.get("kind"),
                    "location": b["location"], "managedBy": b.get("managedBy"), "name": b["name"],
                    "resourceGroup": b["resourceGroup"], "sku": b.get("sku"), "tags": b["tags"],
                    "type": b["type"] })
        })
        .collect();
    Ok(Value::Array(items))
}

/// `vm identity assign|show`: the VM's system-assigned identity.
fn identity(call: &mut Call, verb: &str) -> Outcome {
    let address = vm_address(call)?;
    let body = call.existing(&address)?;
    if verb == "show" {
        call.read_delay();
        return Ok(body.get("identity").cloned().unwrap_or(Value::Null));
    }
    call.write(20.0, None, move |call| {
        let mut body = call.existing(&address)?;
        if body["identity"]["principalId"].as_str().is_none() {
            body["identity"] = json!({
                "principalId": crate::network::guid_of(&json!(format!("{}/identity", body["id"]))),
                "tenantId": directory::TENANT, "type": "SystemAssigned",
            });
        }
        let principal = body["identity"]["principalId"].clone();
        call.store.put(&address.record(body))?;
        Ok(json!({ "systemAssignedIdentity": principal, "userAssignedIdentities": {} }))
    })
}

fn storage_keys(call: &mut Call) -> Outcome {
    let name = call.args.get("--account-name").or(call.args.get("--name"));
    let name = name
        .ok_or_else(|| AzFailure::usage("the following arguments are required: --account-name/-n"))?
        .to_owned();
    let family =
        by_path("storage account").ok_or_else(|| AzFailure::usage("storage is not simulated"))?;
    let rg = call.args.require("--resource-group")?.to_owned();
    let address = Address {
        family,
        rg,
        names: vec![name.clone()],
    };
    call.read_delay();
    call.existing(&address)?;
    let key = |n: u8| crate::storage::account_key(&name, n);
    Ok(json!([
        { "creationTime": "2025-01-01T00:00:00+00:00", "keyName": "key1", "permissions": "FULL", "value": key(1) },
        { "creationTime": "2025-01-01T00:00:00+00:00", "keyName": "key2", "permissions": "FULL", "value": key(2) },
    ]))
}

fn retrieve_token(call: &mut Call) -> Outcome {
    let family = by_path("desktopvirtualization hostpool")
        .ok_or_else(|| AzFailure::usage("not simulated"))?;
    let address = Address::from_args(family, &call.args)?;
    call.read_delay();
    let body = call.existing(&address)?;
    let info = &body["registrationInfo"];
    Ok(json!({ "expirationTime": info["expirationTime"], "token": info["token"] }))
}

/// `hostpool update --registration-info expiration-time=… registration-token-operation=Update`:
/// stores a new registration token (or deletes it for `Delete`).
pub fn registration_info(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
) -> Result<(), SimError> {
    if address.family.path != "desktopvirtualization hostpool"
        || !call.args.has("--registration-info")
    {
        return Ok(());
    }
    let pairs: Vec<(String, String)> = call
        .args
        .values("--registration-info")
        .iter()
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let operation = get("registration-token-operation").unwrap_or_else(|| "Update".to_owned());
    let token = if operation.eq_ignore_ascii_case("Update") {
        let n = call.store.bump("registration-token")?;
        Value::String(format!(
            "eyJhbGciOiJSUzI1NiJ9.c2ltdWxhdGVk.{}{n:06}",
            address.name().len()
        ))
    } else {
        Value::Null
    };
    body["registrationInfo"] = json!({
        "expirationTime": get("expiration-time"),
        "registrationTokenOperation": operation,
        "token": token,
    });
    Ok(())
}
