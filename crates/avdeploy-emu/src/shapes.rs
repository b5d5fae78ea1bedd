//! What Azure adds to a resource it stores, per type (VM ids and identities, NIC addresses,
//! storage endpoints, role assignment checks), what it never returns (admin passwords), and the
//! deletes it refuses.

use serde_json::{Value, json};

use crate::arm_id::ResourceRef;
use crate::exchange::Response;
use crate::faults::Injected;
use crate::store::PRIVATE;
use crate::world::World;

/// Completes `next` (about to replace `existing`) as Azure would, or refuses the write.
pub(crate) fn complete(
    world: &mut World,
    resource: &ResourceRef,
    next: &mut Value,
    existing: Option<&Value>,
    fault: Option<&Injected>,
) -> Result<(), Response> {
    let kind = resource.type_name.to_ascii_lowercase();
    keep_private(next, existing);
    match kind.as_str() {
        "microsoft.compute/virtualmachines/runcommands" => {
            crate::run_command::complete_managed(world, resource, next, fault)?;
        }
        "microsoft.network/networksecuritygroups" => default_rules(resource, next),
        "microsoft.authorization/roleassignments" => {
            crate::roles::complete_assignment(world, resource, next, existing)?;
        }
        "microsoft.compute/virtualmachines" => virtual_machine(next, existing),
        "microsoft.network/networkinterfaces" => network_interface(resource, next),
        "microsoft.network/publicipaddresses" => {
            let address = existing
                .and_then(|e| e["properties"]["ipAddress"].as_str())
                .map_or_else(|| address_for(&resource.id, "20.0"), str::to_owned);
            next["properties"]["ipAddress"] = json!(address);
        }
        "microsoft.storage/storageaccounts" => storage_account(resource, next, existing),
        _ => {}
    }
    if resource.parent.is_none() && !resource.is_group() {
        identity(next, existing, &world.config.tenant_id);
    }
    Ok(())
}

/// Refuses deletes Azure refuses: a subnet that network interfaces still use.
pub(crate) fn check_delete(world: &World, resource: &ResourceRef) -> Option<Response> {
    if !resource
        .type_name
        .eq_ignore_ascii_case("Microsoft.Network/virtualNetworks/subnets")
    {
        return None;
    }
    let subnet = resource.id.to_ascii_lowercase();
    let user = world.store.resources().find(|r| {
        r["properties"]["ipConfigurations"]
            .as_array()
            .is_some_and(|configs| {
                configs.iter().any(|c| {
                    c["properties"]["subnet"]["id"]
                        .as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(&subnet))
                })
            })
    })?;
    Some(Response::error(
        400,
        "InUseSubnetCannotBeDeleted",
        &format!(
            "Subnet {} is in use by {} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
            resource.name,
            user["id"].as_str().unwrap_or_default()
        ),
    ))
}

