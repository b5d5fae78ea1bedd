//! Microsoft.Network resources as Azure stores them: a VNet's address space and DNS servers,
//! subnets with their NSG, route table, service endpoints and policies, peerings, route tables,
//! private DNS links and private endpoints. A write touches only the properties its flags name.

use serde_json::{Value, json};

use crate::call::Call;
use crate::failure::{AzFailure, CallError};
use crate::props::{self, boolean, choice, text};
use crate::references;
use crate::resource::Address;

/// Applies the flags of a network create or update to `body` (defaults only when `creating`).
pub fn shape(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    match address.family.path {
        "network vnet" => vnet(call, body, creating),
        "network vnet subnet" => subnet(call, address, body, creating)?,
        "network vnet peering" => peering(call, address, body, creating)?,
        "network nsg" if creating => {
            body["securityRules"] = json!([]);
            body["defaultSecurityRules"] = default_rules(&body["id"]);
            body["resourceGuid"] = json!(guid_of(&body["id"]));
        }
        "network route-table" => {
            if creating {
                body["disableBgpRoutePropagation"] = json!(false);
            }
            if let Some(v) = boolean(&call.args, "--disable-bgp-route-propagation")? {
                body["disableBgpRoutePropagation"] = json!(v);
            }
        }
        "network route-table route" => route(call, body)?,
        "network private-dns zone" if creating => {
            body["numberOfRecordSets"] = json!(1);
            body["maxNumberOfRecordSets"] = json!(25_000);
            body["numberOfVirtualNetworkLinks"] = json!(0);
            body["maxNumberOfVirtualNetworkLinks"] = json!(1000);
            body["internalId"] = json!(guid_of(&body["id"]));
        }
        "network private-dns link vnet" => dns_link(call, address, body)?,
        "network private-endpoint" => private_endpoint(call, address, body)?,
        "network private-endpoint dns-zone-group" => zone_group(call, address, body)?,
        _ => {}
    }
    Ok(())
}

fn vnet(call: &Call, body: &mut Value, creating: bool) {
    let args = &call.args;
    if creating {
        body["addressSpace"] = json!({ "addressPrefixes": ["10.0.0.0/16"] });
        body["dhcpOptions"] = json!({ "dnsServers": [] });
        body["enableDdosProtection"] = json!(false);
        body["resourceGuid"] = json!(guid_of(&body["id"]));
    }
    if args.has("--address-prefixes") {
        body["addressSpace"]["addressPrefixes"] = props::strings(args.values("--address-prefixes"));
    }
    if args.has("--dns-servers") {
        let servers: Vec<&String> = args
            .values("--dns-servers")
            .iter()
            .filter(|s| !s.is_empty())
            .collect();
        body["dhcpOptions"] = json!({ "dnsServers": servers });
    }
}

