//! Microsoft.DesktopVirtualization resources as the desktopvirtualization extension prints them
//! (ARM properties flattened): host pools, application groups bound to a host pool, workspaces
//! referencing application groups, scaling plans and session hosts.

use serde_json::{Value, json};

use crate::call::Call;
use crate::failure::{AzFailure, CallError};
use crate::props::{boolean, choice, integer, text};
use crate::references;
use crate::resource::Address;

/// Applies the flags of a desktopvirtualization create or update.
pub fn shape(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    if creating {
        body["objectId"] = json!(crate::network::guid_of(&body["id"]));
        body["cloudPcResource"] = json!(false);
    }
    if let Value::Object(map) = body {
        map.remove("etag");
    }
    let args = &call.args;
    for (flag, key) in [
        ("--friendly-name", "friendlyName"),
        ("--description", "description"),
    ] {
        if let Some(v) = text(args, flag) {
            body[key] = json!(v);
        }
    }
    match address.family.path {
        "desktopvirtualization hostpool" => host_pool(call, body, creating)?,
        "desktopvirtualization applicationgroup" => application_group(call, body, creating)?,
        "desktopvirtualization workspace" => workspace(call, body)?,
        "desktopvirtualization scaling-plan" => scaling_plan(call, body, creating)?,
        "desktopvirtualization sessionhost" => {
            if let Some(v) = boolean(&call.args, "--allow-new-session")? {
                body["allowNewSession"] = json!(v);
            }
        }
        _ => {}
    }
    Ok(())
}

fn host_pool(call: &mut Call, body: &mut Value, creating: bool) -> Result<(), CallError> {
    let args = &call.args;
    let command = args.command();
    if creating {
        for flag in [
            "--host-pool-type",
            "--load-balancer-type",
            "--preferred-app-group-type",
        ] {
            args.require(flag)?;
        }
        body["maxSessionLimit"] = json!(999_999);
        body["validationEnvironment"] = json!(false);
        body["startVMOnConnect"] = json!(false);
        body["customRdpProperty"] = Value::Null;
        body["personalDesktopAssignmentType"] = Value::Null;
        body["publicNetworkAccess"] = json!("Enabled");
        body["agentUpdate"] = json!({ "type": "Default", "useSessionHostLocalTime": false });
        body["registrationInfo"] =
            json!({ "expirationTime": null, "registrationTokenOperation": "None", "token": null });
    }
    let types = ["BYODesktop", "Personal", "Pooled"];
    if let Some(v) = choice(args, &command, "--host-pool-type", &types)? {
        body["hostPoolType"] = json!(v);
    }
    let balancers = ["BreadthFirst", "DepthFirst", "Persistent"];
    if let Some(v) = choice(args, &command, "--load-balancer-type", &balancers)? {
        body["loadBalancerType"] = json!(v);
    }
    let preferred = ["Desktop", "None", "RailApplications"];
    if let Some(v) = choice(args, &command, "--preferred-app-group-type", &preferred)? {
        body["preferredAppGroupType"] = json!(v);
    }
    if let Some(v) = integer(args, "--max-session-limit", 0, 999_999)? {
        body["maxSessionLimit"] = json!(v);
    }
    for (flag, key) in [
        ("--validation-environment", "validationEnvironment"),
        ("--start-vm-on-connect", "startVMOnConnect"),
    ] {
        if let Some(v) = boolean(args, flag)? {
            body[key] = json!(v);
        }
    }
    if let Some(v) = text(args, "--custom-rdp-property") {
        body["customRdpProperty"] = json!(v);
    }
    let assignment = ["Automatic", "Direct"];
    if let Some(v) = choice(
        args,
        &command,
        "--personal-desktop-assignment-type",
        &assignment,
    )? {
        body["personalDesktopAssignmentType"] = json!(v);
    }
    if let Some(v) = text(args, "--vm-template") {
        body["vmTemplate"] = json!(v);
    }
    Ok(())
}

fn application_group(call: &mut Call, body: &mut Value, creating: bool) -> Result<(), CallError> {
    let command = call.args.command();
    if creating {
        call.args.require("--application-group-type")?;
        let pool = call.args.require("--host-pool-arm-path")?.to_owned();
        let own = body["id"].as_str().unwrap_or_default().to_owned();
        references::existing(call, &pool, &own)?;
        body["hostPoolArmPath"] = json!(pool);
        body["showInFeed"] = json!(true);
    }
    let kinds = ["Desktop", "RemoteApp"];
    if let Some(v) = choice(&call.args, &command, "--application-group-type", &kinds)? {
        body["applicationGroupType"] = json!(v);
    }
    Ok(())
}

