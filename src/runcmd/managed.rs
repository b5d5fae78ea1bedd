//! The managed run command (`template.mode: managed`): `az vm run-command create
//! --async-execution`, polled with `show --expand instanceView`, deleted afterwards. The polling
//! bash, and the reading of the final instance view the engine judges.

use crate::runcmd::response::{self, Failure};
use crate::runcmd::script_file;

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

    /// The state as Azure names it.
    pub fn name(&self) -> &str {
        match self {
            Self::Canceled => "Canceled",
            Self::Failed => "Failed",
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Succeeded => "Succeeded",
            Self::TimedOut => "TimedOut",
            Self::Unknown(text) => text,
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
struct RawView {
    execution_state: Option<String>,
    exit_code: Option<i32>,
    output: Option<String>,
    error: Option<String>,
    execution_message: Option<String>,
}

/// Reads an instance view: the JSON of `az vm run-command show --expand instanceView`, or its
/// `instanceView` alone (`--query instanceView`).
pub fn parse_instance_view(json: &str) -> Result<InstanceView, InstanceViewError> {
    let mut value: serde_json::Value =
        serde_json::from_str(json).map_err(|source| InstanceViewError::Json { source })?;
    if let Some(inner) = value.get_mut("instanceView") {
        value = inner.take();
    }
    let view: RawView = serde_json::from_value(value).map_err(|_| InstanceViewError::Shape)?;
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

/// Judges a finished managed run command: a non-zero exit code, an end other than `Succeeded`,
/// an `[ERROR]` marker in its output or text on its StdErr fail it, in that order of precedence.
pub fn judge(view: &InstanceView) -> Result<(), Failure> {
    let last_error = response::last_error_marker(&view.output);
    if let Some(code) = view.exit_code.filter(|code| *code != 0) {
        let error =
            last_error.or_else(|| response::meaningful_stderr(&view.error).map(str::to_owned));
        return Err(Failure::ExitCode { code, error });
    }
    if view.state != ExecutionState::Succeeded {
        return Err(Failure::Ended {
            state: view.state.name().to_owned(),
            message: view.message.clone(),
        });
    }
    if let Some(message) = last_error {
        return Err(Failure::ErrorMarker(message));
    }
    if let Some(line) = response::meaningful_stderr(&view.error) {
        return Err(Failure::Stderr(line.to_owned()));
    }
    Ok(())
}

/// The bash that drives a managed run command: create it asynchronously from the script file
/// that [`script_file::prepare`] wrote (removed once created), print its new output lines at every
/// poll (`AVD_POLL_SECONDS`, default 10), write its final instance view to `$AVD_OUTPUT_FILE`
/// and delete it. The script exits 0 once the run command has ended, whatever its exit code: the
/// engine judges the instance view (exit codes above 255 survive that way). It exits non-zero
/// only when the run command could not be created or followed.
pub fn polling_script() -> String {
    let scripts_arg = script_file::SCRIPTS_ARG;
    let remove = script_file::REMOVE;
    format!(
        r#"name="avdeploy-$AVD_OPERATION_ID"
target=(--resource-group "$AVD_VM_RESOURCE_GROUP" --vm-name "$AVD_VM_NAME" --name "$name")
show() {{ az vm run-command show "${{target[@]}}" --expand instanceView "$@"; }}
az vm run-command create "${{target[@]}}" --script "{scripts_arg}" --async-execution true \
  --timeout-in-seconds "$AVD_TIMEOUT_SECONDS" --output none
{remove}trap 'az vm run-command delete "${{target[@]}}" --yes --output none || true' EXIT
shown="" failures=0
while :; do
  if state=$(show --query instanceView.executionState --output tsv) &&
    output=$(show --query instanceView.output --output tsv); then
    failures=0
  else
    failures=$((failures + 1))
    if [ "$failures" -ge 5 ]; then
      echo "[ERROR] cannot read the state of run command $name ($failures attempts)" >&2
      exit 1
    fi
    sleep "${{AVD_POLL_SECONDS:-10}}"
    continue
  fi
  if [ -n "$output" ] && [ "$output" != "$shown" ]; then
    new=${{output#"$shown"}}
    printf '%s\n' "${{new#$'\n'}}"
    shown=$output
  fi
  case "$state" in Succeeded|Failed|TimedOut|Canceled) break ;; esac
  sleep "${{AVD_POLL_SECONDS:-10}}"
done
show --query instanceView --output json > "$AVD_OUTPUT_FILE"
echo "[INFO] run command $name ended: $state"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn finished(
        state: ExecutionState,
        code: Option<i32>,
        output: &str,
        error: &str,
    ) -> InstanceView {
        InstanceView {
            state,
            exit_code: code,
            output: output.into(),
            error: error.into(),
            message: None,
        }
    }

    #[test]
    fn judges_exit_code_state_markers_and_stderr() {
        use ExecutionState::{Failed, Succeeded, TimedOut};
        assert_eq!(
            judge(&finished(Succeeded, Some(0), "[SUCCESS] ok\n", "")),
            Ok(())
        );
        assert_eq!(
            judge(&finished(Failed, Some(1603), "[ERROR] msi failed\n", "")),
            Err(Failure::ExitCode {
                code: 1603,
                error: Some("msi failed".into())
            })
        );
        let timed_out = judge(&finished(TimedOut, None, "", "")).unwrap_err();
        assert_eq!(timed_out.exit_code(), 1);
        assert!(timed_out.to_string().contains("`TimedOut`"));
        assert_eq!(
            judge(&finished(Succeeded, Some(0), "[ERROR] half done\n", "")),
            Err(Failure::ErrorMarker("half done".into()))
        );
        assert_eq!(
            judge(&finished(Succeeded, Some(0), "", "Write-Error : x\n")),
            Err(Failure::Stderr("Write-Error : x".into()))
        );
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
        let bare = parse_instance_view(r#"{"executionState":"Succeeded","exitCode":0}"#).unwrap();
        assert_eq!(
            (bare.state, bare.exit_code),
            (ExecutionState::Succeeded, Some(0))
        );
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
