//! Resource Manager's OData `$filter` as the CLI sends it, and type comparison (ARM types are
//! case-insensitive).

use serde_json::{Value, json};

/// OData `$filter` of `field eq 'value'` clauses joined by `and` (`resourceType`, `name`,
/// `tagName`/`tagValue`, `principalId`, any property); other clauses (`atScope()`) pass.
pub(crate) fn filter_matches(resource: &Value, filter: Option<&str>) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let clauses: Vec<(String, String)> = split_and(filter)
        .iter()
        .filter_map(|clause| {
            let (field, value) = clause.split_once(" eq ")?;
            let value = value.trim().trim_matches('\'');
            Some((field.trim().to_owned(), value.to_owned()))
        })
        .collect();
    let tag_name = clauses.iter().find(|(f, _)| f == "tagName").map(|(_, v)| v);
    clauses.iter().all(|(field, value)| match field.as_str() {
        "resourceType" => type_is(resource, value),
        "tagName" => resource["tags"].get(value).is_some(),
        "tagValue" => tag_name.is_some_and(|name| resource["tags"][name] == json!(value)),
        "name" | "location" => resource[field]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(value)),
        other => resource["properties"][other]
            .as_str()
            .is_none_or(|v| v.eq_ignore_ascii_case(value)),
    })
}

fn split_and(filter: &str) -> Vec<String> {
    filter
        .split(" and ")
        .map(|c| {
            c.trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .to_owned()
        })
        .collect()
}

pub(crate) fn type_is(resource: &Value, type_name: &str) -> bool {
    resource["type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(type_name))
}
