//! Where a resource lives (its address from the command's flags) and the JSON Azure returns for
//! it: id, name, type, location, provisioningState, tags and the given flags as properties.

use serde_json::{Map, Value, json};

use crate::args::AzArgs;
use crate::catalog::{FAMILIES, Family};
use crate::failure::AzFailure;
use crate::store::Record;

/// Key of simulator-private data inside a stored body; never printed.
pub const PRIVATE: &str = "_sim";

/// Flags that never become properties.
const NOT_PROPERTIES: &[&str] = &[
    "--add",
    "--force-string",
    "--location",
    "--no-wait",
    "--remove",
    "--resource-group",
    "--set",
    "--tags",
    "--yes",
];

/// The position of a resource: its family, resource group and the names along its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Its family.
    pub family: &'static Family,
    /// Resource group as given ("" for resource groups themselves).
    pub rg: String,
    /// Names of the chain's levels, parents first.
    pub names: Vec<String>,
}

impl Address {
    /// The address named by the command's flags.
    pub fn from_args(family: &'static Family, args: &AzArgs) -> Result<Self, AzFailure> {
        if let Some(id) = args.get("--ids") {
            return Self::from_id(family, id).ok_or_else(|| {
                AzFailure::usage(&format!("argument --ids: invalid resource id '{id}'"))
            });
        }
        let rg = if family.path == "group" {
            String::new()
        } else {
            args.require("--resource-group")?.to_owned()
        };
        let names = family
            .chain
            .iter()
            .map(|segment| match segment.flag.strip_prefix('=') {
                Some(fixed) => Ok(fixed.to_owned()),
                None => args.require(segment.flag).map(str::to_owned),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { family, rg, names })
    }

    /// The address of `id` in `family`: its resource group and the names along the chain.
    pub fn from_id(family: &'static Family, id: &str) -> Option<Self> {
        let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
        let at = parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case("resourceGroups"))?;
        let rg = (*parts.get(at + 1)?).to_owned();
        if family.path == "group" {
            return Some(Self {
                family,
                rg: String::new(),
                names: vec![rg],
            });
        }
        let mut names = Vec::new();
        for segment in family.chain {
            let i = parts
                .iter()
                .position(|p| p.eq_ignore_ascii_case(segment.collection))?;
            names.push((*parts.get(i + 1)?).to_owned());
        }
        Some(Self { family, rg, names })
    }

    /// The resource's own name.
    pub fn name(&self) -> &str {
        self.names.last().map_or("", String::as_str)
    }

    /// Ancestor names joined with `/`, lower-case.
    pub fn parent(&self) -> String {
        self.names[..self.names.len().saturating_sub(1)]
            .join("/")
            .to_lowercase()
    }

    /// The store key (case-insensitive like Azure names).
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.family.path, self.rg, self.names.join("/")).to_lowercase()
    }

    /// The address of the parent resource, when the parent is itself a simulated family.
    pub fn parent_address(&self) -> Option<Self> {
        let mut chain_len = self.family.chain.len().checked_sub(1)?;
        while chain_len > 0 && self.family.chain[chain_len - 1].flag.starts_with('=') {
            chain_len -= 1;
        }
        let wanted = &self.family.chain[..chain_len];
        let parent = FAMILIES.iter().find(|f| {
            f.provider == self.family.provider
                && f.chain.len() == wanted.len()
                && f.chain
                    .iter()
                    .zip(wanted)
                    .all(|(a, b)| a.collection == b.collection)
        })?;
        Some(Self {
            family: parent,
            rg: self.rg.clone(),
            names: self.names[..chain_len].to_vec(),
        })
    }

    /// The ARM resource id.
    pub fn id(&self, subscription: &str) -> String {
        if self.family.path == "group" {
            return format!(
                "/subscriptions/{subscription}/resourceGroups/{}",
                self.name()
            );
        }
        let mut id = format!(
            "/subscriptions/{subscription}/resourceGroups/{}/providers/{}",
            self.rg, self.family.provider
        );
        for (segment, name) in self.family.chain.iter().zip(&self.names) {
            id.push_str(&format!("/{}/{name}", segment.collection));
        }
        id
    }

    /// A store record holding `body` at this address.
    pub fn record(&self, body: Value) -> Record {
        Record {
            key: self.key(),
            family: self.family.path.to_owned(),
            rg: self.rg.to_lowercase(),
            parent: self.parent(),
            name: self.name().to_owned(),
            body,
        }
    }
}

