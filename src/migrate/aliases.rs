//! Where a name the bash engine exported comes from in config.yaml: `ENTRA_GROUP_*` from
//! `entra_id.group_*`, `NETWORKING_<NAME>_SUBNET_<FIELD>` from the subnet of that name in
//! `networking.subnets[]`, and shortened paths (`AUTOSCALING_MIN_VMS` for
//! `autoscaling.capacity.min_vms`).

use crate::load::node::{Node, NodeKind};
use crate::model::variables::path_name;

/// A scalar leaf of config.yaml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Leaf {
    /// Its path, e.g. `["networking", "subnets", "0", "name"]`.
    pub path: Vec<String>,
    /// Its variable name.
    pub name: String,
    /// Its value as written.
    pub value: String,
}

/// A `variables:` alias to add: `name: "{{target}}"`, `target` being the variable of `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Alias {
    /// The name the scripts use.
    pub name: String,
    /// The variable it stands for.
    pub target: String,
    /// The config path of that variable, for the report (`networking.subnets[0].name`).
    pub path: String,
}

/// What is known about the source of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Several config paths fit equally: none is obvious.
    Ambiguous(Vec<String>),
    /// One config path fits.
    Found(Alias),
    /// None fits.
    Unknown,
}

/// Every scalar leaf of config.yaml's tree, engine sections (`variables`, `secrets`,
/// `avdeploy`) left out.
pub(crate) fn leaves(root: &Node) -> Vec<Leaf> {
    let mut out = Vec::new();
    if let NodeKind::Map(entries) = &root.kind {
        for (key, value) in entries {
            let Some(key) = key.as_str() else { continue };
            if !matches!(key, "variables" | "secrets" | "avdeploy") {
                walk(value, &mut vec![key.to_owned()], &mut out);
            }
        }
    }
    out
}

fn walk(node: &Node, path: &mut Vec<String>, out: &mut Vec<Leaf>) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                if let Some(key) = key.as_str() {
                    path.push(key.to_owned());
                    walk(value, path, out);
                    path.pop();
                }
            }
        }
        NodeKind::Seq(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                walk(item, path, out);
                path.pop();
            }
        }
        NodeKind::Scalar { text, .. } => {
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            out.push(Leaf {
                path: path.clone(),
                name: path_name(&segments),
                value: text.clone(),
            });
        }
        NodeKind::Null => {}
    }
}

/// A naming rule: the leaves that could be the source of a name.
type Rule = fn(&str, &[Leaf]) -> Vec<usize>;

/// The source of `name` among `leaves`, by the bash engine's naming rules.
pub(crate) fn source(name: &str, leaves: &[Leaf]) -> Source {
    let rules: [Rule; 3] = [entra_group, subnet_field, shortened];
    for rule in rules {
        match rule(name, leaves).as_slice() {
            [] => {}
            [one] => {
                let leaf = &leaves[*one];
                return Source::Found(Alias {
                    name: name.to_owned(),
                    target: leaf.name.clone(),
                    path: dotted(&leaf.path),
                });
            }
            many => {
                return Source::Ambiguous(many.iter().map(|&i| dotted(&leaves[i].path)).collect());
            }
        }
    }
    Source::Unknown
}

/// `networking.subnets[0].name` for `["networking", "subnets", "0", "name"]`.
pub(crate) fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

/// `ENTRA_<REST>` for `entra_id.<rest>`: the bash engine drops the `_ID`.
fn entra_group(name: &str, leaves: &[Leaf]) -> Vec<usize> {
    let Some(rest) = name
        .strip_prefix("ENTRA_")
        .filter(|r| !r.starts_with("ID_"))
    else {
        return Vec::new();
    };
    let wanted = format!("ENTRA_ID_{rest}");
    positions(leaves, |leaf| {
        leaf.name == wanted && leaf.path[0] == "entra_id"
    })
}

/// `NETWORKING_<NAME>_SUBNET_<FIELD>`: `<field>` of the entry of `networking.subnets[]` whose
/// `name` is `<name>` spelled as a subnet (`SESSION_HOST` for `subnet-session-hosts`).
fn subnet_field(name: &str, leaves: &[Leaf]) -> Vec<usize> {
    let Some(rest) = name.strip_prefix("NETWORKING_") else {
        return Vec::new();
    };
    let Some((subnet, field)) = rest.split_once("_SUBNET_") else {
        return Vec::new();
    };
    let subnet_entries = leaves.iter().filter(|leaf| {
        leaf.path.len() == 4
            && leaf.path[0] == "networking"
            && leaf.path[1] == "subnets"
            && leaf.path[3] == "name"
            && singular(&subnet_words(&leaf.value)) == singular(subnet)
    });
    let indexes: Vec<&str> = subnet_entries.map(|leaf| leaf.path[2].as_str()).collect();
    positions(leaves, |leaf| {
        leaf.path.len() == 4
            && leaf.path[0] == "networking"
            && leaf.path[1] == "subnets"
            && indexes.contains(&leaf.path[2].as_str())
            && path_name(&[leaf.path[3].as_str()]) == field
    })
}

