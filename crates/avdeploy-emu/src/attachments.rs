//! What a VM attaches: its OS disk (a `Microsoft.Compute/disks` resource Azure creates with it)
//! and its network interfaces (which record the VM), and the deletes attachments refuse.

use serde_json::{Value, json};

use crate::arm_id::ResourceRef;
use crate::exchange::Response;
use crate::world::World;

const VM: &str = "microsoft.compute/virtualmachines";
const NIC: &str = "microsoft.network/networkinterfaces";
const DISK: &str = "microsoft.compute/disks";

/// After a VM is stored: its OS disk exists and is managed by it, its NICs name it.
pub(crate) fn after_write(world: &mut World, resource: &ResourceRef, stored: &Value) {
    if resource.type_name.to_ascii_lowercase() != VM {
        return;
    }
    let Some(group) = &resource.group else {
        return;
    };
    let mut vm = stored.clone();
    let os_disk = &vm["properties"]["storageProfile"]["osDisk"];
    if let Some(name) = os_disk["name"].as_str() {
        let disk_id = format!(
            "/subscriptions/{}/resourceGroups/{group}/providers/Microsoft.Compute/disks/{name}",
            resource.subscription
        );
        if world.store.get(&disk_id).is_none() {
            world.store.put(json!({
                "id": disk_id, "name": name, "type": "Microsoft.Compute/disks",
                "location": vm["location"], "tags": {},
                "managedBy": resource.id,
                "sku": {"name": os_disk["managedDisk"]["storageAccountType"].as_str().unwrap_or("Premium_LRS")},
                "properties": {"osType": "Windows", "diskSizeGB": 127, "diskState": "Attached",
                    "creationData": {"createOption": "FromImage"}, "provisioningState": "Succeeded",
                    "timeCreated": avdeploy_sim::clock::iso_now()},
            }));
        }
        vm["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"] = json!(disk_id);
        world.store.put(vm.clone());
    }
    let nics: Vec<String> = vm["properties"]["networkProfile"]["networkInterfaces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str().map(str::to_owned))
        .collect();
    for id in nics {
        if let Some(mut nic) = world.store.get(&id).cloned() {
            nic["properties"]["virtualMachine"] = json!({"id": resource.id});
            world.store.put(nic);
        }
    }
}

/// After a VM is deleted: its disk and NICs are detached (Azure keeps them).
pub(crate) fn after_delete(world: &mut World, resource: &ResourceRef) {
    if resource.type_name.to_ascii_lowercase() != VM {
        return;
    }
    let vm = resource.id.to_ascii_lowercase();
    let attached: Vec<Value> = world
        .store
        .resources()
        .filter(|r| {
            r["managedBy"]
                .as_str()
                .is_some_and(|m| m.eq_ignore_ascii_case(&vm))
                || r["properties"]["virtualMachine"]["id"]
                    .as_str()
                    .is_some_and(|m| m.eq_ignore_ascii_case(&vm))
        })
        .cloned()
        .collect();
    for mut item in attached {
        if let Some(map) = item.as_object_mut() {
            map.remove("managedBy");
        }
        if let Some(props) = item["properties"].as_object_mut() {
            props.remove("virtualMachine");
            if props.contains_key("diskState") {
                props.insert("diskState".into(), json!("Unattached"));
            }
        }
        world.store.put(item);
    }
}

/// A NIC or disk still attached to a VM cannot be deleted.
pub(crate) fn check_delete(world: &World, resource: &ResourceRef) -> Option<Response> {
    let stored = world.store.get(&resource.id)?;
    match resource.type_name.to_ascii_lowercase().as_str() {
        NIC => {
            let vm = stored["properties"]["virtualMachine"]["id"].as_str()?;
            world.store.get(vm)?;
            Some(Response::error(
                400,
                "NicInUse",
                &format!(
                    "Network Interface {} is used by existing resource {vm}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.",
                    resource.id
                ),
            ))
        }
        DISK => {
            let vm = stored["managedBy"].as_str()?;
            world.store.get(vm)?;
            Some(Response::error(
                409,
                "OperationNotAllowed",
                &format!("Disk {} is attached to VM {vm}.", resource.name),
            ))
        }
        _ => None,
    }
}
