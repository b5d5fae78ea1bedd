//! Virtual machines as Azure builds them: `vm create` checks its image and subnet, creates the NIC
//! (`<vm>VMNic`), OS disk (`<vm>_OsDisk_1_<hex>`) and, unless given `""`, an NSG and public IP;
//! the VM's profiles carry ARM names; deleting a VM detaches (or deletes) its NIC and disk.

use serde_json::{Value, json};

use crate::call::Call;
use crate::catalog::by_path;
use crate::failure::{AzFailure, CallError};
use crate::network::guid_of;
use crate::props::{self, boolean, text};
use crate::references;
use crate::resource::{Address, PRIVATE, new_body};

/// Applies `vm create` (the first time) or `vm update` to `body`.
pub fn vm(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    if let Value::Object(map) = body {
        map.remove("etag");
    }
    if !creating {
        if let Some(size) = text(&call.args, "--size") {
            body["hardwareProfile"]["vmSize"] = json!(size);
        }
        if let Some(license) = text(&call.args, "--license-type") {
            body["licenseType"] = json!(license);
        }
        return Ok(());
    }
    let name = address.name().to_owned();
    // As az does, the computer name defaults to the VM name without the characters Windows
    // refuses; Azure then checks the length.
    let computer = text(&call.args, "--computer-name").unwrap_or_else(|| {
        name.chars()
            .filter(|c| !"`~!@#$%^&*()=+_[]{}\\|;:'\",<>/?".contains(*c))
            .collect()
    });
    check_computer_name(&computer)?;
    check_password(&call.args)?;
    let image = image_reference(call, address)?;
    let subnet = subnet_id(call, address)?;
    let location = body["location"].as_str().unwrap_or("eastus").to_owned();
    let trusted = call
        .args
        .get("--security-type")
        .is_some_and(|t| t.eq_ignore_ascii_case("TrustedLaunch"));
    let nic = create_nic(call, address, &subnet, &location, &body["id"])?;
    let disk = create_disk(call, address, &location, &body["id"], trusted, &image)?;
    body["hardwareProfile"] =
        json!({ "vmSize": call.args.get("--size").unwrap_or("Standard_DS1_v2") });
    body["storageProfile"] = json!({
        "dataDisks": [],
        "imageReference": image,
        "osDisk": {
            "caching": "ReadWrite", "createOption": "FromImage",
            "deleteOption": call.args.get("--os-disk-delete-option").unwrap_or("Detach"),
            "diskSizeGB": 127,
            "managedDisk": { "id": disk, "resourceGroup": address.rg, "storageAccountType": "Premium_LRS" },
            "name": props::id_name(&disk), "osType": "Windows",
        },
    });
    body["osProfile"] = json!({
        "adminUsername": call.args.get("--admin-username"),
        "allowExtensionOperations": true,
        "computerName": computer,
        "secrets": [],
        "windowsConfiguration": { "enableAutomaticUpdates": true, "provisionVMAgent": true },
    });
    body["networkProfile"] = json!({ "networkInterfaces": [{
        "deleteOption": call.args.get("--nic-delete-option").unwrap_or("Detach"),
        "id": nic, "resourceGroup": address.rg,
    }]});
    if trusted {
        let secure_boot = boolean(&call.args, "--enable-secure-boot")?.unwrap_or(true);
        let vtpm = boolean(&call.args, "--enable-vtpm")?.unwrap_or(true);
        body["securityProfile"] = json!({
            "securityType": "TrustedLaunch",
            "uefiSettings": { "secureBootEnabled": secure_boot, "vTpmEnabled": vtpm },
        });
    }
    if let Some(license) = text(&call.args, "--license-type") {
        body["licenseType"] = json!(license);
    }
    if call.args.has("--assign-identity") {
        body["identity"] = json!({
            "principalId": guid_of(&json!(format!("{}/identity", body["id"]))),
            "tenantId": crate::directory::TENANT, "type": "SystemAssigned",
        });
    }
    body["priority"] = json!("Regular");
    body["vmId"] = json!(guid_of(&body["id"]));
    body["timeCreated"] = json!(crate::clock::iso_now());
    body[PRIVATE] =
        json!({ "power": "running", "generalized": false, "privateIp": nic_ip(call, &nic)? });
    Ok(())
}