/// `subnet-session-hosts` as `SESSION_HOSTS`: the `subnet`/`snet` word left out.
fn subnet_words(value: &str) -> String {
    let upper = path_name(&[value]);
    upper
        .split('_')
        .filter(|word| !matches!(*word, "SUBNET" | "SNET" | ""))
        .collect::<Vec<_>>()
        .join("_")
}

/// Each word without a plural `S`, so `SESSION_HOSTS` and `SESSION_HOST` compare equal.
fn singular(words: &str) -> String {
    words
        .split('_')
        .map(|word| {
            word.strip_suffix('S')
                .filter(|w| w.len() > 2 && !w.ends_with('S'))
                .unwrap_or(word)
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// `<SECTION>_<TAIL>` for `section.<middle...>.tail...`: one or more segments after the first
/// dropped, as templates written against shortened names do.
fn shortened(name: &str, leaves: &[Leaf]) -> Vec<usize> {
    positions(leaves, |leaf| {
        let segments: Vec<&str> = leaf.path.iter().map(String::as_str).collect();
        segments.len() >= 3
            && (2..segments.len()).any(|keep_from| {
                let mut short = vec![segments[0]];
                short.extend(&segments[keep_from..]);
                path_name(&short) == name
            })
    })
}

fn positions(leaves: &[Leaf], wanted: impl Fn(&Leaf) -> bool) -> Vec<usize> {
    leaves
        .iter()
        .enumerate()
        .filter(|(_, leaf)| wanted(leaf))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Source, leaves, source};
    use crate::base::source::Source as Text;
    use crate::load::yaml;

    const CONFIG: &str = "entra_id:\n  group_users_standard: \"avd-users\"\n  group_users_standard_description: \"Users\"\nnetworking:\n  subnets:\n    - name: \"subnet-session-hosts\"\n      address_prefix: \"10.0.1.0/24\"\n    - name: \"subnet-private-endpoints\"\n      address_prefix: \"10.0.2.0/24\"\n    - name: \"subnet-management\"\nautoscaling:\n  capacity:\n    min_vms: 1\n    max_vms: 4\n  schedule:\n    weekdays:\n      max_vms: 2\n";

    fn found(name: &str) -> (String, String) {
        let text = Text::new(std::path::Path::new("config.yaml"), CONFIG.to_owned());
        let root = yaml::parse(&text).expect("yaml");
        match source(name, &leaves(&root)) {
            Source::Found(alias) => (alias.target, alias.path),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn entra_groups_drop_the_id() {
        assert_eq!(
            found("ENTRA_GROUP_USERS_STANDARD"),
            (
                "ENTRA_ID_GROUP_USERS_STANDARD".into(),
                "entra_id.group_users_standard".into()
            )
        );
        assert_eq!(
            found("ENTRA_GROUP_USERS_STANDARD_DESCRIPTION").0,
            "ENTRA_ID_GROUP_USERS_STANDARD_DESCRIPTION"
        );
    }

    #[test]
    fn subnets_are_found_by_name() {
        assert_eq!(
            found("NETWORKING_SESSION_HOST_SUBNET_NAME"),
            (
                "NETWORKING_SUBNETS_0_NAME".into(),
                "networking.subnets[0].name".into()
            )
        );
        assert_eq!(
            found("NETWORKING_PRIVATE_ENDPOINT_SUBNET_NAME").0,
            "NETWORKING_SUBNETS_1_NAME"
        );
        assert_eq!(
            found("NETWORKING_MANAGEMENT_SUBNET_NAME").0,
            "NETWORKING_SUBNETS_2_NAME"
        );
        assert_eq!(
            found("NETWORKING_SESSION_HOST_SUBNET_ADDRESS_PREFIX").0,
            "NETWORKING_SUBNETS_0_ADDRESS_PREFIX"
        );
    }

    #[test]
    fn shortened_names_need_one_fitting_path() {
        assert_eq!(
            found("AUTOSCALING_MIN_VMS"),
            (
                "AUTOSCALING_CAPACITY_MIN_VMS".into(),
                "autoscaling.capacity.min_vms".into()
            )
        );
        let text = Text::new(std::path::Path::new("config.yaml"), CONFIG.to_owned());
        let root = yaml::parse(&text).expect("yaml");
        assert_eq!(
            source("AUTOSCALING_MAX_VMS", &leaves(&root)),
            Source::Ambiguous(vec![
                "autoscaling.capacity.max_vms".into(),
                "autoscaling.schedule.weekdays.max_vms".into()
            ])
        );
        assert_eq!(
            source("STORAGE_ACCOUNT_NAME", &leaves(&root)),
            Source::Unknown
        );
    }
}
