//! The file service's data plane: `storage share create|exists|show|delete --account-name A`.
//!
//! Azure keeps one set of shares per account whichever plane writes them, so these commands read
//! and write the same resources as `storage share-rm`. A storage account's name is unique in
//! Azure, which is how the data plane finds it without a resource group. The credentials are
//! checked as the service checks them: a given `--account-key` (or the one in
//! `--connection-string`) must be one of the account's keys; without one the CLI looks the key up
//! itself, which needs nothing more here. Data-plane writes are not Resource Manager writes: they
//! spend no ARM write tokens and hold no lock.

use serde_json::{Value, json};

use crate::args::AzArgs;
use crate::call::{Call, Outcome};
use crate::catalog::{READ_SECONDS, by_path};
use crate::clock;
use crate::failure::{AzFailure, CallError};
use crate::resource::{Address, new_body};
use crate::shapes;
use crate::storage::account_key;

/// Answers `az storage share <verb>`.
pub(crate) fn dispatch(call: &mut Call, verb: &str) -> Outcome {
    let share = share_address(call)?;
    clock::pass(READ_SECONDS / 2.0, call.settings.time_scale);
    let existing = call.store.get(&share.key())?.map(|record| record.body);
    match (verb, existing) {
        ("exists", found) => Ok(json!({ "exists": found.is_some() })),
        ("show", Some(body)) => Ok(data_plane_view(&body)),
        ("show", None) => Err(storage_error(
            "ShareNotFound",
            "The specified share does not exist.",
            3,
        )),
        ("create", Some(_)) if call.args.has("--fail-on-exist") => Err(storage_error(
            "ShareAlreadyExists",
            "The specified share already exists.",
            1,
        )),
        ("create", Some(_)) => Ok(json!({ "created": false })),
        ("create", None) => create(call, &share),
        ("delete", Some(_)) => {
            call.store.delete(&share.key())?;
            Ok(json!({ "deleted": true }))
        }
        ("delete", None) if call.args.has("--fail-not-exist") => Err(storage_error(
            "ShareNotFound",
            "The specified share does not exist.",
            3,
        )),
        _ => Ok(json!({ "deleted": false })),
    }
}

/// The share named by `--name` in the account named by `--account-name` or the connection
/// string, after the account's credentials were checked.
fn share_address(call: &mut Call) -> Result<Address, CallError> {
    let share = call.args.require("--name")?.to_owned();
    let connection = connection_string(&call.args);
    let account = call
        .args
        .get("--account-name")
        .map(str::to_owned)
        .or_else(|| connection.get("AccountName").cloned())
        .ok_or_else(|| {
            AzFailure::usage("Missing account name: give --account-name or --connection-string")
        })?;
    let key = call
        .args
        .get("--account-key")
        .map(str::to_owned)
        .or_else(|| connection.get("AccountKey").cloned());
    let family = by_path("storage account").expect("storage account is a simulated family");
    let found = call
        .store
        .list(family.path, None, None)?
        .into_iter()
        .find(|record| record.name == account)
        .ok_or_else(|| unresolvable(&account))?;
    if key.is_some_and(|key| key != account_key(&account, 1) && key != account_key(&account, 2)) {
        return Err(storage_error(
            "AuthenticationFailed",
            "Server failed to authenticate the request. Make sure the value of Authorization \
             header is formed correctly including the signature.",
            1,
        ));
    }
    if !valid_share_name(&share) {
        return Err(storage_error(
            "InvalidResourceName",
            "The specifed resource name contains invalid characters.",
            1,
        ));
    }
    let rg = found.body["resourceGroup"]
        .as_str()
        .unwrap_or(&found.rg)
        .to_owned();
    let shares = by_path("storage share-rm").expect("storage share-rm is a simulated family");
    Ok(Address {
        family: shares,
        rg,
        names: vec![account, "default".to_owned(), share],
    })
}