fn subnet(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    let command = call.args.command();
    if let Value::Object(map) = body {
        map.remove("location");
        map.remove("tags");
    }
    if creating {
        body["privateEndpointNetworkPolicies"] = json!("Disabled");
        body["privateLinkServiceNetworkPolicies"] = json!("Enabled");
        body["delegations"] = json!([]);
    }
    if let Value::Object(map) = body {
        match call.args.values("--address-prefixes") {
            [] => {}
            [one] => {
                map.remove("addressPrefixes");
                map.insert("addressPrefix".into(), json!(one));
            }
            many => {
                map.remove("addressPrefix");
                map.insert("addressPrefixes".into(), props::strings(many));
            }
        }
    }
    let own_id = body["id"].as_str().unwrap_or_default().to_owned();
    for (flag, key, kind) in [
        (
            "--network-security-group",
            "networkSecurityGroup",
            "Microsoft.Network/networkSecurityGroups",
        ),
        (
            "--route-table",
            "routeTable",
            "Microsoft.Network/routeTables",
        ),
    ] {
        if let Some(name) = text(&call.args, flag) {
            link(call, address, body, key, kind, &name, &own_id)?;
        }
    }
    if call.args.has("--service-endpoints") {
        let location = vnet_location(call, address)?;
        let endpoints: Vec<Value> = call
            .args
            .values("--service-endpoints")
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| json!({ "locations": [location], "provisioningState": "Succeeded", "service": s }))
            .collect();
        body["serviceEndpoints"] = Value::Array(endpoints);
    }
    let policies = [
        "Disabled",
        "Enabled",
        "NetworkSecurityGroupEnabled",
        "RouteTableEnabled",
    ];
    let args = &call.args;
    if let Some(v) = choice(
        args,
        &command,
        "--private-endpoint-network-policies",
        &policies,
    )? {
        body["privateEndpointNetworkPolicies"] = json!(v);
    }
    let flag = "--private-link-service-network-policies";
    if let Some(v) = choice(args, &command, flag, &["Disabled", "Enabled"])? {
        body["privateLinkServiceNetworkPolicies"] = json!(v);
    }
    if args.has("--delegations") {
        let delegations: Vec<Value> = args
            .values("--delegations")
            .iter()
            .enumerate()
            .map(|(i, service)| json!({ "name": i.to_string(), "serviceName": service }))
            .collect();
        body["delegations"] = Value::Array(delegations);
    }
    Ok(())
}

/// Points `key` at the resource `name` (or id) of `kind`, or removes it for "".
fn link(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    key: &str,
    kind: &str,
    name: &str,
    own_id: &str,
) -> Result<(), CallError> {
    if name.is_empty() || name.eq_ignore_ascii_case("null") {
        if let Value::Object(map) = body {
            map.remove(key);
        }
        return Ok(());
    }
    let id = props::resource_id(&call.settings.subscription, &address.rg, kind, name);
    let target = references::target(call, &id, own_id)?;
    let id = target
        .as_ref()
        .and_then(|t| t["id"].as_str())
        .map_or(id.clone(), str::to_owned);
    body[key] = json!({ "id": id, "resourceGroup": references::id_group(&id) });
    Ok(())
}

fn vnet_location(call: &mut Call, address: &Address) -> Result<String, CallError> {
    let vnet = Address {
        family: crate::catalog::by_path("network vnet")
            .ok_or_else(|| AzFailure::usage("network vnet is not simulated"))?,
        rg: address.rg.clone(),
        names: address.names[..1].to_vec(),
    };
    let body = call.existing(&vnet)?;
    Ok(body["location"].as_str().unwrap_or("eastus").to_owned())
}

fn peering(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    if let Value::Object(map) = body {
        map.remove("location");
        map.remove("tags");
    }
    if creating {
        let remote = call.args.require("--remote-vnet")?.to_owned();
        let id = props::resource_id(
            &call.settings.subscription,
            &address.rg,
            "Microsoft.Network/virtualNetworks",
            &remote,
        );
        let own = body["id"].as_str().unwrap_or_default().to_owned();
        let target = references::target(call, &id, &own)?;
        body["remoteVirtualNetwork"] =
            json!({ "id": id, "resourceGroup": references::id_group(&id) });
        if let Some(target) = target {
            body["remoteAddressSpace"] = target["addressSpace"].clone();
        }
        for key in [
            "allowVirtualNetworkAccess",
            "allowForwardedTraffic",
            "allowGatewayTransit",
            "useRemoteGateways",
        ] {
            body[key] = json!(false);
        }
        body["peeringSyncLevel"] = json!("FullyInSync");
    }
    for (flag, key) in [
        ("--allow-vnet-access", "allowVirtualNetworkAccess"),
        ("--allow-forwarded-traffic", "allowForwardedTraffic"),
        ("--allow-gateway-transit", "allowGatewayTransit"),
        ("--use-remote-gateways", "useRemoteGateways"),
    ] {
        if let Some(v) = boolean(&call.args, flag)? {
            body[key] = json!(v);
        }
    }
    Ok(())
}