/// Windows computer names: at most 15 characters, not all digits.
fn check_computer_name(name: &str) -> Result<(), AzFailure> {
    let bad_char = name
        .chars()
        .any(|c| "`~!@#$%^&*()=+_[]{}\\|;:.'\",<>/?".contains(c));
    if name.len() <= 15 && !name.chars().all(|c| c.is_ascii_digit()) && !bad_char {
        return Ok(());
    }
    Err(AzFailure::service(
        "InvalidParameter",
        "Windows computer name cannot be more than 15 characters long, be entirely numeric, or \
         contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : . ' \" , < > / ?.\n\
         Target: 'computerName'",
        1,
    ))
}

/// The CLI's own check of a Windows admin password.
fn check_password(args: &crate::args::AzArgs) -> Result<(), AzFailure> {
    let Some(password) = args.get("--admin-password") else {
        return Ok(());
    };
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if !(12..=123).contains(&password.len()) {
        return Err(AzFailure::service_plain(
            "The password length must be between 12 and 123",
        ));
    }
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err(AzFailure::service_plain(
            "Password must have the 3 of the following: 1 lower case character, 1 upper case \
             character, 1 number and 1 special character",
        ));
    }
    Ok(())
}

/// The image as `storageProfile.imageReference`: a gallery image (version or definition, which
/// must exist) by id, or a marketplace URN `publisher:offer:sku:version`.
fn image_reference(call: &mut Call, address: &Address) -> Result<Value, CallError> {
    let image = call.args.require("--image")?.to_owned();
    if image.starts_with('/') {
        let found = call.store.find_id(&image)?;
        let is_version = image.to_ascii_lowercase().contains("/versions/");
        let usable = match &found {
            Some(_) if is_version => true,
            Some(definition) => !call
                .store
                .list(
                    "sig image-version",
                    Some(&definition.rg),
                    Some(&format!("{}/{}", definition.parent, definition.name).to_lowercase()),
                )?
                .is_empty(),
            None => false,
        };
        if !usable {
            let location = call.group_location(&address.rg)?;
            return Err(AzFailure::service(
                "GalleryImageNotFound",
                &format!(
                    "The gallery image {image} is not available in {location} region. Please contact \
                     image owner to replicate to this region, or change your requested region."
                ),
                1,
            )
            .into());
        }
        return Ok(json!({ "id": image }));
    }
    let parts: Vec<&str> = image.split(':').collect();
    Ok(match parts.as_slice() {
        [publisher, offer, sku, version] => json!({
            "exactVersion": if *version == "latest" { "26100.2605.241207" } else { version },
            "offer": offer, "publisher": publisher, "sku": sku, "version": version,
        }),
        _ => json!({ "offer": image, "publisher": "", "sku": "", "version": "latest" }),
    })
}

/// The subnet the NIC joins: `--subnet` id, or `--vnet-name`/`--subnet` names (an existing VNet
/// must hold the subnet; a missing VNet is created with the subnet), or `<vm>VNET`/`<vm>Subnet`.
fn subnet_id(call: &mut Call, address: &Address) -> Result<String, CallError> {
    let own = format!("{}/networkInterfaces/{}VMNic", address.rg, address.name());
    if let Some(id) = call.args.get("--subnet").filter(|s| s.starts_with('/')) {
        let id = id.to_owned();
        references::existing(call, &id, &own)?;
        return Ok(id);
    }
    let vnet = call
        .args
        .get("--vnet-name")
        .map_or_else(|| format!("{}VNET", address.name()), str::to_owned);
    let subnet = call
        .args
        .get("--subnet")
        .map_or_else(|| format!("{}Subnet", address.name()), str::to_owned);
    let sub = call.settings.subscription.clone();
    let vnet_id = props::resource_id(
        &sub,
        &address.rg,
        "Microsoft.Network/virtualNetworks",
        &vnet,
    );
    let subnet_id = format!("{vnet_id}/subnets/{subnet}");
    if call.store.find_id(&vnet_id)?.is_some() {
        references::existing(call, &subnet_id, &own)?;
        return Ok(subnet_id);
    }
    let location = call.group_location(&address.rg)?;
    let vnet_family = family("network vnet")?;
    let vnet_address = Address {
        family: vnet_family,
        rg: address.rg.clone(),
        names: vec![vnet.clone()],
    };
    let mut body = new_body(
        &vnet_address,
        &crate::args::AzArgs::default(),
        &sub,
        &location,
    );
    body["addressSpace"] = json!({ "addressPrefixes": ["10.0.0.0/16"] });
    body["dhcpOptions"] = json!({ "dnsServers": [] });
    call.store.put(&vnet_address.record(body))?;
    let subnet_address = Address {
        family: family("network vnet subnet")?,
        rg: address.rg.clone(),
        names: vec![vnet, subnet],
    };
    let mut body = new_body(
        &subnet_address,
        &crate::args::AzArgs::default(),
        &sub,
        &location,
    );
    if let Value::Object(map) = &mut body {
        map.remove("location");
        map.remove("tags");
    }
    body["addressPrefix"] = json!("10.0.0.0/24");
    call.store.put(&subnet_address.record(body))?;
    Ok(subnet_id)
}

