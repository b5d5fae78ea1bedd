//! Microsoft.Storage resources as Azure stores them: a storage account's SKU, kind, TLS and HTTPS
//! settings, network rules and identity-based file authentication; file shares with quota and
//! protocols. Updates change only what their flags name.

use serde_json::{Value, json};

use crate::call::Call;
use crate::failure::{AzFailure, CallError};
use crate::props::{boolean, choice, integer, text};
use crate::resource::Address;

const SKUS: &[&str] = &[
    "Premium_LRS",
    "Premium_ZRS",
    "Standard_GRS",
    "Standard_GZRS",
    "Standard_LRS",
    "Standard_RAGRS",
    "Standard_RAGZRS",
    "Standard_ZRS",
];
const KINDS: &[&str] = &[
    "BlobStorage",
    "BlockBlobStorage",
    "FileStorage",
    "Storage",
    "StorageV2",
];

/// Applies the flags of `storage account create|update` or `storage share-rm create|update`.
pub fn shape(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    match address.family.path {
        "storage account" => account(call, address, body, creating),
        "storage share-rm" => share(call, address, body, creating),
        _ => Ok(()),
    }
}

fn account(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    let args = &call.args;
    let command = args.command();
    let name = address.name();
    if creating {
        check_name(name)?;
        body["sku"] = json!({ "name": "Standard_RAGRS", "tier": "Standard" });
        body["kind"] = json!("StorageV2");
        body["enableHttpsTrafficOnly"] = json!(true);
        body["minimumTlsVersion"] = json!("TLS1_2");
        body["allowBlobPublicAccess"] = json!(false);
        body["allowSharedKeyAccess"] = Value::Null;
        body["publicNetworkAccess"] = Value::Null;
        body["azureFilesIdentityBasedAuthentication"] = Value::Null;
        body["networkRuleSet"] = json!({
            "bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [],
            "resourceAccessRules": [], "virtualNetworkRules": [],
        });
        body["primaryLocation"] = body["location"].clone();
        body["statusOfPrimary"] = json!("available");
        body["creationTime"] = json!(crate::clock::iso_now());
        body["primaryEndpoints"] = json!({
            "blob": format!("https://{name}.blob.core.windows.net/"),
            "dfs": format!("https://{name}.dfs.core.windows.net/"),
            "file": format!("https://{name}.file.core.windows.net/"),
            "queue": format!("https://{name}.queue.core.windows.net/"),
            "table": format!("https://{name}.table.core.windows.net/"),
            "web": format!("https://{name}.z13.web.core.windows.net/"),
        });
    }
    if let Some(sku) = choice(args, &command, "--sku", SKUS)? {
        let tier = sku.split('_').next().unwrap_or("Standard").to_owned();
        body["sku"] = json!({ "name": sku, "tier": tier });
    }
    if let Some(kind) = choice(args, &command, "--kind", KINDS)? {
        body["kind"] = json!(kind);
    }
    let premium_only = matches!(
        body["kind"].as_str(),
        Some("FileStorage" | "BlockBlobStorage")
    );
    if premium_only && body["sku"]["tier"] != "Premium" {
        return Err(AzFailure::service(
            "InvalidRequestPropertyValue",
            &format!(
                "The value '{}' is not allowed for property sku.name with kind {}.",
                body["sku"]["name"].as_str().unwrap_or_default(),
                body["kind"].as_str().unwrap_or_default()
            ),
            1,
        )
        .into());
    }
    if creating && !premium_only {
        body["accessTier"] = json!("Hot");
    }
    if let Some(tier) = choice(args, &command, "--access-tier", &["Cool", "Hot", "Premium"])? {
        body["accessTier"] = json!(tier);
    }
    for (flag, key) in [
        ("--https-only", "enableHttpsTrafficOnly"),
        ("--allow-blob-public-access", "allowBlobPublicAccess"),
        ("--allow-shared-key-access", "allowSharedKeyAccess"),
        ("--enable-large-file-share", "largeFileSharesState"),
    ] {
        if let Some(v) = boolean(args, flag)? {
            body[key] = if key == "largeFileSharesState" {
                json!(if v { "Enabled" } else { "Disabled" })
            } else {
                json!(v)
            };
        }
    }
    let tls = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"];
    if let Some(v) = choice(args, &command, "--min-tls-version", &tls)? {
        body["minimumTlsVersion"] = json!(v);
    }
    let access = ["Disabled", "Enabled", "SecuredByPerimeter"];
    if let Some(v) = choice(args, &command, "--public-network-access", &access)? {
        body["publicNetworkAccess"] = json!(v);
    }
    if let Some(v) = choice(args, &command, "--default-action", &["Allow", "Deny"])? {
        body["networkRuleSet"]["defaultAction"] = json!(v);
    }
    if let Some(v) = text(args, "--bypass") {
        body["networkRuleSet"]["bypass"] = json!(v);
    }
    files_authentication(call, body)
}

