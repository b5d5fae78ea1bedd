//! Family-specific details of Azure's JSON beyond the generic model: a VNet's address space and
//! subnets, a VM's power state and create summary, storage endpoints, host pool tokens.

use serde_json::{Value, json};

use crate::call::Call;
use crate::catalog::{by_path, is_shaped};
use crate::error::SimError;
use crate::failure::CallError;
use crate::resource::{Address, PRIVATE, new_body, public};
use crate::{avd, compute, gallery, network, nsg_rule, storage};

/// Fills in the fields a create (`creating`) or update of this family sets in Azure, only those
/// its flags name on an update, and stores side resources (a VNet's first subnet).
pub fn after_write(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    let args = call.args.clone();
    if is_shaped(address.family.path) && args.has("--tags") && !creating {
        body["tags"] = json!(crate::resource::tags(&args));
    }
    match address.family.path {
        "network nsg rule" => nsg_rule::shape(call, address, body, creating)?,
        path if path.starts_with("network ") => network::shape(call, address, body, creating)?,
        path if path.starts_with("storage ") => storage::shape(call, address, body, creating)?,
        path if path.starts_with("desktopvirtualization ") => {
            avd::shape(call, address, body, creating)?;
        }
        "vm" => compute::vm(call, address, body, creating)?,
        path if path.starts_with("sig") || path == "vm extension" => {
            gallery::shape(call, address, body, creating)?;
        }
        _ => {}
    }
    if address.family.path == "network vnet"
        && creating
        && let Some(subnet) = args.get("--subnet-name")
    {
        let prefix = list_or(args.values("--subnet-prefixes"), "10.0.0.0/24");
        store_first_subnet(call, address, subnet, &prefix[0])?;
    }
    Ok(())
}

fn list_or(values: &[String], default: &str) -> Vec<String> {
    if values.is_empty() {
        vec![default.to_owned()]
    } else {
        values.to_vec()
    }
}

fn store_first_subnet(
    call: &mut Call,
    vnet: &Address,
    subnet: &str,
    prefix: &str,
) -> Result<(), SimError> {
    let Some(family) = by_path("network vnet subnet") else {
        return Ok(());
    };
    let address = Address {
        family,
        rg: vnet.rg.clone(),
        names: vec![vnet.name().to_owned(), subnet.to_owned()],
    };
    let mut body = new_body(
        &address,
        &crate::args::AzArgs::default(),
        &call.settings.subscription,
        "",
    );
    if let Value::Object(map) = &mut body {
        map.remove("location");
        map.remove("tags");
    }
    body["addressPrefix"] = json!(prefix);
    body["privateEndpointNetworkPolicies"] = json!("Disabled");
    body["privateLinkServiceNetworkPolicies"] = json!("Enabled");
    body["delegations"] = json!([]);
    call.store.put(&address.record(body))
}

/// The JSON `show` and `list` print for a stored body.
pub fn view(call: &mut Call, address: &Address, body: &Value) -> Result<Value, CallError> {
    let mut out = public(body);
    let children = |call: &mut Call, family: &str| -> Result<Value, SimError> {
        let records = call.store.list(
            family,
            Some(&address.rg.to_lowercase()),
            Some(&address.name().to_lowercase()),
        )?;
        Ok(Value::Array(
            records.iter().map(|r| public(&r.body)).collect(),
        ))
    };
    match address.family.path {
        "network vnet" => {
            out["subnets"] = children(call, "network vnet subnet")?;
            let mut peerings = children(call, "network vnet peering")?;
            if let Value::Array(items) = &mut peerings {
                for peering in items {
                    peering["peeringState"] = json!(network::peering_state(call, peering)?);
                }
            }
            out["virtualNetworkPeerings"] = peerings;
        }
        "network vnet peering" => {
            out["peeringState"] = json!(network::peering_state(call, &out)?);
        }
        "network nsg" => out["securityRules"] = children(call, "network nsg rule")?,
        "network route-table" => out["routes"] = children(call, "network route-table route")?,
        path if path.starts_with("desktopvirtualization ") => avd::view(call, address, &mut out)?,
        _ => {}
    }
    if address.family.path == "vm" && call.args.has("--show-details") {
        out["powerState"] = json!(power_state(body));
        out["privateIps"] = body[PRIVATE]["privateIp"].clone();
        out["publicIps"] = json!("");
        out["fqdns"] = json!("");
    }
    if address.family.path == "vm" && call.args.has("--expand") {
        out["instanceView"] = crate::guest::instance_view(address, body);
    }
    Ok(out)
}

/// What a create prints: `az vm create` prints a summary, everything else the resource.
pub fn create_output(call: &mut Call, address: &Address, body: &Value) -> Result<Value, CallError> {
    match address.family.path {
        "vm" => {}
        "network vnet" => return Ok(json!({ "newVNet": view(call, address, body)? })),
        "network nsg" => return Ok(json!({ "NewNSG": view(call, address, body)? })),
        _ => return view(call, address, body),
    }
    Ok(json!({
        "fqdns": "",
        "id": body["id"],
        "location": body["location"],
        "macAddress": "00-0D-3A-00-00-01",
        "powerState": power_state(body),
        "privateIpAddress": body[PRIVATE]["privateIp"],
        "publicIpAddress": "",
        "resourceGroup": address.rg,
        "zones": "",
    }))
}

/// The display form of a VM's power state (`VM running`).
pub fn power_state(body: &Value) -> String {
    let power = body[PRIVATE]["power"].as_str().unwrap_or("running");
    format!("VM {power}")
}
