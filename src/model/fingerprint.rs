//! What an attempt ran, reduced to keyed hashes: the template type, the script, the local files
//! it sends and the value of every variable it reads. Two fingerprints of one operation differ
//! exactly when a later run would do something else, and [`Fingerprint::changes`] says what.

use std::collections::BTreeMap;

/// The change name of the script text in [`Fingerprint::changes`].
pub const SCRIPT: &str = "script";

/// The change name of the template type in [`Fingerprint::changes`].
pub const TEMPLATE: &str = "template";

/// The inputs of one attempt. Every hash is keyed with the deployment's private key, so that
/// no value (a secret's least of all) can be recovered or guessed from a stored fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint {
    /// `template.type`, in clear.
    pub template: String,
    /// Keyed hash of the script as rendered (bash, or the PowerShell with its target).
    pub script: String,
    /// Keyed hash of each local file the script sends, by its path relative to the deployment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// Keyed hash of the value of each variable the operation reads, by name.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

impl Fingerprint {
    /// What differs from `previous`, as shown to users: changed, new or gone variable names
    /// (sorted), then `template`, `script` and `file <path>`. Empty when nothing changed.
    pub fn changes(&self, previous: &Fingerprint) -> Vec<String> {
        let mut changed = differing_keys(&self.variables, &previous.variables);
        if self.template != previous.template {
            changed.push(TEMPLATE.to_owned());
        }
        if self.script != previous.script {
            changed.push(SCRIPT.to_owned());
        }
        changed.extend(
            differing_keys(&self.files, &previous.files)
                .into_iter()
                .map(|path| format!("file {path}")),
        );
        changed
    }

    /// The form stored in the state database.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form back; `None` for text that is not a fingerprint.
    pub fn from_json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// Keys present in only one of the maps, or with different values, in order.
fn differing_keys(
    now: &BTreeMap<String, String>,
    before: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut keys: Vec<String> = now
        .iter()
        .filter(|(key, value)| before.get(*key) != Some(value))
        .map(|(key, _)| key.clone())
        .chain(before.keys().filter(|key| !now.contains_key(*key)).cloned())
        .collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(script: &str, vars: &[(&str, &str)]) -> Fingerprint {
        Fingerprint {
            template: "azure-cli-bash".into(),
            script: script.into(),
            files: BTreeMap::new(),
            variables: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn names_changed_new_and_gone_variables_then_the_script() {
        let before = print("s1", &[("A", "1"), ("B", "2"), ("GONE", "x")]);
        let now = print("s2", &[("A", "1"), ("B", "3"), ("NEW", "y")]);
        assert_eq!(now.changes(&before), ["B", "GONE", "NEW", "script"]);
        assert!(before.changes(&before.clone()).is_empty());
    }

    #[test]
    fn names_files_and_the_template() {
        let before = print("s", &[]);
        let mut now = before.clone();
        now.template = "bash-script".into();
        now.files.insert("templates/main.json".into(), "h".into());
        assert_eq!(
            now.changes(&before),
            ["template", "file templates/main.json"]
        );
    }

    #[test]
    fn round_trips_through_its_stored_form() {
        let mut print = print("s", &[("A", "1")]);
        print.files.insert("f.json".into(), "h".into());
        assert_eq!(Fingerprint::from_json(&print.to_json()), Some(print));
        assert_eq!(Fingerprint::from_json("not json"), None);
    }
}