fn family(path: &str) -> Result<&'static crate::catalog::Family, AzFailure> {
    by_path(path).ok_or_else(|| AzFailure::usage(&format!("{path} is not simulated")))
}

fn create_nic(
    call: &mut Call,
    address: &Address,
    subnet: &str,
    location: &str,
    vm_id: &Value,
) -> Result<String, CallError> {
    let rg = address.rg.clone();
    let name = address.name();
    let nsg = match call.args.get("--nsg") {
        Some("") => None,
        Some(given) => Some(given.to_owned()),
        None => Some(format!("{name}NSG")),
    };
    let nsg_id = match nsg {
        Some(nsg) => Some(side_resource(
            call,
            "network nsg",
            &rg,
            &nsg,
            location,
            |body| {
                body["securityRules"] = json!([]);
            },
        )?),
        None => None,
    };
    let public_ip = match call.args.get("--public-ip-address") {
        Some("") => None,
        Some(given) => Some(given.to_owned()),
        None => Some(format!("{name}PublicIP")),
    };
    let public_ip_id = match public_ip {
        Some(ip) => Some(side_resource(
            call,
            "network public-ip",
            &rg,
            &ip,
            location,
            |body| {
                body["publicIPAllocationMethod"] = json!("Static");
                body["sku"] = json!({ "name": "Standard", "tier": "Regional" });
            },
        )?),
        None => None,
    };
    let nics = call.store.list("network nic", None, None)?;
    let index = nics
        .iter()
        .filter(|n| {
            n.body["ipConfigurations"][0]["subnet"]["id"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(subnet))
        })
        .count();
    let prefix = call
        .store
        .find_id(subnet)?
        .map(|r| r.body["addressPrefix"].clone());
    let ip = host_address(
        prefix
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or("10.0.0.0/24"),
        index + 4,
    );
    let vm_id = vm_id.clone();
    let subnet = subnet.to_owned();
    let nic = side_resource(
        call,
        "network nic",
        &rg,
        &format!("{name}VMNic"),
        location,
        |body| {
            body["ipConfigurations"] = json!([{
                "name": format!("ipconfig{name}"), "primary": true, "privateIPAddress": ip,
                "privateIPAllocationMethod": "Dynamic", "privateIPAddressVersion": "IPv4",
                "publicIPAddress": public_ip_id.as_ref().map(|id| json!({ "id": id })),
                "subnet": { "id": subnet, "resourceGroup": references::id_group(&subnet) },
            }]);
            body["networkSecurityGroup"] = nsg_id
                .as_ref()
                .map_or(Value::Null, |id| json!({ "id": id }));
            body["virtualMachine"] = json!({ "id": vm_id });
            body["primary"] = json!(true);
            body["macAddress"] = json!("00-0D-3A-00-00-01");
        },
    )?;
    Ok(nic)
}

/// The `n`th address of an IPv4 prefix (`10.0.1.0/24`, 4 → `10.0.1.4`).
fn host_address(prefix: &str, n: usize) -> String {
    let base = prefix.split('/').next().unwrap_or("10.0.0.0");
    let octets: Vec<u32> = base.split('.').filter_map(|o| o.parse().ok()).collect();
    if octets.len() != 4 {
        return "10.0.0.4".to_owned();
    }
    let value = (octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3])
        .wrapping_add(u32::try_from(n).unwrap_or(4));
    format!(
        "{}.{}.{}.{}",
        value >> 24,
        (value >> 16) & 255,
        (value >> 8) & 255,
        value & 255
    )
}

fn nic_ip(call: &mut Call, nic: &str) -> Result<Value, CallError> {
    Ok(call.store.find_id(nic)?.map_or(json!("10.0.0.4"), |r| {
        r.body["ipConfigurations"][0]["privateIPAddress"].clone()
    }))
}