/// The body of a newly created resource.
pub fn new_body(address: &Address, args: &AzArgs, subscription: &str, location: &str) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), json!(address.id(subscription)));
    body.insert("name".into(), json!(address.name()));
    body.insert("type".into(), json!(address.family.arm_type()));
    body.insert("location".into(), json!(location));
    body.insert("tags".into(), Value::Object(tags(args)));
    if address.family.path == "group" {
        body.insert("managedBy".into(), Value::Null);
        body.insert(
            "properties".into(),
            json!({"provisioningState": "Succeeded"}),
        );
    } else {
        body.insert("resourceGroup".into(), json!(address.rg));
        body.insert("provisioningState".into(), json!("Succeeded"));
        body.insert(
            "etag".into(),
            json!(format!("W/\"{}\"", etag(&address.key()))),
        );
    }
    let mut body = Value::Object(body);
    if !crate::catalog::is_shaped(address.family.path) {
        merge_flags(&mut body, address, args);
    }
    body
}

/// Adds the command's flags (except addressing, secrets and global ones) as camelCase properties.
pub fn merge_flags(body: &mut Value, address: &Address, args: &AzArgs) {
    let Value::Object(map) = body else { return };
    for (flag, values) in &args.flags {
        let addressing = address.family.chain.iter().any(|s| s.flag == flag);
        let secret = avdeploy_wire::redact::is_secret_name(flag);
        if addressing || secret || NOT_PROPERTIES.contains(&flag.as_str()) {
            continue;
        }
        let value = match values.as_slice() {
            [] => Value::Bool(true),
            [one] => json!(one),
            many => json!(many),
        };
        map.insert(camel_case(flag), value);
    }
    if args.has("--tags") {
        map.insert("tags".into(), Value::Object(tags(args)));
    }
}

/// The body without simulator-private data, as Azure would print it.
pub fn public(body: &Value) -> Value {
    let mut body = body.clone();
    if let Value::Object(map) = &mut body {
        map.remove(PRIVATE);
    }
    body
}

/// `--tags k=v k2=v2` as an object.
pub fn tags(args: &AzArgs) -> Map<String, Value> {
    args.values("--tags")
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (k, v) = t.split_once('=').unwrap_or((t, ""));
            (k.to_owned(), json!(v))
        })
        .collect()
}

/// `--address-prefixes` → `addressPrefixes`.
pub fn camel_case(flag: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in flag.trim_start_matches('-').chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn etag(key: &str) -> String {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hash >> 32,
        (hash >> 16) & 0xffff,
        hash & 0xffff,
        (hash >> 48) & 0xffff,
        hash & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::by_path;

    fn args(line: &str) -> AzArgs {
        AzArgs::parse(&line.split(' ').map(str::to_owned).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn ids_follow_the_chain() {
        let family = by_path("storage share-rm").unwrap();
        let a = Address::from_args(
            family,
            &args("storage share-rm create -g RG --storage-account sa -n profiles"),
        )
        .unwrap();
        assert_eq!(
            a.id("s"),
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/sa/fileServices/default/shares/profiles"
        );
        assert_eq!(a.key(), "storage share-rm|rg|sa/default/profiles");
        let parent = a.parent_address().unwrap();
        assert_eq!(parent.family.path, "storage account");
        assert_eq!(parent.names, ["sa"]);
    }

    #[test]
    fn missing_flags_are_usage_errors() {
        let family = by_path("network vnet subnet").unwrap();
        let err =
            Address::from_args(family, &args("network vnet subnet create -g rg -n s")).unwrap_err();
        assert_eq!(err.exit, 2);
        assert!(err.stderr.contains("--vnet-name"));
    }

    #[test]
    fn flags_become_properties_but_secrets_do_not() {
        let family = by_path("keyvault").unwrap();
        let a = args(
            "keyvault create -g rg -n kv1 --sku premium --admin-password P@ss --tags env=dev --enable-rbac-authorization",
        );
        let address = Address::from_args(family, &a).unwrap();
        let body = new_body(&address, &a, "s", "eastus");
        assert_eq!(body["sku"], "premium");
        assert_eq!(body["enableRbacAuthorization"], true);
        assert_eq!(body["tags"]["env"], "dev");
        assert!(body.get("adminPassword").is_none());
        assert_eq!(body["type"], "Microsoft.KeyVault/vaults");
    }
}