/// A peering is `Connected` once the remote VNet peers back, `Initiated` before.
pub fn peering_state(call: &mut Call, body: &Value) -> Result<&'static str, CallError> {
    let Some(remote) = body["remoteVirtualNetwork"]["id"].as_str() else {
        return Ok("Initiated");
    };
    let own_vnet = body["id"]
        .as_str()
        .and_then(|id| id.rsplit_once("/virtualNetworkPeerings/"))
        .map_or("", |(vnet, _)| vnet)
        .to_ascii_lowercase();
    let rg = references::id_group(remote).to_lowercase();
    let name = props::id_name(remote).to_lowercase();
    let back = call
        .store
        .list("network vnet peering", Some(&rg), Some(&name))?
        .into_iter()
        .any(|r| {
            r.body["remoteVirtualNetwork"]["id"]
                .as_str()
                .is_some_and(|id| id.to_ascii_lowercase() == own_vnet)
        });
    Ok(if back { "Connected" } else { "Initiated" })
}

fn route(call: &mut Call, body: &mut Value) -> Result<(), CallError> {
    let command = call.args.command();
    if let Value::Object(map) = body {
        map.remove("location");
        map.remove("tags");
    }
    if let Some(prefix) = text(&call.args, "--address-prefix") {
        body["addressPrefix"] = json!(prefix);
    }
    let hops = [
        "Internet",
        "None",
        "VirtualAppliance",
        "VirtualNetworkGateway",
        "VnetLocal",
    ];
    if let Some(hop) = choice(&call.args, &command, "--next-hop-type", &hops)? {
        body["nextHopType"] = json!(hop);
    }
    if let Some(ip) = text(&call.args, "--next-hop-ip-address") {
        body["nextHopIpAddress"] = json!(ip);
    }
    if body["nextHopType"] == "VirtualAppliance" && body["nextHopIpAddress"].as_str().is_none() {
        return Err(AzFailure::service(
            "InvalidRoute",
            "Route has an invalid nextHopIpAddress: the next hop type VirtualAppliance needs a next hop IP address.",
            1,
        )
        .into());
    }
    Ok(())
}

fn dns_link(call: &mut Call, address: &Address, body: &mut Value) -> Result<(), CallError> {
    if let Some(vnet) = text(&call.args, "--virtual-network") {
        let id = props::resource_id(
            &call.settings.subscription,
            &address.rg,
            "Microsoft.Network/virtualNetworks",
            &vnet,
        );
        let own = body["id"].as_str().unwrap_or_default().to_owned();
        references::target(call, &id, &own)?;
        body["virtualNetwork"] = json!({ "id": id });
        body["virtualNetworkLinkState"] = json!("Completed");
    }
    if let Some(v) = boolean(&call.args, "--registration-enabled")? {
        body["registrationEnabled"] = json!(v);
    }
    Ok(())
}

fn private_endpoint(call: &mut Call, address: &Address, body: &mut Value) -> Result<(), CallError> {
    let own = body["id"].as_str().unwrap_or_default().to_owned();
    if let Some(subnet) = text(&call.args, "--subnet") {
        let id = if subnet.starts_with('/') {
            subnet
        } else {
            let vnet = call.args.require("--vnet-name")?;
            format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}",
                call.settings.subscription, address.rg
            )
        };
        references::target(call, &id, &own)?;
        body["subnet"] = json!({ "id": id, "resourceGroup": references::id_group(&id) });
    }
    if let Some(target) = text(&call.args, "--private-connection-resource-id") {
        references::target(call, &target, &own)?;
        let groups = match call.args.values("--group-id") {
            [] => call.args.values("--group-ids").to_vec(),
            given => given.to_vec(),
        };
        let connection = call.args.require("--connection-name")?.to_owned();
        body["privateLinkServiceConnections"] = json!([{
            "groupIds": groups,
            "id": format!("{own}/privateLinkServiceConnections/{connection}"),
            "name": connection,
            "privateLinkServiceConnectionState": {
                "actionsRequired": "None", "description": "Auto-Approved", "status": "Approved"
            },
            "privateLinkServiceId": target,
            "provisioningState": "Succeeded",
            "type": "Microsoft.Network/privateEndpoints/privateLinkServiceConnections",
        }]);
        body["manualPrivateLinkServiceConnections"] = json!([]);
        let nic = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkInterfaces/{}.nic.{}",
            call.settings.subscription,
            address.rg,
            address.name(),
            guid_of(&body["id"])
        );
        body["networkInterfaces"] = json!([{ "id": nic, "resourceGroup": address.rg }]);
        body["customDnsConfigs"] = json!([]);
    }
    Ok(())
}

