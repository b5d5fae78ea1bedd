//! The managed run command (`template.mode: managed`): `az vm run-command create
//! --async-execution`, polled with `show --expand instanceView`, deleted afterwards. Pure helpers
//! that build the `az` argument lists and read the instance view.

use std::path::Path;

/// One managed run command on one VM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedRunCommand {
    /// The VM's resource group.
    pub resource_group: String,
    /// The VM's name.
    pub vm: String,
    /// The run command resource's name (unique per VM, e.g. `avdeploy-<op>-<run id>`).
    pub name: String,
    /// Script execution limit on the VM, in seconds.
    pub timeout_secs: u64,
}

impl ManagedRunCommand {
    /// `az` arguments that create the run command and start `script` without waiting.
    pub fn create_args(&self, script: &Path) -> Vec<String> {
        let mut args = self.target("create");
        args.extend([
            "--script".to_owned(),
            format!("@{}", script.display()),
            "--async-execution".to_owned(),
            "true".to_owned(),
            "--timeout-in-seconds".to_owned(),
            self.timeout_secs.to_string(),
            "--output".to_owned(),
            "json".to_owned(),
        ]);
        args
    }

    /// `az` arguments that read the run command's state and output so far.
    pub fn show_args(&self) -> Vec<String> {
        let mut args = self.target("show");
        args.extend(
            ["--expand", "instanceView", "--output", "json"]
                .iter()
                .map(|s| (*s).to_owned()),
        );
        args
    }

    /// `az` arguments that delete the finished run command (at most 25 may exist per VM).
    pub fn delete_args(&self) -> Vec<String> {
        let mut args = self.target("delete");
        args.push("--yes".to_owned());
        args
    }

    fn target(&self, verb: &str) -> Vec<String> {
        [
            "vm",
            "run-command",
            verb,
            "--resource-group",
            &self.resource_group,
            "--vm-name",
            &self.vm,
            "--name",
            &self.name,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }
}

/// Where a managed run command's script stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecutionState {
    /// Stopped on request.
    Canceled,
    /// Finished unsuccessfully (the exit code says more).
    Failed,
    /// Queued, not started yet.
    Pending,
    /// Running on the VM.
    Running,
    /// Finished with exit code 0.
    Succeeded,
    /// Stopped by `--timeout-in-seconds`.
    TimedOut,
    /// A state this version does not know, as Azure wrote it.
    Unknown(String),
}

impl ExecutionState {
    fn from_azure(text: &str) -> Self {
        match text.to_ascii_lowercase().as_str() {
            "canceled" | "cancelled" => Self::Canceled,
            "failed" => Self::Failed,
            "pending" => Self::Pending,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "timedout" => Self::TimedOut,
            _ => Self::Unknown(text.to_owned()),
        }
    }

    /// Whether the script has stopped (polling can end).
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::Pending | Self::Running | Self::Unknown(_))
    }
}

/// The `instanceView` of `az vm run-command show --expand instanceView`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceView {
    /// The execution state.
    pub state: ExecutionState,
    /// The script's real exit code, once it has one.
    pub exit_code: Option<i32>,
    /// StdOut so far.
    pub output: String,
    /// StdErr so far.
    pub error: String,
    /// Azure's own message about the execution (e.g. why it failed to start).
    pub message: Option<String>,
}

