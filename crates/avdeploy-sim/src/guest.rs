//! What happens inside a simulated VM because of a run command beyond its power state (see
//! [`crate::script_effects`]): the AVD agent installed with a host pool's registration token
//! registers the VM as an Available session host. Also the instance view the guest reports.

use serde_json::{Value, json};

use crate::call::Call;
use crate::catalog::by_path;
use crate::failure::CallError;
use crate::resource::{Address, PRIVATE, new_body};

/// Reacts to a script that ran on `vm`: AVD agent registration.
pub fn after_script(call: &mut Call, vm: &Address, script: &str) -> Result<(), CallError> {
    if !script.contains("REGISTRATIONTOKEN=") {
        return Ok(());
    }
    for pool in call
        .store
        .list("desktopvirtualization hostpool", None, None)?
    {
        let token = pool.body["registrationInfo"]["token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !token.is_empty() && script.contains(&token) {
            register_session_host(call, vm, &token)?;
        }
    }
    Ok(())
}

/// Registers `vm` in the host pool whose current, unexpired registration token is `token`, as
/// the AVD agent does after installation; whether it did.
pub fn register_session_host(
    call: &mut Call,
    vm: &Address,
    token: &str,
) -> Result<bool, CallError> {
    let pools = call
        .store
        .list("desktopvirtualization hostpool", None, None)?;
    let now = chrono::Utc::now();
    let Some(pool) = pools.into_iter().find(|p| {
        let info = &p.body["registrationInfo"];
        let unexpired = info["expirationTime"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_none_or(|t| t > now);
        info["token"] == token && unexpired
    }) else {
        return Ok(false);
    };
    let vm_body = call.existing(vm)?;
    let Some(family) = by_path("desktopvirtualization sessionhost") else {
        return Ok(false);
    };
    let pool_name = pool.name.clone();
    let host = Address {
        family,
        rg: pool.rg.clone(),
        names: vec![pool_name.clone(), vm.name().to_owned()],
    };
    let location = pool.body["location"]
        .as_str()
        .unwrap_or("eastus")
        .to_owned();
    let mut body = new_body(
        &host,
        &crate::args::AzArgs::default(),
        &call.settings.subscription,
        &location,
    );
    if let Value::Object(map) = &mut body {
        for key in ["location", "tags", "etag"] {
            map.remove(key);
        }
    }
    body["resourceGroup"] = pool.body["resourceGroup"].clone();
    body["name"] = json!(format!("{pool_name}/{}", vm.name()));
    body["allowNewSession"] = json!(true);
    body["agentVersion"] = json!("1.0.10159.1400");
    body["assignedUser"] = Value::Null;
    body["lastHeartBeat"] = json!(crate::clock::iso_now());
    body["objectId"] = json!(crate::network::guid_of(&body["id"]));
    body["osVersion"] = json!("10.0.26100.2605");
    body["resourceId"] = vm_body["id"].clone();
    body["sessions"] = json!(0);
    body["status"] = json!("Available");
    body["statusTimestamp"] = json!(crate::clock::iso_now());
    body["updateState"] = json!("Succeeded");
    body["virtualMachineId"] = vm_body["vmId"].clone();
    call.store.put(&host.record(body))?;
    Ok(true)
}

/// The `instanceView` of a VM: provisioning, OS state once generalized, power state and agent.
pub fn instance_view(address: &Address, body: &Value) -> Value {
    let power = body[PRIVATE]["power"].as_str().unwrap_or("running");
    let mut statuses = vec![json!({
        "code": "ProvisioningState/succeeded", "displayStatus": "Provisioning succeeded", "level": "Info",
    })];
    if body[PRIVATE]["generalized"] == true {
        statuses.push(json!({ "code": "OSState/generalized", "displayStatus": "VM generalized", "level": "Info" }));
    }
    statuses.push(json!({
        "code": format!("PowerState/{power}"), "displayStatus": format!("VM {power}"), "level": "Info",
    }));
    let agent = if power == "running" {
        "Ready"
    } else {
        "Not Ready"
    };
    json!({
        "computerName": body["osProfile"]["computerName"].as_str().unwrap_or(address.name()),
        "osName": "Windows 11 Enterprise multi-session",
        "osVersion": "10.0.26100.2605",
        "statuses": statuses,
        "vmAgent": {
            "statuses": [{ "code": "ProvisioningState/succeeded", "displayStatus": agent, "level": "Info" }],
            "vmAgentVersion": "2.7.41491.1102",
        },
    })
}