/// The six rules Azure puts in every network security group.
fn default_rules(resource: &ResourceRef, next: &mut Value) {
    let rules = [
        (
            "AllowVnetInBound",
            65000,
            "Inbound",
            "Allow",
            "VirtualNetwork",
            "VirtualNetwork",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            65001,
            "Inbound",
            "Allow",
            "AzureLoadBalancer",
            "*",
        ),
        ("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
        (
            "AllowVnetOutBound",
            65000,
            "Outbound",
            "Allow",
            "VirtualNetwork",
            "VirtualNetwork",
        ),
        (
            "AllowInternetOutBound",
            65001,
            "Outbound",
            "Allow",
            "*",
            "Internet",
        ),
        ("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
    ];
    let shown: Vec<Value> = rules
        .iter()
        .map(|(name, priority, direction, access, source, destination)| {
            json!({
                "id": format!("{}/defaultSecurityRules/{name}", resource.id),
                "name": name,
                "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "description": format!("Default rule {name}"),
                    "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                    "sourceAddressPrefix": source, "destinationAddressPrefix": destination,
                    "access": access, "priority": priority, "direction": direction,
                },
            })
        })
        .collect();
    next["properties"]["defaultSecurityRules"] = json!(shown);
}

fn keep_private(next: &mut Value, existing: Option<&Value>) {
    if let Some(private) = existing.and_then(|e| e.get(PRIVATE)) {
        next[PRIVATE] = private.clone();
    }
}

fn virtual_machine(next: &mut Value, existing: Option<&Value>) {
    let props = &mut next["properties"];
    if let Some(os) = props["osProfile"].as_object_mut() {
        os.remove("adminPassword");
        os.remove("customData");
    }
    let keep = |field: &str, fresh: String| {
        existing
            .and_then(|e| e["properties"][field].as_str())
            .map_or(fresh, str::to_owned)
    };
    props["vmId"] = json!(keep("vmId", crate::ids::guid()));
    props["timeCreated"] = json!(keep("timeCreated", avdeploy_sim::clock::iso_now()));
    let old_disk = existing.map(|e| e["properties"]["storageProfile"]["osDisk"].clone());
    let os_disk = &mut props["storageProfile"]["osDisk"];
    if os_disk.is_object()
        && os_disk["name"].is_null()
        && let Some(old) = old_disk.filter(|d| d["name"].is_string())
    {
        *os_disk = old;
    }
    if os_disk.is_object() && os_disk["name"].is_null() {
        let name = format!(
            "{}_OsDisk_1_{}",
            next["name"].as_str().unwrap_or("vm"),
            &crate::ids::guid().replace('-', "")[..16]
        );
        next["properties"]["storageProfile"]["osDisk"]["name"] = json!(name);
    }
    if next[PRIVATE]["powerState"].is_null() {
        next[PRIVATE]["powerState"] = json!("running");
    }
}

fn network_interface(resource: &ResourceRef, next: &mut Value) {
    let Some(configs) = next["properties"]["ipConfigurations"].as_array_mut() else {
        return;
    };
    for (index, config) in configs.iter_mut().enumerate() {
        let name = config["name"]
            .as_str()
            .map_or_else(|| format!("ipconfig{}", index + 1), str::to_owned);
        config["name"] = json!(name);
        config["id"] = json!(format!("{}/ipConfigurations/{name}", resource.id));
        config["type"] = json!("Microsoft.Network/networkInterfaces/ipConfigurations");
        let props = &mut config["properties"];
        if props["privateIPAddress"].is_null() {
            props["privateIPAddress"] = json!(address_for(&resource.id, "10.0"));
            props["privateIPAllocationMethod"] = json!("Dynamic");
        }
        props["provisioningState"] = json!("Succeeded");
        props["primary"] = json!(index == 0);
    }
    if next["properties"]["macAddress"].is_null() {
        let digits = crate::ids::guid().replace('-', "").to_uppercase();
        let mac: Vec<&str> = (0..6).map(|i| &digits[i * 2..i * 2 + 2]).collect();
        next["properties"]["macAddress"] = json!(mac.join("-"));
    }
}

fn storage_account(resource: &ResourceRef, next: &mut Value, existing: Option<&Value>) {
    let name = &resource.name;
    let location = next["location"].clone();
    let created = existing
        .and_then(|e| e["properties"]["creationTime"].as_str())
        .map_or_else(avdeploy_sim::clock::iso_now, str::to_owned);
    let props = &mut next["properties"];
    props["creationTime"] = json!(created);
    props["primaryLocation"] = location;
    props["statusOfPrimary"] = json!("available");
    props["primaryEndpoints"] = json!({
        "blob": format!("https://{name}.blob.core.windows.net/"),
        "file": format!("https://{name}.file.core.windows.net/"),
        "queue": format!("https://{name}.queue.core.windows.net/"),
        "table": format!("https://{name}.table.core.windows.net/"),
    });
    if next["kind"].is_null() {
        next["kind"] = json!("StorageV2");
    }
}

/// A system-assigned identity gets a principal in the tenant (kept across updates).
fn identity(next: &mut Value, existing: Option<&Value>, tenant: &str) {
    let Some(kind) = next["identity"]["type"].as_str() else {
        return;
    };
    if !kind.to_ascii_lowercase().contains("systemassigned") {
        return;
    }
    let principal = existing
        .and_then(|e| e["identity"]["principalId"].as_str())
        .map_or_else(crate::ids::guid, str::to_owned);
    next["identity"]["principalId"] = json!(principal);
    next["identity"]["tenantId"] = json!(tenant);
}

/// A stable private address for a resource id, under `prefix` (two octets).
fn address_for(id: &str, prefix: &str) -> String {
    let h = id
        .to_ascii_lowercase()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("{prefix}.{}.{}", (h >> 8) % 250 + 1, h % 250 + 4)
}