fn zone_group(call: &mut Call, address: &Address, body: &mut Value) -> Result<(), CallError> {
    if let Value::Object(map) = body {
        map.remove("location");
        map.remove("tags");
    }
    let Some(zone) = text(&call.args, "--private-dns-zone") else {
        return Ok(());
    };
    let id = props::resource_id(
        &call.settings.subscription,
        &address.rg,
        "Microsoft.Network/privateDnsZones",
        &zone,
    );
    let own = body["id"].as_str().unwrap_or_default().to_owned();
    references::target(call, &id, &own)?;
    let config = call.args.require("--zone-name")?.to_owned();
    body["privateDnsZoneConfigs"] = json!([{
        "id": format!("{own}/privateDnsZoneConfigs/{config}"),
        "name": config,
        "privateDnsZoneId": id,
        "recordSets": [{
            "fqdn": format!("{}.{}", address.names[0], props::id_name(&id)),
            "ipAddresses": ["10.0.1.4"],
            "provisioningState": "Succeeded",
            "recordSetName": address.names[0],
            "recordType": "A",
            "ttl": 10,
        }],
    }]);
    Ok(())
}

/// The security rules every NSG starts with.
fn default_rules(nsg_id: &Value) -> Value {
    let nsg = nsg_id.as_str().unwrap_or_default();
    let rule = |name: &str, priority: u32, direction: &str, access: &str, src: &str, dst: &str| {
        json!({
            "access": access, "description": "", "destinationAddressPrefix": dst,
            "destinationAddressPrefixes": [], "destinationPortRange": "*", "destinationPortRanges": [],
            "direction": direction, "id": format!("{nsg}/defaultSecurityRules/{name}"),
            "name": name, "priority": priority, "protocol": "*", "provisioningState": "Succeeded",
            "sourceAddressPrefix": src, "sourceAddressPrefixes": [], "sourcePortRange": "*",
            "sourcePortRanges": [], "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
        })
    };
    json!([
        rule(
            "AllowVnetInBound",
            65000,
            "Inbound",
            "Allow",
            "VirtualNetwork",
            "VirtualNetwork"
        ),
        rule(
            "AllowAzureLoadBalancerInBound",
            65001,
            "Inbound",
            "Allow",
            "AzureLoadBalancer",
            "*"
        ),
        rule("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
        rule(
            "AllowVnetOutBound",
            65000,
            "Outbound",
            "Allow",
            "VirtualNetwork",
            "VirtualNetwork"
        ),
        rule(
            "AllowInternetOutBound",
            65001,
            "Outbound",
            "Allow",
            "*",
            "Internet"
        ),
        rule("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
    ])
}

/// A stable GUID derived from a resource id.
pub fn guid_of(id: &Value) -> String {
    let text = id.as_str().unwrap_or_default().to_ascii_lowercase();
    let hash = text.bytes().fold(0x811c_9dc5_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        hash >> 32,
        (hash >> 16) & 0xffff,
        hash & 0xfff,
        (hash >> 20) & 0xfff,
        hash & 0xffff_ffff_ffff
    )
}
