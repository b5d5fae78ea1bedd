//! The simulator stores what Azure stores: ARM property names and types, updates that merge into
//! the resource, references checked, and the CLI's answers to commands it does not have.

#[path = "common/sim_az.rs"]
mod sim_az;

use sim_az::{Sim, code, stderr};

fn network() -> Sim {
    let sim = Sim::new();
    for line in [
        "group create -n rg -l westeurope",
        "network vnet create -g rg -n vnet --address-prefixes 10.20.0.0/16",
        "network nsg create -g rg -n nsg-hosts",
    ] {
        sim.ok(line);
    }
    sim
}

#[test]
fn storage_account_update_keeps_what_create_set() {
    let sim = network();
    sim.ok("storage account create -g rg -n stfslogix01 --sku Premium_LRS --kind FileStorage --enable-files-aadkerb true --min-tls-version TLS1_2 --https-only true");
    let updated = sim.json(
        "storage account update -g rg -n stfslogix01 --public-network-access Disabled --default-action Deny",
    );
    assert_eq!(updated["sku"]["name"], "Premium_LRS");
    assert_eq!(updated["sku"]["tier"], "Premium");
    assert_eq!(updated["kind"], "FileStorage");
    assert_eq!(updated["enableHttpsTrafficOnly"], true);
    assert_eq!(updated["minimumTlsVersion"], "TLS1_2");
    assert_eq!(updated["publicNetworkAccess"], "Disabled");
    assert_eq!(updated["networkRuleSet"]["defaultAction"], "Deny");
    assert_eq!(
        updated["azureFilesIdentityBasedAuthentication"]["directoryServiceOptions"],
        "AADKERB"
    );
    assert!(updated.get("enableFilesAadkerb").is_none());
    let share = sim.json("storage share-rm create -g rg --storage-account stfslogix01 -n profiles --quota 1024 --enabled-protocols SMB");
    assert_eq!(share["shareQuota"], 1024);
    assert_eq!(share["enabledProtocols"], "SMB");
    let share = sim.json(
        "storage share-rm update -g rg --storage-account stfslogix01 -n profiles --quota 2048",
    );
    assert_eq!(share["shareQuota"], 2048);
    assert_eq!(share["accessTier"], "Premium");
    let standard = sim.az("storage account create -g rg -n stbad01 --kind FileStorage");
    assert_eq!(code(&standard), 1);
    assert!(stderr(&standard).contains("(InvalidRequestPropertyValue)"));
}

#[test]
fn vnet_update_keeps_the_address_space() {
    let sim = network();
    let vnet = sim.json("network vnet update -g rg -n vnet --dns-servers 10.20.0.4 10.20.0.5");
    assert_eq!(vnet["addressSpace"]["addressPrefixes"][0], "10.20.0.0/16");
    assert_eq!(vnet["dhcpOptions"]["dnsServers"][1], "10.20.0.5");
    let created = sim.json("network vnet create -g rg -n vnet2");
    assert_eq!(
        created["newVNet"]["addressSpace"]["addressPrefixes"][0],
        "10.0.0.0/16"
    );
}

#[test]
fn subnets_reference_their_nsg_by_full_id() {
    let sim = network();
    let subnet = sim.json("network vnet subnet create -g rg --vnet-name vnet -n snet-hosts --address-prefixes 10.20.1.0/24 --network-security-group nsg-hosts --service-endpoints Microsoft.Storage --private-endpoint-network-policies Disabled");
    let nsg = sim.json("network nsg show -g rg -n nsg-hosts");
    assert_eq!(subnet["networkSecurityGroup"]["id"], nsg["id"]);
    assert!(
        subnet["networkSecurityGroup"]["id"]
            .as_str()
            .unwrap()
            .starts_with("/subscriptions/")
    );
    assert_eq!(
        subnet["serviceEndpoints"][0]["service"],
        "Microsoft.Storage"
    );
    assert_eq!(subnet["serviceEndpoints"][0]["locations"][0], "westeurope");
    assert_eq!(subnet["addressPrefix"], "10.20.1.0/24");
    let updated = sim.json("network vnet subnet update -g rg --vnet-name vnet -n snet-hosts --private-endpoint-network-policies Enabled");
    assert_eq!(updated["networkSecurityGroup"]["id"], nsg["id"]);
    assert_eq!(updated["privateEndpointNetworkPolicies"], "Enabled");
    let missing = sim.az("network vnet subnet create -g rg --vnet-name vnet -n s2 --address-prefixes 10.20.2.0/24 --network-security-group nope");
    assert_eq!(code(&missing), 1);
    assert!(stderr(&missing).contains("(InvalidResourceReference) Resource /subscriptions/"));
}