/// `--enable-files-aadkerb` / `--enable-files-aadkds` / `--enable-files-adds` set
/// `azureFilesIdentityBasedAuthentication.directoryServiceOptions`.
fn files_authentication(call: &Call, body: &mut Value) -> Result<(), CallError> {
    let args = &call.args;
    for (flag, option) in [
        ("--enable-files-aadkerb", "AADKERB"),
        ("--enable-files-aadkds", "AADKDS"),
        ("--enable-files-adds", "AD"),
    ] {
        let Some(enabled) = boolean(args, flag)? else {
            continue;
        };
        let current = body["azureFilesIdentityBasedAuthentication"]["directoryServiceOptions"]
            .as_str()
            .unwrap_or("None")
            .to_owned();
        let options = match (enabled, current == option) {
            (true, _) => option.to_owned(),
            (false, true) => "None".to_owned(),
            (false, false) => current,
        };
        let mut auth =
            json!({ "defaultSharePermission": "None", "directoryServiceOptions": options });
        if let Some(permission) =
            body["azureFilesIdentityBasedAuthentication"].get("defaultSharePermission")
        {
            auth["defaultSharePermission"] = permission.clone();
        }
        body["azureFilesIdentityBasedAuthentication"] = auth;
    }
    let permissions = [
        "None",
        "StorageFileDataSmbShareContributor",
        "StorageFileDataSmbShareElevatedContributor",
        "StorageFileDataSmbShareReader",
    ];
    if let Some(v) = choice(
        args,
        &args.command(),
        "--default-share-permission",
        &permissions,
    )? {
        body["azureFilesIdentityBasedAuthentication"]["defaultSharePermission"] = json!(v);
    }
    Ok(())
}

/// Storage account names: 3-24 lower-case letters and digits.
fn check_name(name: &str) -> Result<(), AzFailure> {
    let valid = (3..=24).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if valid {
        return Ok(());
    }
    Err(AzFailure::service(
        "AccountNameInvalid",
        &format!(
            "{name} is not a valid storage account name. Storage account name must be between 3 and \
             24 characters in length and use numbers and lower-case letters only."
        ),
        1,
    ))
}

/// Key `n` (1 or 2) of storage account `name`, as `storage account keys list` shows it.
pub fn account_key(name: &str, n: u8) -> String {
    format!("c2ltdWxhdGVk{n}{}==", name.len())
}

fn share(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    let account = address
        .parent_address()
        .ok_or_else(|| AzFailure::usage("storage share-rm needs --storage-account"))?;
    let account = call.existing(&account)?;
    let premium = account["sku"]["tier"] == "Premium";
    if let Value::Object(map) = body {
        for key in ["location", "tags", "provisioningState"] {
            map.remove(key);
        }
    }
    if creating {
        body["shareQuota"] = json!(if premium { 100 } else { 102_400 });
        body["enabledProtocols"] = json!("SMB");
        body["accessTier"] = json!(if premium {
            "Premium"
        } else {
            "TransactionOptimized"
        });
    }
    body["lastModifiedTime"] = json!(crate::clock::iso_now());
    let args = &call.args;
    if let Some(quota) = integer(args, "--quota", 1, 102_400)? {
        if premium && quota < 100 {
            return Err(AzFailure::service(
                "InvalidHeaderValue",
                "The value for one of the HTTP headers is not in the correct format: a premium file share needs a quota of at least 100 GiB.",
                1,
            )
            .into());
        }
        body["shareQuota"] = json!(quota);
    }
    if let Some(v) = choice(
        args,
        &args.command(),
        "--enabled-protocols",
        &["NFS", "SMB"],
    )? {
        if !creating && v != body["enabledProtocols"] {
            return Err(AzFailure::usage(
                "argument --enabled-protocols: the protocol of an existing share cannot be changed",
            )
            .into());
        }
        body["enabledProtocols"] = json!(v);
    }
    let tiers = ["Cool", "Hot", "Premium", "TransactionOptimized"];
    if let Some(v) = choice(args, &args.command(), "--access-tier", &tiers)? {
        body["accessTier"] = json!(v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_follow_the_rules() {
        assert!(check_name("stavdprofiles01").is_ok());
        for bad in ["st", "StAvd", "st-avd", "a234567890123456789012345"] {
            assert!(
                check_name(bad)
                    .unwrap_err()
                    .stderr
                    .contains("(AccountNameInvalid)"),
                "{bad}"
            );
        }
    }
}