/// Creates the share as `storage share-rm create` would, with `--quota` and `--metadata`.
fn create(call: &mut Call, share: &Address) -> Outcome {
    let location = call.group_location(&share.rg)?;
    let mut body = new_body(
        share,
        &AzArgs::default(),
        &call.settings.subscription,
        &location,
    );
    let given = std::mem::take(&mut call.args);
    call.args = AzArgs {
        path: given.path.clone(),
        flags: given
            .flags
            .iter()
            .filter(|(flag, _)| flag == "--quota")
            .cloned()
            .collect(),
        ..AzArgs::default()
    };
    let shaped = shapes::after_write(call, share, &mut body, true);
    call.args = given;
    shaped?;
    if let Some(pairs) = Some(call.args.values("--metadata")).filter(|v| !v.is_empty()) {
        let metadata: serde_json::Map<String, Value> = pairs
            .iter()
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect();
        body["metadata"] = Value::Object(metadata);
    }
    call.store.put(&share.record(body))?;
    Ok(json!({ "created": true }))
}

/// What `storage share show` prints for a stored share: the data plane's own shape.
fn data_plane_view(body: &Value) -> Value {
    let protocols = body["enabledProtocols"].as_str().unwrap_or("SMB");
    json!({
        "metadata": body.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "name": body["name"],
        "properties": {
            "etag": format!("\"0x8DC{:012X}\"", etag_of(body)),
            "lastModified": body["lastModifiedTime"],
            "quota": body["shareQuota"],
        },
        "snapshot": null,
        "accessTier": body["accessTier"],
        "deleted": null,
        "enabledProtocols": protocols,
        "lease": { "duration": null, "state": "available", "status": "unlocked" },
        "protocols": [protocols],
        "rootSquash": null,
        "version": null,
    })
}

/// A stable ETag for the share's current content.
fn etag_of(body: &Value) -> u64 {
    body.to_string().bytes().fold(0x811c_9dc5_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) & 0xFFFF_FFFF_FFFF
}

/// `AccountName=…;AccountKey=…` of `--connection-string`.
fn connection_string(args: &AzArgs) -> std::collections::BTreeMap<String, String> {
    args.get("--connection-string")
        .unwrap_or_default()
        .split(';')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Share names: 3-63 lower-case letters, digits and single dashes between them.
fn valid_share_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// A storage service error as the CLI prints it.
fn storage_error(code: &str, message: &str, exit: i32) -> CallError {
    let stamp = clock::iso_now();
    AzFailure {
        exit,
        stderr: format!(
            "ERROR: {message}\nRequestId:5b1c0f3e-001a-0042-3a5f-000000000000\nTime:{stamp}\n\
             ErrorCode:{code}\n"
        ),
    }
    .into()
}

/// An account that does not exist has no endpoint: the name does not resolve.
fn unresolvable(account: &str) -> CallError {
    AzFailure::service_plain(&format!(
        "HTTPSConnection(host='{account}.file.core.windows.net', port=443): Failed to resolve \
         '{account}.file.core.windows.net' ([Errno -2] Name or service not known)"
    ))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_names_follow_the_rules() {
        assert!(valid_share_name("fslogix-profiles"));
        for bad in ["ab", "Profiles", "-ab", "ab-", "a--b", &"a".repeat(64)] {
            assert!(!valid_share_name(bad), "{bad}");
        }
    }

    #[test]
    fn connection_strings_name_the_account_and_key() {
        let args = AzArgs::parse(&[
            "storage".into(),
            "share".into(),
            "show".into(),
            "--connection-string".into(),
            "DefaultEndpointsProtocol=https;AccountName=stavd;AccountKey=a2V5==;EndpointSuffix=core.windows.net".into(),
        ])
        .unwrap();
        let parts = connection_string(&args);
        assert_eq!(parts["AccountName"], "stavd");
        assert_eq!(parts["AccountKey"], "a2V5==");
    }
}
