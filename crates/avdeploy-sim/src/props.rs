//! Reading flags as the CLI's argument types (strings, three-state booleans, bounded integers,
//! resource ids from names) and writing them into a stored body at their ARM property paths.

use serde_json::{Map, Value};

use crate::args::AzArgs;
use crate::failure::AzFailure;

/// Sets `value` at the dotted `path` of `body`, creating objects on the way.
pub fn set(body: &mut Value, path: &str, value: Value) {
    let mut current = body;
    for part in path.split('.') {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        current = &mut current[part];
    }
    *current = value;
}

/// Sets `value` at `path` unless something is already there (a default a create fills in).
pub fn default(body: &mut Value, path: &str, value: Value) {
    let mut current = &*body;
    for part in path.split('.') {
        match current.get(part) {
            Some(next) => current = next,
            None => return set(body, path, value),
        }
    }
    if current.is_null() {
        set(body, path, value);
    }
}

/// The value of a single-valued flag, when given.
pub fn text(args: &AzArgs, flag: &str) -> Option<String> {
    args.has(flag)
        .then(|| args.get(flag).unwrap_or("").to_owned())
}

/// A three-state flag (`--flag`, `--flag true`, `--flag false`), when given.
pub fn boolean(args: &AzArgs, flag: &str) -> Result<Option<bool>, AzFailure> {
    if !args.has(flag) {
        return Ok(None);
    }
    match args.get(flag).map(str::to_ascii_lowercase).as_deref() {
        None | Some("true" | "yes" | "1" | "y" | "t" | "on") => Ok(Some(true)),
        Some("false" | "no" | "0" | "n" | "f" | "off") => Ok(Some(false)),
        Some(other) => Err(AzFailure::usage(&format!(
            "argument {flag}: invalid value: '{other}'. Allowed values: false, true"
        ))),
    }
}

/// An integer flag within `min..=max`, when given.
pub fn integer(args: &AzArgs, flag: &str, min: i64, max: i64) -> Result<Option<i64>, AzFailure> {
    let Some(raw) = args.get(flag) else {
        return Ok(None);
    };
    let value: i64 = raw
        .parse()
        .map_err(|_| AzFailure::usage(&format!("argument {flag}: invalid int value: '{raw}'")))?;
    if !(min..=max).contains(&value) {
        return Err(AzFailure::usage(&format!(
            "argument {flag}: {value} is out of range: allowed values are {min} to {max}"
        )));
    }
    Ok(Some(value))
}

/// A flag restricted to `allowed` values (matched case-insensitively, stored as spelled there).
pub fn choice(
    args: &AzArgs,
    command: &str,
    flag: &str,
    allowed: &[&str],
) -> Result<Option<String>, AzFailure> {
    let Some(raw) = args.get(flag) else {
        return Ok(None);
    };
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(raw))
        .map(|a| Some((*a).to_owned()))
        .ok_or_else(|| {
            AzFailure::usage(&format!(
                "az {command}: '{raw}' is not a valid value for '{flag}'. Allowed values: {}.",
                allowed.join(", ")
            ))
        })
}

/// The values of a list flag as a JSON array of strings.
pub fn strings(values: &[String]) -> Value {
    Value::Array(values.iter().map(|v| Value::String(v.clone())).collect())
}

/// The full id of a resource given by name or id: a name becomes
/// `/subscriptions/<sub>/resourceGroups/<rg>/providers/<kind>/<name>`.
pub fn resource_id(subscription: &str, rg: &str, kind: &str, name_or_id: &str) -> String {
    if name_or_id.starts_with('/') {
        name_or_id.to_owned()
    } else {
        format!("/subscriptions/{subscription}/resourceGroups/{rg}/providers/{kind}/{name_or_id}")
    }
}

/// The last segment of a resource id (its name).
pub fn id_name(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// `key=value` pairs of a shorthand flag (`--registration-info a=1 b=2`, `--features A=B`).
pub fn pairs(values: &[String]) -> Vec<(String, String)> {
    values
        .iter()
        .flat_map(|v| v.split_whitespace())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(line: &str) -> AzArgs {
        AzArgs::parse(&line.split(' ').map(str::to_owned).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn sets_nested_paths_and_defaults_only_missing_ones() {
        let mut body = json!({"a": {"b": 1}});
        set(&mut body, "a.c.d", json!("x"));
        default(&mut body, "a.b", json!(2));
        default(&mut body, "e", json!(3));
        assert_eq!(body, json!({"a": {"b": 1, "c": {"d": "x"}}, "e": 3}));
    }

    #[test]
    fn reads_typed_flags() {
        let a = args("x --on --off false --n 12 --big 9999 --kind pooled --bad maybe");
        assert_eq!(boolean(&a, "--on").unwrap(), Some(true));
        assert_eq!(boolean(&a, "--off").unwrap(), Some(false));
        assert_eq!(boolean(&a, "--none").unwrap(), None);
        assert_eq!(boolean(&a, "--bad").unwrap_err().exit, 2);
        assert_eq!(integer(&a, "--n", 0, 100).unwrap(), Some(12));
        assert!(
            integer(&a, "--big", 0, 100)
                .unwrap_err()
                .stderr
                .contains("out of range")
        );
        assert!(
            integer(&a, "--kind", 0, 1)
                .unwrap_err()
                .stderr
                .contains("invalid int")
        );
        let kind = choice(&a, "x", "--kind", &["Personal", "Pooled"]).unwrap();
        assert_eq!(kind.as_deref(), Some("Pooled"));
        assert!(
            choice(&a, "x", "--bad", &["A"])
                .unwrap_err()
                .stderr
                .contains("Allowed values: A.")
        );
    }

    #[test]
    fn names_become_ids() {
        let id = resource_id("s", "rg", "Microsoft.Network/networkSecurityGroups", "nsg1");
        assert_eq!(
            id,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1"
        );
        assert_eq!(resource_id("s", "rg", "k", &id), id);
        assert_eq!(id_name(&id), "nsg1");
        let p = pairs(&["a=1 b=2".to_owned(), "c=3".to_owned()]);
        assert_eq!(p.len(), 3);
    }
}