fn workspace(call: &mut Call, body: &mut Value) -> Result<(), CallError> {
    if !call.args.has("--application-group-references") {
        if body.get("applicationGroupReferences").is_none() {
            body["applicationGroupReferences"] = json!([]);
            body["publicNetworkAccess"] = json!("Enabled");
        }
        return Ok(());
    }
    let own = body["id"].as_str().unwrap_or_default().to_owned();
    let references: Vec<String> = call
        .args
        .values("--application-group-references")
        .iter()
        .flat_map(|v| v.split_whitespace())
        .map(str::to_owned)
        .collect();
    for group in &references {
        references::existing(call, group, &own)?;
    }
    body["applicationGroupReferences"] = json!(references);
    Ok(())
}

fn scaling_plan(call: &mut Call, body: &mut Value, creating: bool) -> Result<(), CallError> {
    let args = &call.args;
    if creating {
        args.require("--time-zone")?;
        body["hostPoolType"] = json!("Pooled");
        body["schedules"] = json!([]);
        body["hostPoolReferences"] = json!([]);
        body["exclusionTag"] = Value::Null;
    }
    if let Some(v) = text(args, "--time-zone") {
        body["timeZone"] = json!(v);
    }
    if let Some(v) = text(args, "--exclusion-tag") {
        body["exclusionTag"] = json!(v);
    }
    if let Some(v) = choice(
        args,
        &args.command(),
        "--host-pool-type",
        &["Personal", "Pooled"],
    )? {
        body["hostPoolType"] = json!(v);
    }
    for (flag, key) in [
        ("--schedules", "schedules"),
        ("--host-pool-references", "hostPoolReferences"),
    ] {
        if args.has(flag) {
            body[key] = json_list(args.values(flag), flag)?;
        }
    }
    let own = body["id"].as_str().unwrap_or_default().to_owned();
    let pools: Vec<String> = body["hostPoolReferences"]
        .as_array()
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r["hostPoolArmPath"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for pool in pools {
        references::existing(call, &pool, &own)?;
    }
    Ok(())
}

/// A list argument given as JSON (`'[{...}]'` or several `'{...}'`).
fn json_list(values: &[String], flag: &str) -> Result<Value, AzFailure> {
    let mut items = Vec::new();
    for raw in values {
        let parsed: Value = serde_json::from_str(raw)
            .map_err(|_| AzFailure::usage(&format!("argument {flag}: invalid JSON: '{raw}'")))?;
        match parsed {
            Value::Array(list) => items.extend(list),
            other => items.push(other),
        }
    }
    Ok(Value::Array(items))
}

/// Fields a host pool, application group or scaling plan shows that other resources determine.
pub fn view(call: &mut Call, address: &Address, out: &mut Value) -> Result<(), CallError> {
    let id = out["id"].as_str().unwrap_or_default().to_ascii_lowercase();
    let rg = address.rg.to_lowercase();
    match address.family.path {
        "desktopvirtualization hostpool" => {
            let groups: Vec<Value> = call
                .store
                .list("desktopvirtualization applicationgroup", Some(&rg), None)?
                .into_iter()
                .filter(|g| {
                    g.body["hostPoolArmPath"]
                        .as_str()
                        .is_some_and(|p| p.to_ascii_lowercase() == id)
                })
                .map(|g| g.body["id"].clone())
                .collect();
            out["applicationGroupReferences"] = Value::Array(groups);
        }
        "desktopvirtualization applicationgroup" => {
            let workspace = call
                .store
                .list("desktopvirtualization workspace", Some(&rg), None)?
                .into_iter()
                .find(|w| {
                    w.body["applicationGroupReferences"]
                        .as_array()
                        .is_some_and(|refs| {
                            refs.iter()
                                .any(|r| r.as_str().is_some_and(|r| r.to_ascii_lowercase() == id))
                        })
                })
                .map_or(Value::Null, |w| w.body["id"].clone());
            out["workspaceArmPath"] = workspace;
        }
        _ => {}
    }
    Ok(())
}
