//! `-o yaml`: block-style YAML with sorted keys, as PyYAML's `safe_dump` writes it (sequences in
//! mappings not indented, ambiguous strings single-quoted). Long lines are not folded.

use serde_json::Value;

/// Renders `value` as YAML.
pub fn render(value: &Value) -> String {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut out = String::new();
            mapping(map, 0, &mut out);
            out
        }
        Value::Array(items) if !items.is_empty() => {
            let mut out = String::new();
            sequence(items, 0, &mut out);
            out
        }
        other => {
            let text = scalar(other);
            if text.starts_with(['\'', '"', '[', '{']) {
                format!("{text}\n")
            } else {
                format!("{text}\n...\n")
            }
        }
    }
}

fn mapping(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (key, value) in map {
        out.push_str(&format!("{pad}{}:", string(key)));
        match value {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                mapping(child, indent + 2, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                sequence(items, indent, out);
            }
            other => out.push_str(&format!(" {}\n", scalar(other))),
        }
    }
}

fn sequence(items: &[Value], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Value::Object(child) if !child.is_empty() => {
                let mut inner = String::new();
                mapping(child, indent + 2, &mut inner);
                out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
            }
            Value::Array(child) if !child.is_empty() => {
                let mut inner = String::new();
                sequence(child, indent + 2, &mut inner);
                out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
            }
            other => out.push_str(&format!("{pad}- {}\n", scalar(other))),
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

fn string(s: &str) -> String {
    if s.contains(['\n', '\t', '\r']) || s.chars().any(char::is_control) {
        return serde_json::to_string(s).unwrap_or_default();
    }
    if needs_quotes(s) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_owned()
    }
}

fn needs_quotes(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "=", "<<",
    ];
    let lower = s.to_ascii_lowercase();
    let mut chars = s.chars();
    let first = chars.next().unwrap_or(' ');
    let second = chars.next().unwrap_or(' ');
    RESERVED.contains(&lower.as_str())
        || looks_numeric(&lower)
        || ",[]{}#&*!|>'\"%@`".contains(first)
        || ("-?:".contains(first) && second == ' ')
        || first.is_whitespace()
        || s.ends_with(|c: char| c.is_whitespace() || c == ':')
        || s.contains(": ")
        || s.contains(" #")
}

/// Whether YAML 1.1 would read `s` (lower-cased) as a number.
fn looks_numeric(s: &str) -> bool {
    let digits = s.trim_start_matches(['-', '+']);
    s.parse::<i64>().is_ok()
        || digits.starts_with("0x")
        || digits.starts_with("0o")
        || (s.contains('.') && s.parse::<f64>().is_ok())
        || [".inf", ".nan"].contains(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_block_style_like_pyyaml() {
        let v = json!({"name": "vnet", "tags": {}, "prefixes": ["10.0.0.0/16"], "n": 1, "o": "0x1F",
                       "b": "-x", "c": "10", "d": "1.5", "f": "a #b", "p": "1e5",
                       "subnets": [{"name": "a", "id": "/x"}], "flag": "true"});
        let expected = "\
b: -x
c: '10'
d: '1.5'
f: 'a #b'
flag: 'true'
n: 1
name: vnet
o: '0x1F'
p: 1e5
prefixes:
- 10.0.0.0/16
subnets:
- id: /x
  name: a
tags: {}
";
        assert_eq!(render(&v), expected);
    }

    #[test]
    fn top_level_scalars_end_the_document() {
        assert_eq!(render(&json!("abc")), "abc\n...\n");
        assert_eq!(render(&json!("")), "''\n");
        assert_eq!(render(&json!(true)), "true\n...\n");
    }
}
