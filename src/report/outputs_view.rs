//! `avdeploy outputs`: the published outputs as the objects of `outputs --json` (also the
//! `outputs` field of `status --json`) and as an aligned table.

use std::fmt::Write as _;

use crate::report::status_view::rfc3339;
use crate::state::records::PublishedOutput;

/// A published output in `outputs --json` and `status --json`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutputJson {
    /// The variable name.
    pub name: String,
    /// The value; `***` for a secret.
    pub value: String,
    /// The operation that published it.
    pub operation: String,
    /// When it was published, RFC 3339.
    pub published_at: String,
    /// Whether the value is a secret (the state never holds it in clear).
    pub secret: bool,
}

impl OutputJson {
    /// The JSON form of a published output.
    pub fn new(output: &PublishedOutput) -> Self {
        Self {
            name: output.name.clone(),
            value: output.value.clone(),
            operation: output.operation.clone(),
            published_at: rfc3339(output.published_at),
            secret: output.is_secret(),
        }
    }

    /// The JSON form of every output, in publication order.
    pub fn all(outputs: &[PublishedOutput]) -> Vec<Self> {
        outputs.iter().map(Self::new).collect()
    }
}

/// The `outputs` text: a header and one aligned row per output (name, operation, publication
/// time, value last, as values may be long), or a line saying there is none.
pub fn render_outputs(outputs: &[OutputJson]) -> String {
    if outputs.is_empty() {
        return "No outputs published yet.\n".to_owned();
    }
    let name = column_width("NAME", outputs.iter().map(|o| o.name.as_str()));
    let operation = column_width("OPERATION", outputs.iter().map(|o| o.operation.as_str()));
    let published = column_width("PUBLISHED", outputs.iter().map(|o| o.published_at.as_str()));
    let mut out = String::new();
    let mut row = |cells: [&str; 4]| {
        let [n, op, at, value] = cells;
        let line = format!("{n:name$}  {op:operation$}  {at:published$}  {value}");
        let _ = writeln!(out, "{}", line.trim_end());
    };
    row(["NAME", "OPERATION", "PUBLISHED", "VALUE"]);
    for output in outputs {
        row([
            &output.name,
            &output.operation,
            &output.published_at,
            &output.value,
        ]);
    }
    out
}

fn column_width<'a>(header: &str, cells: impl Iterator<Item = &'a str>) -> usize {
    cells.map(str::len).chain([header.len()]).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn output(operation: &str, name: &str, value: &str) -> PublishedOutput {
        PublishedOutput {
            operation: operation.to_owned(),
            name: name.to_owned(),
            value: value.to_owned(),
            published_at: chrono::Utc
                .with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
                .single()
                .expect("time"),
        }
    }

    #[test]
    fn renders_an_aligned_table_with_secrets_masked() {
        let outputs = OutputJson::all(&[
            output(
                "networking-create-vnet",
                "VNET_ID",
                "/subscriptions/s/vnets/v1",
            ),
            output("keys", "ADMIN_PASSWORD", "***"),
        ]);
        assert!(!outputs[0].secret);
        assert!(outputs[1].secret);
        assert_eq!(
            render_outputs(&outputs),
            "NAME            OPERATION               PUBLISHED             VALUE\n\
             VNET_ID         networking-create-vnet  2025-03-01T09:00:00Z  /subscriptions/s/vnets/v1\n\
             ADMIN_PASSWORD  keys                    2025-03-01T09:00:00Z  ***\n"
        );
    }

    #[test]
    fn says_when_there_is_none() {
        assert_eq!(render_outputs(&[]), "No outputs published yet.\n");
    }
}