fn create_disk(
    call: &mut Call,
    address: &Address,
    location: &str,
    vm_id: &Value,
    trusted: bool,
    image: &Value,
) -> Result<String, CallError> {
    let name = call.args.get("--os-disk-name").map_or_else(
        || {
            format!(
                "{}_OsDisk_1_{}",
                address.name(),
                guid_of(vm_id).replace('-', "")
            )
        },
        str::to_owned,
    );
    let vm_id = vm_id.clone();
    let image = image.clone();
    let rg = address.rg.clone();
    side_resource(call, "disk", &rg, &name, location, |body| {
        body["diskSizeGB"] = json!(127);
        body["diskState"] = json!("Attached");
        body["managedBy"] = vm_id;
        body["osType"] = json!("Windows");
        body["hyperVGeneration"] = json!("V2");
        body["sku"] = json!({ "name": "Premium_LRS", "tier": "Premium" });
        let source = if image.get("id").is_some() {
            "galleryImageReference"
        } else {
            "imageReference"
        };
        body["creationData"] = json!({ "createOption": "FromImage", source: image });
        if trusted {
            body["securityProfile"] = json!({ "securityType": "TrustedLaunch" });
        }
    })
}

/// Stores a resource `vm create` makes on the side and returns its id.
fn side_resource(
    call: &mut Call,
    path: &str,
    rg: &str,
    name: &str,
    location: &str,
    fill: impl FnOnce(&mut Value),
) -> Result<String, CallError> {
    let address = Address {
        family: family(path)?,
        rg: rg.to_owned(),
        names: vec![name.to_owned()],
    };
    if let Some(existing) = call.store.get(&address.key())? {
        return Ok(existing.body["id"].as_str().unwrap_or_default().to_owned());
    }
    let mut body = new_body(
        &address,
        &crate::args::AzArgs::default(),
        &call.settings.subscription,
        location,
    );
    if let Value::Object(map) = &mut body {
        map.retain(|k, _| !k.starts_with(char::is_uppercase));
    }
    fill(&mut body);
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    call.store.put(&address.record(body))?;
    Ok(id)
}

/// What deleting a VM does to its NIC and OS disk: deleted when their `deleteOption` says so,
/// otherwise detached (they stay, as in Azure).
pub fn release_dependents(call: &mut Call, vm: &Value) -> Result<(), CallError> {
    let nics = vm["networkProfile"]["networkInterfaces"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let disk = &vm["storageProfile"]["osDisk"];
    let mut targets: Vec<(String, bool, &str)> = nics
        .iter()
        .filter_map(|n| {
            Some((
                n["id"].as_str()?.to_owned(),
                n["deleteOption"] == "Delete",
                "virtualMachine",
            ))
        })
        .collect();
    if let Some(id) = disk["managedDisk"]["id"].as_str() {
        targets.push((id.to_owned(), disk["deleteOption"] == "Delete", "managedBy"));
    }
    for (id, delete, link) in targets {
        let Some(mut record) = call.store.find_id(&id)? else {
            continue;
        };
        if delete {
            call.store.delete(&record.key)?;
        } else {
            record.body[link] = Value::Null;
            if link == "managedBy" {
                record.body["diskState"] = json!("Unattached");
            }
            call.store.put(&record)?;
        }
    }
    Ok(())
}

/// A NIC or disk still attached to a VM cannot be deleted.
pub fn check_detached(call: &mut Call, address: &Address) -> Result<(), CallError> {
    let Some(record) = call.store.get(&address.key())? else {
        return Ok(());
    };
    match address.family.path {
        "network nic" => {
            if let Some(vm) = record.body["virtualMachine"]["id"].as_str() {
                return Err(AzFailure::service(
                    "NicInUse",
                    &format!(
                        "Network Interface {} is used by existing resource {vm}. In order to delete \
                         the network interface, it must be dissociated from the resource. To learn \
                         more, see aka.ms/deletenic.",
                        record.body["id"].as_str().unwrap_or_default()
                    ),
                    1,
                )
                .into());
            }
        }
        "disk" => {
            if let Some(vm) = record.body["managedBy"].as_str() {
                return Err(AzFailure::service(
                    "OperationNotAllowed",
                    &format!("Disk {} is attached to VM {vm}.", address.name()),
                    1,
                )
                .into());
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_names_and_passwords_are_checked() {
        assert!(check_computer_name("vm-avd-sh-1").is_ok());
        assert!(check_computer_name("vm-avd-golden-image").is_err());
        assert!(check_computer_name("12345").is_err());
        assert_eq!(host_address("10.20.1.0/24", 5), "10.20.1.5");
    }
}
