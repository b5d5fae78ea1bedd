//! The emulated subscription's and tenant's objects, persisted as one JSON file in the state
//! directory so that a second run sees what the first created.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::EmuError;

/// The key of the emulator's own bookkeeping inside a stored resource (never shown).
pub(crate) const PRIVATE: &str = "_emulator";

/// The store's file name inside the state directory.
pub const STORE_FILE: &str = "emulator.json";

/// Resources by lower-case ARM id, directory objects by id, group members by group id.
#[derive(Debug)]
pub(crate) struct Store {
    path: PathBuf,
    resources: BTreeMap<String, Value>,
    directory: BTreeMap<String, Value>,
    members: BTreeMap<String, Vec<String>>,
}

impl Store {
    /// Opens the store of `dir`, empty when it has none yet.
    pub(crate) fn open(dir: &Path) -> Result<Self, EmuError> {
        let path = dir.join(STORE_FILE);
        let mut store = Self {
            path,
            resources: BTreeMap::new(),
            directory: BTreeMap::new(),
            members: BTreeMap::new(),
        };
        let text = match std::fs::read_to_string(&store.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(source) => {
                return Err(EmuError::File {
                    path: store.path,
                    source,
                });
            }
        };
        let value: Value = serde_json::from_str(&text).map_err(|source| EmuError::Corrupt {
            path: store.path.clone(),
            source,
        })?;
        store.resources = object(&value["resources"]);
        store.directory = object(&value["directory"]);
        store.members = object(&value["members"])
            .into_iter()
            .map(|(k, v)| (k, strings(&v)))
            .collect();
        Ok(store)
    }

    /// Writes the store atomically (a temporary file, then a rename).
    pub(crate) fn save(&self) -> Result<(), EmuError> {
        let value = json!({
            "resources": self.resources,
            "directory": self.directory,
            "members": self.members,
        });
        let tmp = self.path.with_extension("json.tmp");
        let file_error = |source| EmuError::File {
            path: self.path.clone(),
            source,
        };
        let mut file = std::fs::File::create(&tmp).map_err(file_error)?;
        file.write_all(value.to_string().as_bytes())
            .map_err(file_error)?;
        std::fs::rename(&tmp, &self.path).map_err(file_error)
    }

    /// The resource with this ARM id (any case).
    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        self.resources.get(&id.to_ascii_lowercase())
    }

    /// Stores a resource under its `id`.
    pub(crate) fn put(&mut self, resource: Value) {
        let key = resource["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        self.resources.insert(key, resource);
    }

    /// Removes a resource and everything under it (children, resources of a group); returns the
    /// removed resources.
    pub(crate) fn remove_tree(&mut self, id: &str) -> Vec<Value> {
        let key = id.to_ascii_lowercase();
        let prefix = format!("{key}/");
        let doomed: Vec<String> = self
            .resources
            .keys()
            .filter(|k| **k == key || k.starts_with(&prefix))
            .cloned()
            .collect();
        doomed
            .iter()
            .filter_map(|k| self.resources.remove(k))
            .collect()
    }

    /// Every resource, in id order.
    pub(crate) fn resources(&self) -> impl Iterator<Item = &Value> {
        self.resources.values()
    }

    /// The directory object with this id.
    pub(crate) fn object(&self, id: &str) -> Option<&Value> {
        self.directory.get(&id.to_ascii_lowercase())
    }

    /// Stores a directory object under its `id`.
    pub(crate) fn put_object(&mut self, object: Value) {
        let key = object["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        self.directory.insert(key, object);
    }

    /// Removes a directory object and its memberships.
    pub(crate) fn remove_object(&mut self, id: &str) -> Option<Value> {
        let key = id.to_ascii_lowercase();
        self.members.remove(&key);
        for list in self.members.values_mut() {
            list.retain(|member| *member != key);
        }
        self.directory.remove(&key)
    }

    /// Every directory object, in id order.
    pub(crate) fn objects(&self) -> impl Iterator<Item = &Value> {
        self.directory.values()
    }

    /// The member ids of a group.
    pub(crate) fn members(&self, group: &str) -> &[String] {
        self.members
            .get(&group.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Adds a member to a group; `false` when it already was one.
    pub(crate) fn add_member(&mut self, group: &str, member: &str) -> bool {
        let list = self.members.entry(group.to_ascii_lowercase()).or_default();
        let member = member.to_ascii_lowercase();
        if list.contains(&member) {
            return false;
        }
        list.push(member);
        true
    }

    /// Removes a member from a group; `false` when it was none.
    pub(crate) fn remove_member(&mut self, group: &str, member: &str) -> bool {
        let member = member.to_ascii_lowercase();
        self.members
            .get_mut(&group.to_ascii_lowercase())
            .is_some_and(|list| {
                let before = list.len();
                list.retain(|m| *m != member);
                list.len() != before
            })
    }
}

/// What `sim show` lists for this backend: the stored resources grouped by ARM type (directory
/// objects under `Microsoft.Graph/<kind>`), read from `state_dir`.
pub fn show(state_dir: &Path) -> Result<BTreeMap<String, Vec<Value>>, EmuError> {
    let store = Store::open(state_dir)?;
    let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for resource in store.resources() {
        let kind = resource["type"].as_str().unwrap_or("unknown").to_owned();
        by_type.entry(kind).or_default().push(resource.clone());
    }
    for object in store.objects() {
        let kind = object["@odata.type"]
            .as_str()
            .and_then(|t| t.strip_prefix("#microsoft.graph."))
            .unwrap_or("directoryObject");
        let mut object = object.clone();
        if kind == "group" {
            let id = object["id"].as_str().unwrap_or_default().to_owned();
            object["members"] = json!(store.members(&id));
        }
        by_type
            .entry(format!("Microsoft.Graph/{kind}s"))
            .or_default()
            .push(object);
    }
    Ok(by_type)
}

fn object(value: &Value) -> BTreeMap<String, Value> {
    value
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_resources_objects_and_members() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.put(json!({"id": "/subscriptions/s/resourceGroups/RG", "type": "Microsoft.Resources/resourceGroups"}));
        store.put(json!({"id": "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v", "type": "Microsoft.Network/virtualNetworks"}));
        store.put_object(json!({"id": "G1", "@odata.type": "#microsoft.graph.group"}));
        assert!(store.add_member("g1", "U1"));
        assert!(!store.add_member("G1", "u1"));
        store.save().unwrap();

        let mut again = Store::open(dir.path()).unwrap();
        assert!(again.get("/SUBSCRIPTIONS/s/resourcegroups/rg").is_some());
        assert_eq!(again.members("G1"), ["u1"]);
        let shown = show(dir.path()).unwrap();
        assert_eq!(shown["Microsoft.Network/virtualNetworks"].len(), 1);
        assert_eq!(shown["Microsoft.Graph/groups"][0]["members"], json!(["u1"]));

        assert_eq!(
            again
                .remove_tree("/subscriptions/s/resourcegroups/rg")
                .len(),
            2
        );
        assert_eq!(again.resources().count(), 0);
        assert!(again.remove_object("g1").is_some());
        assert!(again.members("g1").is_empty());
    }

    #[test]
    fn a_damaged_store_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STORE_FILE), "{").unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(EmuError::Corrupt { .. })
        ));
    }
}
