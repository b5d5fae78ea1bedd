//! The CLI's generic update arguments: `--set path=value`, `--add path value`, `--remove path
//! [index]`, applied to a stored body.

use serde_json::Value;

use crate::args::AzArgs;
use crate::failure::AzFailure;

/// Applies `--set`, `--add` and `--remove` to `body`.
pub fn apply(body: &mut Value, args: &AzArgs) -> Result<(), AzFailure> {
    for assignment in args.values("--set") {
        let (path, value) = assignment
            .split_once('=')
            .ok_or_else(|| AzFailure::usage(&format!("invalid syntax: --set {assignment}")))?;
        *slot(body, path)? = literal(value);
    }
    if let [path, values @ ..] = args.values("--add") {
        let target = slot(body, path)?;
        if !target.is_array() {
            *target = Value::Array(Vec::new());
        }
        if let Value::Array(items) = target {
            items.extend(values.iter().map(|v| literal(v)));
        }
    }
    if let [path, rest @ ..] = args.values("--remove") {
        match rest.first().and_then(|i| i.parse::<usize>().ok()) {
            Some(index) => {
                if let Value::Array(items) = slot(body, path)?
                    && index < items.len()
                {
                    items.remove(index);
                }
            }
            None => {
                let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
                let target = if parent.is_empty() {
                    body
                } else {
                    slot(body, parent)?
                };
                if let Value::Object(map) = target {
                    map.remove(key);
                }
            }
        }
    }
    Ok(())
}

/// The value at a dotted path (`properties.a.b`), created as objects where missing.
fn slot<'a>(body: &'a mut Value, path: &str) -> Result<&'a mut Value, AzFailure> {
    let mut current = body;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        if current.is_null() {
            *current = Value::Object(serde_json::Map::new());
        }
        if !current.is_object() {
            return Err(AzFailure::usage(&format!(
                "couldn't find '{part}' in '{path}'"
            )));
        }
        current = &mut current[part];
    }
    Ok(current)
}

/// A `--set` value: JSON when it parses, otherwise a string.
fn literal(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_adds_and_removes() {
        let line = "x update --set properties.size=5 tags.env=dev --add list a --remove old";
        let args = AzArgs::parse(&line.split(' ').map(str::to_owned).collect::<Vec<_>>()).unwrap();
        let mut body = json!({"tags": {}, "old": 1});
        apply(&mut body, &args).unwrap();
        assert_eq!(
            body,
            json!({"tags": {"env": "dev"}, "properties": {"size": 5}, "list": ["a"]})
        );
    }
}
