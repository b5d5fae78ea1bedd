//! `az rest`: Resource Manager URLs (GET, PUT, PATCH, DELETE of simulated resources, in the REST
//! shape with `properties`) and the Microsoft Graph endpoints of Entra single sign-on
//! (`remoteDesktopSecurityConfiguration` and its `targetDeviceGroups`).

use serde_json::{Map, Value, json};

use crate::call::Call;
use crate::catalog::{FAMILIES, Family};
use crate::failure::{AzFailure, CallError, http_error};
use crate::resource::{Address, new_body, public};
use crate::shapes;

/// Keys Resource Manager keeps outside `properties`.
const ENVELOPE: &[&str] = &[
    "etag",
    "id",
    "identity",
    "kind",
    "location",
    "managedBy",
    "name",
    "plan",
    "sku",
    "systemData",
    "tags",
    "type",
    "zones",
];

/// Answers `az rest --method M --url U [--body B]`.
pub fn rest(call: &mut Call) -> Result<Value, CallError> {
    let url = call
        .args
        .get("--url")
        .or(call.args.get("--uri"))
        .ok_or_else(|| AzFailure::usage("the following arguments are required: --url/--uri/-u"))?
        .replace("{subscriptionId}", &call.settings.subscription);
    let method = call
        .args
        .get("--method")
        .unwrap_or("get")
        .to_ascii_uppercase();
    let body = match call.args.get("--body") {
        Some(raw) => Some(parse_body(raw)?),
        None => None,
    };
    let path = url.split('?').next().unwrap_or_default();
    if let Some(graph) = path.strip_prefix("https://graph.microsoft.com/v1.0/") {
        return crate::graph::handle(call, &method, graph, body);
    }
    let path = path
        .strip_prefix("https://management.azure.com")
        .unwrap_or(path);
    arm(call, &method, path, body)
}

fn parse_body(raw: &str) -> Result<Value, AzFailure> {
    let text = match raw.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file).map_err(|e| {
            AzFailure::usage(&format!("argument --body: cannot read '{file}': {e}"))
        })?,
        None => raw.to_owned(),
    };
    serde_json::from_str(&text)
        .map_err(|_| AzFailure::service_plain(&format!("Failed to parse --body as JSON: {text}")))
}

fn arm(call: &mut Call, method: &str, path: &str, body: Option<Value>) -> Result<Value, CallError> {
    let Some((family, address, collection)) = locate(path) else {
        return Err(http_error(
            "Bad Request",
            "InvalidResourceType",
            &format!("The resource type could not be found for '{path}'."),
        )
        .into());
    };
    if collection {
        call.read_delay();
        let parent = address.names.join("/").to_lowercase();
        let records =
            call.store
                .list(family.path, Some(&address.rg.to_lowercase()), Some(&parent))?;
        let mut items = Vec::new();
        for record in records {
            let mut names = address.names.clone();
            names.push(record.name.clone());
            let item = Address {
                family,
                rg: address.rg.clone(),
                names,
            };
            items.push(to_rest(&shapes::view(call, &item, &record.body)?));
        }
        return Ok(json!({ "value": items }));
    }
    let found = call.store.get(&address.key())?;
    match (method, found) {
        ("GET", Some(record)) => {
            call.read_delay();
            Ok(to_rest(&shapes::view(call, &address, &record.body)?))
        }
        ("DELETE", Some(record)) => {
            let key = record.key;
            call.write(f64::from(family.write_seconds) / 2.0, None, move |call| {
                call.store.delete(&key)?;
                Ok(Value::Null)
            })
        }
        ("DELETE", None) => Ok(Value::Null),
        ("PUT" | "PATCH", found) => write(call, &address, found.map(|r| r.body), method, body),
        (_, None) => Err(missing(call, &address)?.into()),
        (other, Some(_)) => Err(http_error(
            "Method Not Allowed",
            "MethodNotAllowed",
            &format!("The requested resource does not support http method '{other}'."),
        )
        .into()),
    }
}

