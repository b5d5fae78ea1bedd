//! `avdeploy sim show` and `avdeploy sim reset`: inspect or clear the simulated subscription.

use std::path::Path;

use serde_json::{Value, json};

use crate::clock;
use crate::error::SimError;
use crate::resource::public;
use crate::store::Store;

/// Commands on the Azure simulator's state (a test double for Azure, used with `--simulate`).
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum SimCommand {
    /// Show the simulated subscription: its resources and the operations still in progress.
    Show {
        /// Print JSON instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Delete every simulated resource, operation in progress, throttling and fault counter.
    Reset,
}

/// Runs a `sim` command against the simulator directory `sim_dir`, printing to stdout.
pub fn execute(cmd: &SimCommand, sim_dir: &Path) -> Result<(), SimError> {
    print!("{}", render(cmd, sim_dir)?);
    Ok(())
}

/// What [`execute`] prints.
pub fn render(cmd: &SimCommand, sim_dir: &Path) -> Result<String, SimError> {
    match cmd {
        SimCommand::Reset => {
            Store::open(sim_dir)?.reset()?;
            Ok(format!(
                "Simulated subscription in {} reset.\n",
                sim_dir.display()
            ))
        }
        SimCommand::Show { json } => {
            let snapshot = snapshot(sim_dir)?;
            if *json {
                Ok(crate::output::json(&snapshot))
            } else {
                Ok(summary(&snapshot))
            }
        }
    }
}

/// The simulated subscription as JSON: `resources` (family, resourceGroup, name, id) and
/// `inProgress` (key, holder, remainingMs).
pub fn snapshot(sim_dir: &Path) -> Result<Value, SimError> {
    let mut store = Store::open(sim_dir)?;
    let now = clock::now_ms();
    let resources: Vec<Value> = store
        .all()?
        .into_iter()
        .map(|r| {
            let body = public(&r.body);
            json!({
                "family": r.family,
                "resourceGroup": body.get("resourceGroup").cloned().unwrap_or(Value::Null),
                "name": body.get("name").or(body.get("displayName")).cloned().unwrap_or(json!(r.name)),
                "id": body.get("id").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    let busy: Vec<Value> = store
        .busy(now)?
        .into_iter()
        .map(|b| json!({ "key": b.key, "holder": b.holder, "remainingMs": b.until_ms - now }))
        .collect();
    Ok(json!({ "resources": resources, "inProgress": busy }))
}

fn summary(snapshot: &Value) -> String {
    let empty = Vec::new();
    let resources = snapshot["resources"].as_array().unwrap_or(&empty);
    let busy = snapshot["inProgress"].as_array().unwrap_or(&empty);
    let mut out = format!(
        "Simulated subscription (avdeploy Azure simulator, a test double): {} resource(s)\n",
        resources.len()
    );
    for r in resources {
        let rg = r["resourceGroup"]
            .as_str()
            .map_or(String::new(), |rg| format!("  [{rg}]"));
        out.push_str(&format!(
            "  {:<40} {}{rg}\n",
            r["family"].as_str().unwrap_or(""),
            r["name"].as_str().unwrap_or("")
        ));
    }
    if !busy.is_empty() {
        out.push_str(&format!("In progress: {}\n", busy.len()));
        for b in busy {
            out.push_str(&format!(
                "  {}  ({}, {} ms left)\n",
                b["key"].as_str().unwrap_or(""),
                b["holder"].as_str().unwrap_or(""),
                b["remainingMs"]
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Record;

    #[test]
    fn show_lists_resources_and_reset_clears_them() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path())
            .unwrap()
            .put(&Record {
                key: "group||rg".into(),
                family: "group".into(),
                rg: String::new(),
                parent: String::new(),
                name: "rg".into(),
                body: json!({"name": "rg", "id": "/subscriptions/s/resourceGroups/rg"}),
            })
            .unwrap();
        let text = render(&SimCommand::Show { json: false }, dir.path()).unwrap();
        assert!(
            text.contains("1 resource(s)") && text.contains("rg"),
            "{text}"
        );
        let json: Value =
            serde_json::from_str(&render(&SimCommand::Show { json: true }, dir.path()).unwrap())
                .unwrap();
        assert_eq!(
            json["resources"][0]["id"],
            "/subscriptions/s/resourceGroups/rg"
        );
        render(&SimCommand::Reset, dir.path()).unwrap();
        assert_eq!(snapshot(dir.path()).unwrap()["resources"], json!([]));
    }
}
