//! `--query` and `--output` through the `az` shim match the Azure CLI's formats.

#[path = "common/sim_az.rs"]
mod sim_az;

use sim_az::{Sim, code, stderr};

fn sim() -> Sim {
    let sim = Sim::new();
    sim.ok("group create -n rg -l eastus");
    sim.ok("network vnet create -g rg -n vnet-a --address-prefixes 10.0.0.0/16");
    sim.ok("network vnet create -g rg -n vnet-b --address-prefixes 10.1.0.0/16 --tags env=dev");
    sim
}

#[test]
fn tsv_of_a_scalar_is_the_bare_value() {
    let sim = sim();
    let id = sim.ok("network vnet show -g rg -n vnet-a --query id -o tsv");
    assert!(
        id.starts_with("/subscriptions/") && id.ends_with("/virtualNetworks/vnet-a\n"),
        "{id}"
    );
    assert_eq!(
        sim.ok("network vnet list -g rg --query [].name -o tsv"),
        "vnet-a\nvnet-b\n"
    );
    assert_eq!(
        sim.ok("network vnet list -g rg --query length(@) -o tsv"),
        "2\n"
    );
}

#[test]
fn tsv_rows_keep_the_multiselect_order() {
    let sim = sim();
    let out = sim.ok("network vnet list -g rg --query [].{n:name,p:addressSpace.addressPrefixes[0],l:location} -o tsv");
    assert_eq!(
        out,
        "vnet-a\t10.0.0.0/16\teastus\nvnet-b\t10.1.0.0/16\teastus\n"
    );
}

#[test]
fn json_is_sorted_and_indented_and_query_filters() {
    let sim = sim();
    let out = sim.ok("network vnet list -g rg --query [?tags.env=='dev'].{name:name}");
    assert_eq!(out, "[\n  {\n    \"name\": \"vnet-b\"\n  }\n]\n");
    let jsonc = sim.ok("network vnet show -g rg -n vnet-a -o jsonc");
    assert_eq!(jsonc, sim.ok("network vnet show -g rg -n vnet-a -o json"));
    let keys: Vec<String> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&jsonc)
            .unwrap()
            .keys()
            .cloned()
            .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn table_yaml_and_none() {
    let sim = sim();
    let table = sim.ok("network vnet list -g rg --query [].{Name:name,Location:location} -o table");
    assert_eq!(
        table,
        "Name    Location\n------  ----------\nvnet-a  eastus\nvnet-b  eastus\n"
    );
    let yaml = sim.ok("group show -n rg -o yaml");
    assert!(
        yaml.contains("name: rg\n")
            && yaml.contains("properties:\n  provisioningState: Succeeded\n"),
        "{yaml}"
    );
    assert_eq!(sim.ok("group show -n rg --query name -o yaml"), "rg\n...\n");
    assert_eq!(sim.ok("network vnet show -g rg -n vnet-a -o none"), "");
    assert_eq!(sim.ok("group show -n rg --query nothing"), "");
}

#[test]
fn bad_query_or_format_is_a_usage_error() {
    let sim = sim();
    let out = sim.az_args(&["group", "show", "-n", "rg", "--query", "[?"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("invalid jmespath_type value"));
    let out = sim.az("group show -n rg -o xml");
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "ERROR: az group show: 'xml' is not a valid value for '--output'. Allowed values: json, jsonc, yaml, yamlc, table, tsv, none.\n"
    );
}