fn write(
    call: &mut Call,
    address: &Address,
    found: Option<Value>,
    method: &str,
    input: Option<Value>,
) -> Result<Value, CallError> {
    let input = input.unwrap_or_else(|| json!({}));
    let location = match input["location"].as_str() {
        Some(l) => l.to_owned(),
        None => call.group_location(&address.rg)?,
    };
    if let Some(parent) = address.parent_address() {
        call.existing(&parent)?;
    }
    let mut body = match (found, method) {
        (Some(body), _) => body,
        (None, "PATCH") => return Err(missing(call, address)?.into()),
        (None, _) => {
            let sub = call.settings.subscription.clone();
            new_body(address, &crate::args::AzArgs::default(), &sub, &location)
        }
    };
    for (key, value) in from_rest(&input) {
        if key != "id" && key != "name" && key != "type" {
            merge(&mut body[key.as_str()], value);
        }
    }
    if address.family.path == "desktopvirtualization scaling-plan" {
        let own = body["id"].as_str().unwrap_or_default().to_owned();
        let pools: Vec<String> = body["hostPoolReferences"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|p| p["hostPoolArmPath"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for pool in pools {
            crate::references::existing(call, &pool, &own)?;
        }
    }
    let record = address.record(body.clone());
    call.write(f64::from(address.family.write_seconds), None, move |call| {
        call.store.put(&record)?;
        Ok(to_rest(&public(&body)))
    })
}

/// Objects merge key by key; anything else replaces.
fn merge(target: &mut Value, value: Value) {
    match (target, value) {
        (Value::Object(target), Value::Object(value)) => {
            for (key, v) in value {
                merge(target.entry(key).or_insert(Value::Null), v);
            }
        }
        (target, value) => *target = value,
    }
}

fn missing(call: &mut Call, address: &Address) -> Result<AzFailure, CallError> {
    if call.group_location(&address.rg).is_err() {
        return Ok(http_error(
            "Not Found",
            "ResourceGroupNotFound",
            &format!("Resource group '{}' could not be found.", address.rg),
        ));
    }
    Ok(http_error(
        "Not Found",
        "ResourceNotFound",
        &format!(
            "The Resource '{}/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            address.family.arm_type(),
            address.name(),
            address.rg
        ),
    ))
}

/// The family, address and whether the URL names a collection, of a Resource Manager path.
fn locate(path: &str) -> Option<(&'static Family, Address, bool)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rg_at = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("resourceGroups"))?;
    let rg = (*parts.get(rg_at + 1)?).to_owned();
    let providers = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("providers"))?;
    let provider = *parts.get(providers + 1)?;
    let rest = &parts[providers + 2..];
    let collections: Vec<&str> = rest.iter().step_by(2).copied().collect();
    let names: Vec<String> = rest
        .iter()
        .skip(1)
        .step_by(2)
        .map(|s| (*s).to_owned())
        .collect();
    let family = FAMILIES.iter().find(|f| {
        f.provider.eq_ignore_ascii_case(provider)
            && f.chain.len() == collections.len()
            && f.chain
                .iter()
                .zip(&collections)
                .all(|(s, c)| s.collection.eq_ignore_ascii_case(c))
    })?;
    let collection = names.len() < collections.len();
    Some((family, Address { family, rg, names }, collection))
}

/// A printed resource in Resource Manager's REST shape: envelope keys, the rest in `properties`.
pub fn to_rest(flat: &Value) -> Value {
    let Value::Object(map) = flat else {
        return flat.clone();
    };
    let mut out = Map::new();
    let mut properties = Map::new();
    for (key, value) in map {
        if ENVELOPE.contains(&key.as_str()) {
            out.insert(key.clone(), value.clone());
        } else if key != "resourceGroup" {
            properties.insert(key.clone(), value.clone());
        }
    }
    out.insert("properties".into(), Value::Object(properties));
    Value::Object(out)
}

/// A REST body flattened as the CLI stores and prints it.
fn from_rest(rest: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Value::Object(map) = rest {
        for (key, value) in map {
            match (key.as_str(), value) {
                ("properties", Value::Object(properties)) => {
                    out.extend(properties.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                _ => out.push((key.clone(), value.clone())),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_families_and_collections() {
        let (family, address, collection) = locate(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DesktopVirtualization/hostPools/hp/sessionHosts",
        )
        .unwrap();
        assert_eq!(family.path, "desktopvirtualization sessionhost");
        assert_eq!(address.names, ["hp"]);
        assert!(collection);
        let rest = to_rest(&json!({"id": "x", "resourceGroup": "rg", "timeZone": "UTC"}));
        assert_eq!(rest, json!({"id": "x", "properties": {"timeZone": "UTC"}}));
        let mut target = json!({"a": {"b": 1}, "c": [1]});
        merge(&mut target, json!({"a": {"d": 2}, "c": [2]}));
        assert_eq!(target, json!({"a": {"b": 1, "d": 2}, "c": [2]}));
    }
}