/// Why an instance view could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InstanceViewError {
    /// The text is not JSON.
    #[error("the run-command show answer is not JSON")]
    Json {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// No `instanceView.executionState`.
    #[error("the run-command show answer has no `instanceView.executionState`")]
    Shape,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawShow {
    instance_view: Option<RawView>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawView {
    execution_state: Option<String>,
    exit_code: Option<i32>,
    output: Option<String>,
    error: Option<String>,
    execution_message: Option<String>,
}

/// Reads the JSON of `az vm run-command show --expand instanceView -o json`.
pub fn parse_instance_view(json: &str) -> Result<InstanceView, InstanceViewError> {
    let raw: RawShow =
        serde_json::from_str(json).map_err(|source| InstanceViewError::Json { source })?;
    let view = raw.instance_view.ok_or(InstanceViewError::Shape)?;
    let state = view
        .execution_state
        .as_deref()
        .map(ExecutionState::from_azure)
        .ok_or(InstanceViewError::Shape)?;
    Ok(InstanceView {
        state,
        exit_code: view.exit_code,
        output: view.output.unwrap_or_default(),
        error: view.error.unwrap_or_default(),
        message: view.execution_message.filter(|m| !m.is_empty()),
    })
}

/// The bash that drives a managed run-command: create it asynchronously, stream its output while
/// polling, delete it, and exit with the script's real exit code.
pub fn polling_script(scripts_arg: &str) -> String {
    format!(
        r#"name="avdeploy-$AVD_OPERATION_ID"
target=(--resource-group "$AVD_VM_RESOURCE_GROUP" --vm-name "$AVD_VM_NAME" --name "$name")
az vm run-command create "${{target[@]}}" --script "{scripts_arg}" --async-execution true \
  --timeout-in-seconds "$AVD_TIMEOUT_SECONDS" --output none
trap 'az vm run-command delete "${{target[@]}}" --yes --output none || true' EXIT
seen=0
while :; do
  az vm run-command show "${{target[@]}}" --expand instanceView --output json > "$AVD_OUTPUT_FILE"
  state=$(az vm run-command show "${{target[@]}}" --expand instanceView --query instanceView.executionState --output tsv)
  output=$(az vm run-command show "${{target[@]}}" --expand instanceView --query instanceView.output --output tsv)
  total=$(printf '%s\n' "$output" | wc -l)
  if [ "$total" -gt "$seen" ]; then printf '%s\n' "$output" | tail -n "+$((seen + 1))"; seen=$total; fi
  case "$state" in Succeeded|Failed|TimedOut|Canceled) break ;; esac
  sleep "${{AVD_POLL_SECONDS:-10}}"
done
code=$(az vm run-command show "${{target[@]}}" --expand instanceView --query instanceView.exitCode --output tsv)
error=$(az vm run-command show "${{target[@]}}" --expand instanceView --query instanceView.error --output tsv)
if [ -n "$error" ]; then echo "[ERROR] $error" >&2; fi
echo "[INFO] managed run-command ended: $state (exit code ${{code:-unknown}})"
exit "${{code:-1}}"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command() -> ManagedRunCommand {
        ManagedRunCommand {
            resource_group: "rg-avd".into(),
            vm: "vm-image".into(),
            name: "avdeploy-install-apps".into(),
            timeout_secs: 3600,
        }
    }

    #[test]
    fn builds_the_az_argument_lists() {
        let create = command().create_args(Path::new("artifacts/scripts/op.ps1"));
        assert_eq!(
            create.join(" "),
            "vm run-command create --resource-group rg-avd --vm-name vm-image --name \
             avdeploy-install-apps --script @artifacts/scripts/op.ps1 --async-execution true \
             --timeout-in-seconds 3600 --output json"
        );
        assert_eq!(
            command().show_args().join(" "),
            "vm run-command show --resource-group rg-avd --vm-name vm-image --name \
             avdeploy-install-apps --expand instanceView --output json"
        );
        assert_eq!(
            command().delete_args().last().map(String::as_str),
            Some("--yes")
        );
    }

    #[test]
    fn reads_running_and_finished_views() {
        let running = r#"{"name":"x","instanceView":{"executionState":"Running",
            "exitCode":null,"output":"[PROGRESS] 1/3\n","error":"","executionMessage":""}}"#;
        let view = parse_instance_view(running).unwrap();
        assert_eq!(view.state, ExecutionState::Running);
        assert!(!view.state.is_terminal());
        assert_eq!(view.exit_code, None);
        assert_eq!(view.output, "[PROGRESS] 1/3\n");
        assert_eq!(view.message, None);

        let failed = r#"{"instanceView":{"executionState":"Failed","exitCode":1603,
            "output":"","error":"msiexec failed","executionMessage":"Execution completed"}}"#;
        let view = parse_instance_view(failed).unwrap();
        assert_eq!(view.state, ExecutionState::Failed);
        assert!(view.state.is_terminal());
        assert_eq!(view.exit_code, Some(1603));
        assert_eq!(view.error, "msiexec failed");
        assert_eq!(view.message.as_deref(), Some("Execution completed"));
    }

    #[test]
    fn refuses_answers_without_a_state() {
        assert!(matches!(
            parse_instance_view(r#"{"instanceView":{}}"#),
            Err(InstanceViewError::Shape)
        ));
        assert!(matches!(
            parse_instance_view(r#"{"name":"x"}"#),
            Err(InstanceViewError::Shape)
        ));
        assert!(matches!(
            parse_instance_view("<html>"),
            Err(InstanceViewError::Json { .. })
        ));
        assert_eq!(
            ExecutionState::from_azure("Weird"),
            ExecutionState::Unknown("Weird".into())
        );
    }
}
