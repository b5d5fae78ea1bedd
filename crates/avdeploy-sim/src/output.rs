//! `--output`: json, jsonc, yaml, yamlc, tsv, table and none, printed the way the Azure CLI
//! (knack) prints them. Colour variants print plain, as the CLI does when stdout is not a terminal.

use serde_json::Value;

use crate::query::ordered_keys;
use crate::table::{self, tsv_cell};
use crate::yaml;

/// An output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// Indented JSON with sorted keys (the default).
    #[default]
    Json,
    /// Coloured JSON.
    Jsonc,
    /// Nothing.
    None,
    /// An aligned table of scalar fields.
    Table,
    /// Tab-separated values.
    Tsv,
    /// YAML.
    Yaml,
    /// Coloured YAML.
    Yamlc,
}

impl OutputFormat {
    /// Parses an `--output` value (case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.to_ascii_lowercase().as_str() {
            "json" => Self::Json,
            "jsonc" => Self::Jsonc,
            "none" => Self::None,
            "table" => Self::Table,
            "tsv" => Self::Tsv,
            "yaml" => Self::Yaml,
            "yamlc" => Self::Yamlc,
            _ => return None,
        })
    }
}

/// Renders a command's result; `key_orders` are the query's multiselect-hash key lists and
/// `query_active` whether `--query` was given. A null result prints nothing.
pub fn render(
    value: &Value,
    format: OutputFormat,
    key_orders: &[Vec<String>],
    query_active: bool,
) -> String {
    if value.is_null() {
        return String::new();
    }
    match format {
        OutputFormat::Json | OutputFormat::Jsonc => json(value),
        OutputFormat::None => String::new(),
        OutputFormat::Table => table::render(value, key_orders, query_active),
        OutputFormat::Tsv => tsv(value, key_orders),
        OutputFormat::Yaml | OutputFormat::Yamlc => yaml::render(value),
    }
}

/// Indented JSON with sorted keys and a final newline.
pub fn json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// Tab-separated values: one line per item of a list (or for the single result), an object's
/// values in key order, nested lists as their length and nested objects as an empty field.
pub fn tsv(value: &Value, key_orders: &[Vec<String>]) -> String {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = String::new();
    for item in items {
        match item {
            Value::Object(map) => {
                let cells: Vec<String> = ordered_keys(map, key_orders)
                    .into_iter()
                    .map(|key| tsv_cell(&map[key]))
                    .collect();
                out.push_str(&cells.join("\t"));
            }
            Value::Array(values) => {
                let cells: Vec<String> = values.iter().map(tsv_cell).collect();
                out.push_str(&cells.join("\t"));
            }
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            other => out.push_str(&tsv_cell(other)),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tsv_of_a_scalar_is_the_bare_value() {
        assert_eq!(tsv(&json!("/subscriptions/x"), &[]), "/subscriptions/x\n");
        assert_eq!(tsv(&json!(false), &[]), "false\n");
        assert_eq!(tsv(&json!(3), &[]), "3\n");
    }

    #[test]
    fn tsv_rows_follow_python_str() {
        let v = json!([{"b": true, "a": "x", "c": [1, 2], "d": {"k": 1}, "e": null}]);
        assert_eq!(tsv(&v, &[]), "x\tTrue\t2\t\tNone\n");
        assert_eq!(tsv(&json!(["a", "b"]), &[]), "a\nb\n");
        assert_eq!(tsv(&json!([["a", "b"]]), &[]), "a\tb\n");
    }

    #[test]
    fn json_is_indented_sorted_and_null_prints_nothing() {
        assert_eq!(
            json(&json!({"b": 1, "a": [true]})),
            "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}\n"
        );
        assert_eq!(render(&Value::Null, OutputFormat::Json, &[], false), "");
        assert_eq!(render(&json!({"a": 1}), OutputFormat::None, &[], false), "");
    }

    #[test]
    fn parses_formats() {
        assert_eq!(OutputFormat::parse("TSV"), Some(OutputFormat::Tsv));
        assert_eq!(OutputFormat::parse("xml"), None);
    }
}
