//! `-o table`: the CLI's automatic table (scalar fields of each item, `id`/`type`/`etag`
//! skipped, headers capitalised) laid out like tabulate's "simple" format.

use serde_json::Value;

use crate::query::ordered_keys;

const SKIP_KEYS: &[&str] = &["id", "type", "etag"];
const MIN_PADDING: usize = 2;

/// Renders `value` as a table.
pub fn render(value: &Value, key_orders: &[Vec<String>], query_active: bool) -> String {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let rows: Vec<Vec<(String, String)>> = items
        .iter()
        .map(|item| row(item, key_orders, query_active))
        .collect();
    let mut headers: Vec<String> = Vec::new();
    for (header, _) in rows.iter().flatten() {
        if !headers.contains(header) {
            headers.push(header.clone());
        }
    }
    if headers.is_empty() {
        return "\n".to_owned();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            headers
                .iter()
                .map(|h| {
                    row.iter()
                        .find(|(k, _)| k == h)
                        .map_or(String::new(), |(_, v)| v.clone())
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let longest = cells
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0);
            (h.chars().count() + MIN_PADDING).max(longest)
        })
        .collect();
    let mut out = line(&headers, &widths);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(&rule, &widths));
    for row in &cells {
        out.push_str(&line(row, &widths));
    }
    out
}

fn row(item: &Value, key_orders: &[Vec<String>], query_active: bool) -> Vec<(String, String)> {
    match item {
        Value::Object(map) => {
            let keys: Vec<&String> = if query_active {
                ordered_keys(map, key_orders)
            } else {
                map.keys().collect()
            };
            keys.into_iter()
                .filter(|k| !SKIP_KEYS.contains(&k.as_str()))
                .filter(|k| !matches!(map[*k], Value::Null | Value::Array(_) | Value::Object(_)))
                .map(|k| (capitalize(k), tsv_cell(&map[k])))
                .collect()
        }
        Value::Array(values) => values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("Column{}", i + 1), tsv_cell(v)))
            .collect(),
        other => vec![("Result".to_owned(), tsv_cell(other))],
    }
}

fn capitalize(key: &str) -> String {
    let mut chars = key.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn line(cells: &[String], widths: &[usize]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(cell, width)| format!("{cell:<width$}"))
        .collect();
    let mut text = padded.join("  ").trim_end().to_owned();
    text.push('\n');
    text
}

/// One value as Python's `str()` prints it inside a tsv row.
pub fn tsv_cell(value: &Value) -> String {
    match value {
        Value::Array(items) => items.len().to_string(),
        Value::Object(_) => String::new(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lays_out_like_tabulate_simple() {
        let v = json!([
            {"name": "vnet-avd", "location": "eastus", "id": "/x", "tags": {}, "resourceGroup": "rg-avd"},
            {"name": "v2", "location": "westeurope", "id": "/y", "resourceGroup": "rg"}
        ]);
        let expected = "\
Location    Name      ResourceGroup
----------  --------  ---------------
eastus      vnet-avd  rg-avd
westeurope  v2        rg
";
        assert_eq!(render(&v, &[], false), expected);
    }

    #[test]
    fn scalars_become_a_result_column() {
        assert_eq!(render(&json!("abc"), &[], true), "Result\n--------\nabc\n");
        assert_eq!(render(&json!([]), &[], false), "\n");
    }
}
