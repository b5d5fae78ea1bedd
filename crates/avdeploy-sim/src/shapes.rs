//! Family-specific details of Azure's JSON beyond the generic model: a VNet's address space and
//! subnets, a VM's power state and create summary, storage endpoints, host pool tokens.

use serde_json::{Value, json};

use crate::call::Call;
use crate::catalog::by_path;
use crate::error::SimError;
use crate::resource::{Address, PRIVATE, new_body, public};

/// Fills in the fields a create or update of this family sets in Azure, and stores side
/// resources (a VNet's first subnet).
pub fn after_write(call: &mut Call, address: &Address, body: &mut Value) -> Result<(), SimError> {
    let args = call.args.clone();
    match address.family.path {
        "network vnet" => {
            let prefixes = list_or(args.values("--address-prefixes"), "10.0.0.0/16");
            body["addressSpace"] = json!({ "addressPrefixes": prefixes });
            if let Some(subnet) = args.get("--subnet-name") {
                let prefix = list_or(args.values("--subnet-prefixes"), "10.0.0.0/24");
                store_first_subnet(call, address, subnet, &prefix[0])?;
            }
        }
        "network vnet subnet" => {
            if let [prefix] = args.values("--address-prefixes")
                && let Value::Object(map) = body
            {
                map.remove("addressPrefixes");
                map.insert("addressPrefix".into(), json!(prefix));
            }
            if let Some(nsg) = args.get("--network-security-group") {
                body["networkSecurityGroup"] = json!({ "id": nsg, "resourceGroup": address.rg });
            }
        }
        "storage account" => {
            let name = address.name();
            body["primaryEndpoints"] = json!({
                "blob": format!("https://{name}.blob.core.windows.net/"),
                "file": format!("https://{name}.file.core.windows.net/"),
            });
            body["sku"] = json!({ "name": args.get("--sku").unwrap_or("Standard_RAGRS") });
            body["kind"] = json!(args.get("--kind").unwrap_or("StorageV2"));
        }
        "vm" if body.get(PRIVATE).is_none() => {
            body["hardwareProfile"] =
                json!({ "vmSize": args.get("--size").unwrap_or("Standard_DS1_v2") });
            body["osProfile"] = json!({
                "adminUsername": args.get("--admin-username"),
                "computerName": address.name(),
            });
            body[PRIVATE] = json!({ "power": "running", "generalized": false });
        }
        _ => {}
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
    call.store.put(&address.record(body))
}

/// The JSON `show` and `list` print for a stored body.
pub fn view(call: &mut Call, address: &Address, body: &Value) -> Result<Value, SimError> {
    let mut out = public(body);
    if address.family.path == "network vnet" {
        let subnets = call.store.list(
            "network vnet subnet",
            Some(&address.rg.to_lowercase()),
            Some(&address.name().to_lowercase()),
        )?;
        out["subnets"] = Value::Array(subnets.iter().map(|r| public(&r.body)).collect());
    }
    if address.family.path == "vm" && call.args.has("--show-details") {
        out["powerState"] = json!(power_state(body));
        out["privateIps"] = json!("10.0.0.4");
        out["publicIps"] = json!("");
        out["fqdns"] = json!("");
    }
    Ok(out)
}

/// What a create prints: `az vm create` prints a summary, everything else the resource.
pub fn create_output(call: &mut Call, address: &Address, body: &Value) -> Result<Value, SimError> {
    if address.family.path != "vm" {
        return view(call, address, body);
    }
    Ok(json!({
        "fqdns": "",
        "id": body["id"],
        "location": body["location"],
        "macAddress": "00-0D-3A-00-00-01",
        "powerState": power_state(body),
        "privateIpAddress": "10.0.0.4",
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