#[test]
fn nsg_rules_have_numbers_tags_and_unique_priorities() {
    let sim = network();
    let rule = sim.json("network nsg rule create -g rg --nsg-name nsg-hosts -n AllowAVD --priority 100 --direction Outbound --access Allow --protocol Tcp --destination-address-prefixes WindowsVirtualDesktop --destination-port-ranges 443");
    assert_eq!(rule["priority"], 100);
    assert_eq!(rule["destinationAddressPrefix"], "WindowsVirtualDesktop");
    assert_eq!(rule["destinationPortRange"], "443");
    assert_eq!(rule["sourceAddressPrefix"], "*");
    let clash = sim.az("network nsg rule create -g rg --nsg-name nsg-hosts -n Other --priority 100 --direction Outbound --destination-address-prefixes AzureMonitor");
    assert!(
        stderr(&clash).contains("(SecurityRuleConflict)"),
        "{}",
        stderr(&clash)
    );
    let bad = sim.az("network nsg rule create -g rg --nsg-name nsg-hosts -n Bad --priority 110 --destination-address-prefixes NoSuchTag");
    assert!(stderr(&bad).contains("(SecurityRuleInvalidAddressPrefix)"));
    let nsg = sim.json("network nsg show -g rg -n nsg-hosts");
    assert_eq!(nsg["securityRules"][0]["name"], "AllowAVD");
    assert_eq!(nsg["defaultSecurityRules"].as_array().unwrap().len(), 6);
}

#[test]
fn peerings_connect_when_both_sides_exist() {
    let sim = network();
    sim.ok("network vnet create -g rg -n hub --address-prefixes 10.0.0.0/16");
    let peering = sim.json("network vnet peering create -g rg --vnet-name vnet -n to-hub --remote-vnet hub --allow-vnet-access");
    assert_eq!(peering["peeringState"], "Initiated");
    assert_eq!(peering["allowVirtualNetworkAccess"], true);
    assert_eq!(
        peering["remoteAddressSpace"]["addressPrefixes"][0],
        "10.0.0.0/16"
    );
    sim.ok("network vnet peering create -g rg --vnet-name hub -n to-spoke --remote-vnet vnet --allow-vnet-access");
    let shown = sim.json("network vnet peering show -g rg --vnet-name vnet -n to-hub");
    assert_eq!(shown["peeringState"], "Connected");
    sim.ok("network route-table create -g rg -n rt --disable-bgp-route-propagation true");
    let route = sim.json("network route-table route create -g rg --route-table-name rt -n default --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address 10.0.0.4");
    assert_eq!(route["nextHopType"], "VirtualAppliance");
    let table = sim.json("network route-table show -g rg -n rt");
    assert_eq!(table["routes"][0]["nextHopIpAddress"], "10.0.0.4");
    assert_eq!(table["disableBgpRoutePropagation"], true);
}

#[test]
fn private_dns_and_endpoints_check_their_targets() {
    let sim = network();
    sim.ok("network vnet subnet create -g rg --vnet-name vnet -n snet-pe --address-prefixes 10.20.2.0/24");
    sim.ok("storage account create -g rg -n stfslogix01 --sku Premium_LRS --kind FileStorage");
    sim.ok("network private-dns zone create -g rg -n privatelink.file.core.windows.net");
    let link = sim.json("network private-dns link vnet create -g rg --zone-name privatelink.file.core.windows.net -n link --virtual-network vnet --registration-enabled false");
    assert_eq!(link["registrationEnabled"], false);
    assert!(
        link["virtualNetwork"]["id"]
            .as_str()
            .unwrap()
            .ends_with("/virtualNetworks/vnet")
    );
    let account = sim.json("storage account show -g rg -n stfslogix01");
    let id = account["id"].as_str().unwrap();
    let pe = sim.json_args(&[
        "network",
        "private-endpoint",
        "create",
        "-g",
        "rg",
        "-n",
        "pe-files",
        "--vnet-name",
        "vnet",
        "--subnet",
        "snet-pe",
        "--private-connection-resource-id",
        id,
        "--group-id",
        "file",
        "--connection-name",
        "files",
    ]);
    assert_eq!(
        pe["privateLinkServiceConnections"][0]["groupIds"][0],
        "file"
    );
    assert_eq!(
        pe["privateLinkServiceConnections"][0]["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );
    let group = sim.json("network private-endpoint dns-zone-group create -g rg --endpoint-name pe-files -n default --private-dns-zone privatelink.file.core.windows.net --zone-name file");
    assert!(
        group["privateDnsZoneConfigs"][0]["privateDnsZoneId"]
            .as_str()
            .unwrap()
            .ends_with("/privateDnsZones/privatelink.file.core.windows.net")
    );
    let missing = sim.az("network private-endpoint create -g rg -n pe2 --vnet-name vnet --subnet nope --private-connection-resource-id /subscriptions/x/y --group-id file --connection-name c");
    assert_eq!(code(&missing), 1);
    assert!(stderr(&missing).contains("(InvalidResourceReference)"));
}

#[test]
fn commands_the_cli_lacks_fail_as_the_cli_does() {
    let sim = network();
    let out = sim.az("network vnet frob -g rg -n vnet");
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "ERROR: 'frob' is misspelled or not recognized by the system.\n"
    );
    let out = sim.az("network vnet wait -g rg -n vnet");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains(
        "incorrect usage: --created | --updated | --deleted | --exists | --custom JMESPATH"
    ));
    let out = sim.az("group delete -n rg");
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("Unable to prompt for confirmation as no tty available. Use --yes.")
    );
    let help = sim.az("network vnet");
    assert_eq!(code(&help), 0);
}
