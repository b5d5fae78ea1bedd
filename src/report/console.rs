//! Console lines for a non-TTY terminal: the seed engine's exact texts (`Parallel Group: N
//! operations`, `[*] Started <op> (PID: n)`, ...) plus heartbeats, progress, retries and a summary.

use std::collections::{HashMap, HashSet};

use crate::base::text::blocked_text;
use crate::base::text::plural;
use crate::exec::event::{EventKind, RunEvent};
use crate::model::instances::WHEN_FALSE;
use crate::model::outcome::OperationStatus;
use crate::report::messages::{changed_reason, finished_text, heartbeat_text, retry_text};
use crate::report::summary::{NextSteps, RunTally, summary_lines};

/// What the console remembers between events.
#[derive(Clone, Debug, Default)]
pub struct ConsoleState {
    logs: String,
    planned: usize,
    /// Modules whose `[*] Module X` header is printed.
    announced: HashSet<String>,
    /// The parallel stage in progress of each module (modules run concurrently under `run all`).
    stages: HashMap<String, ParallelStage>,
    finals: HashMap<String, OperationStatus>,
    blocked: HashSet<String>,
    /// Operations blocked by requirements outside the run, which `resume` cannot satisfy.
    blocked_outside: HashSet<String>,
    /// The modules those requirements belong to, in the order they were first named.
    run_first: Vec<String>,
}

/// A parallel stage in progress, to know when all its members have started.
#[derive(Clone, Debug)]
struct ParallelStage {
    members: Vec<String>,
    accounted: HashSet<String>,
    started: usize,
    waiting_said: bool,
}

impl ConsoleState {
    /// A console whose summary points at `logs` (for example the logs folder and JSONL file).
    pub fn new(logs: impl Into<String>) -> Self {
        Self {
            logs: logs.into(),
            ..Self::default()
        }
    }

    /// How operations ended so far, for the summary.
    pub fn tally(&self) -> RunTally {
        RunTally::from_statuses(self.planned, self.finals.values().copied())
    }

    /// Remembers that `operation` waits for requirements in the modules `run_first`, which the
    /// run does not include, or for `missing` operations that wait for such requirements.
    fn note_outside(&mut self, operation: &str, missing: &[String], run_first: &[String]) {
        if run_first.is_empty() && !missing.iter().any(|m| self.blocked_outside.contains(m)) {
            return;
        }
        self.blocked_outside.insert(operation.to_owned());
        for module in run_first {
            if !self.run_first.contains(module) {
                self.run_first.push(module.clone());
            }
        }
    }

    /// What to run next when the run did not complete.
    fn next_steps(&self) -> NextSteps<'_> {
        NextSteps {
            run_first: &self.run_first,
            resume: self.tally().left_for_resume(self.blocked_outside.len()),
        }
    }

    /// `[*] Module X` the first time a module shows up, never again.
    fn header(&mut self, module: &str) -> Option<String> {
        self.announced
            .insert(module.to_owned())
            .then(|| format!("[*] Module {module}"))
    }

    /// Whether every member of `members` was skipped.
    fn all_skipped(&self, members: &[String]) -> bool {
        members
            .iter()
            .all(|m| self.finals.get(m) == Some(&OperationStatus::Skipped))
    }

    /// Notes that a member of a parallel stage in progress started (or never will); returns the
    /// waiting line once every member is accounted for.
    fn account(&mut self, operation: &str, started: bool) -> Option<String> {
        let stage = self
            .stages
            .values_mut()
            .find(|stage| stage.members.iter().any(|m| m == operation))?;
        if !stage.accounted.insert(operation.to_owned()) {
            return None;
        }
        stage.started += usize::from(started);
        let all_in = stage.accounted.len() == stage.members.len();
        if all_in && !stage.waiting_said && stage.started > 0 {
            stage.waiting_said = true;
            return Some(format!(
                "[*] Waiting for {} parallel operations to complete...",
                stage.started
            ));
        }
        None
    }
}

/// The console lines for one event (none for events the console does not show).
pub fn lines(state: &mut ConsoleState, event: &RunEvent) -> Vec<String> {
    match &event.kind {
        EventKind::RunStarted {
            run_id,
            target,
            operations,
            throttle,
            ..
        } => {
            state.planned = *operations;
            vec![format!(
                "[*] Run {run_id}: {target} ({}, throttle {throttle})",
                plural(*operations, "operation")
            )]
        }
        EventKind::StageStarted {
            module,
            parallel_group,
            operations,
            ..
        } => {
            // The instances of a `for_each` operation form a parallel stage without a group.
            let parallel = parallel_group.is_some() || operations.len() > 1;
            stage_started(state, module, parallel, operations)
        }
        EventKind::OperationBlocked {
            module,
            operation,
            missing,
            run_first,
        } => {
            state.blocked.insert(operation.clone());
            state.note_outside(operation, missing, run_first);
            state
                .finals
                .insert(operation.clone(), OperationStatus::Blocked);
            let mut out: Vec<String> = state.header(module).into_iter().collect();
            out.push(format!(
                "[x] Operation {operation} blocked: {}",
                blocked_text(missing)
            ));
            out.extend(state.account(operation, false));
            out
        }
        EventKind::OperationStarted {
            module,
            operation,
            attempt,
            pid,
            changed,
            ..
        } => {
            let mut out: Vec<String> = state.header(module).into_iter().collect();
            if *attempt == 1 && !changed.is_empty() {
                out.push(format!("[*] {operation} {}", changed_reason(changed)));
            }
            out.push(format!("[*] Started {operation} (PID: {pid})"));
            out.extend(state.account(operation, true));
            out
        }
        EventKind::Heartbeat {
            operation,
            elapsed,
            expected,
            ..
        } => vec![format!(
            "[*] {operation} {}",
            heartbeat_text(*elapsed, *expected)
        )],
        EventKind::Progress {
            operation, message, ..
        } => vec![format!("[{operation}] {message}")],
        EventKind::Marker {
            operation,
            marker,
            message,
            ..
        } if marker == "ERROR" || marker == "WARNING" => {
            vec![format!("[{operation}] [{marker}] {message}")]
        }
        EventKind::Marker { .. } => Vec::new(),
        EventKind::OutputPublished {
            operation, name, ..
        } => vec![format!("[*] {operation} published {name}")],
        EventKind::AttemptFailedWillRetry {
            operation,
            attempt,
            max_attempts,
            delay,
            class,
            message,
            ..
        } => {
            let mut out = vec![format!(
                "[!] {operation}: {}",
                retry_text(*attempt, *max_attempts, *delay, class)
            )];
            if !message.is_empty() {
                out.push(format!("    {message}"));
            }
            out
        }
        EventKind::OperationFinished { .. } => operation_finished(state, event),
        EventKind::StageFinished {
            module,
            parallel,
            success,
            ..
        } => {
            // A stage that ran nothing neither succeeded nor failed as a group.
            let ran_nothing = state
                .stages
                .remove(module)
                .is_some_and(|stage| state.all_skipped(&stage.members));
            match (parallel, success) {
                (false, _) => Vec::new(),
                _ if ran_nothing => Vec::new(),
                (true, true) => vec!["[v] All parallel operations completed successfully".into()],
                (true, false) => {
                    vec!["[x] Parallel group failed - one or more operations failed".into()]
                }
            }
        }
        EventKind::InterruptRequested { running } => vec![format!(
            "[!] Interrupt received: waiting for {} to finish; press Ctrl-C again to kill them",
            plural(*running, "running operation")
        )],
        EventKind::KillRequested { running } => vec![format!(
            "[!] Second interrupt: killing {}",
            plural(*running, "running operation")
        )],
        EventKind::RunFinished {
            run_id,
            outcome,
            duration,
        } => summary_lines(
            run_id,
            *outcome,
            *duration,
            &state.tally(),
            &state.logs,
            &state.next_steps(),
        ),
    }
}

fn stage_started(
    state: &mut ConsoleState,
    module: &str,
    parallel: bool,
    operations: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = state.header(module).into_iter().collect();
    if parallel {
        out.push(format!("Parallel Group: {} operations", operations.len()));
        out.extend(operations.iter().map(|op| format!("  - {op}")));
        state.stages.insert(
            module.to_owned(),
            ParallelStage {
                members: operations.to_vec(),
                accounted: HashSet::new(),
                started: 0,
                waiting_said: false,
            },
        );
    }
    out
}

fn operation_finished(state: &mut ConsoleState, event: &RunEvent) -> Vec<String> {
    let EventKind::OperationFinished {
        module,
        operation,
        status,
        exit_code,
        duration,
        class,
        hint,
        error,
        ..
    } = &event.kind
    else {
        return Vec::new();
    };
    state.finals.insert(operation.clone(), *status);
    let header = state.header(module);
    let finished = || finished_text(*status, *exit_code, *duration);
    let mut out: Vec<String> = match status {
        OperationStatus::Completed => vec![format!("[v] Operation {operation} {}", finished())],
        OperationStatus::Failed | OperationStatus::TimedOut => {
            vec![format!("[x] Operation {operation} {}", finished())]
        }
        OperationStatus::Interrupted => vec![format!("[!] Operation {operation} interrupted")],
        OperationStatus::Skipped => {
            // The reason is why it did not run, not an error of its own.
            let reason = match error.as_deref() {
                Some(WHEN_FALSE) => format!(" ({WHEN_FALSE})"),
                Some(e) => format!(": {e}"),
                None => String::new(),
            };
            vec![format!("[-] Operation {operation} skipped{reason}")]
        }
        OperationStatus::Blocked if state.blocked.contains(operation) => Vec::new(),
        OperationStatus::Blocked => vec![format!("[x] Operation {operation} blocked")],
        OperationStatus::Pending | OperationStatus::Running => Vec::new(),
    };
    if let Some(class) = class {
        out.push(format!("    error class: {class}"));
    }
    if let Some(hint) = hint {
        out.push(format!("    hint: {hint}"));
    }
    if let Some(error) = error
        .as_ref()
        .filter(|_| *status != OperationStatus::Skipped)
    {
        out.push(format!("    last error: {error}"));
    }
    out.extend(state.account(operation, false));
    header.into_iter().chain(out).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn full_run_keeps_the_seed_lines() {
        let mut state = ConsoleState::new("artifacts/logs");
        let text: Vec<String> = sample::events()
            .iter()
            .flat_map(|event| lines(&mut state, event))
            .collect();
        insta::assert_snapshot!(text.join("\n"));
    }

    #[test]
    fn waiting_line_comes_once_all_members_started() {
        let mut state = ConsoleState::new("logs");
        let events = sample::events();
        let mut waiting = Vec::new();
        for (index, event) in events.iter().enumerate() {
            if lines(&mut state, event)
                .iter()
                .any(|line| line.starts_with("[*] Waiting for"))
            {
                waiting.push(index);
            }
        }
        // After nsg-c (the last member of group 1 to start) and after share (group 2).
        assert_eq!(waiting, [13, 23]);
    }

    #[test]
    fn concurrent_parallel_stages_of_two_modules_each_get_their_waiting_line() {
        let stage = |module: &str| {
            RunEvent::now(EventKind::StageStarted {
                module: module.into(),
                stage: 1,
                parallel_group: Some(1),
                operations: vec![format!("{module}-a"), format!("{module}-b")],
            })
        };
        let started = |op: &str| {
            RunEvent::now(EventKind::OperationStarted {
                module: op[..2].into(),
                operation: op.into(),
                attempt: 1,
                pid: 1,
                log_path: "log".into(),
                expected: std::time::Duration::from_secs(1),
                changed: Vec::new(),
                fingerprint: None,
            })
        };
        let events = [
            stage("m1"),
            stage("m2"),
            started("m1-a"),
            started("m2-a"),
            started("m1-b"),
            started("m2-b"),
        ];
        let mut state = ConsoleState::new("logs");
        let waiting = events
            .iter()
            .flat_map(|event| lines(&mut state, event))
            .filter(|line| line.starts_with("[*] Waiting for 2 parallel operations"))
            .count();
        assert_eq!(waiting, 2);
    }

    fn started(module: &str, op: &str) -> RunEvent {
        RunEvent::now(EventKind::OperationStarted {
            module: module.into(),
            operation: op.into(),
            attempt: 1,
            pid: 1,
            log_path: "log".into(),
            expected: std::time::Duration::from_secs(1),
            changed: Vec::new(),
            fingerprint: None,
        })
    }

    fn finished(module: &str, op: &str, status: OperationStatus) -> RunEvent {
        RunEvent::now(EventKind::OperationFinished {
            module: module.into(),
            operation: op.into(),
            attempt: 1,
            status,
            exit_code: Some(0),
            duration: std::time::Duration::ZERO,
            class: None,
            hint: None,
            error: None,
        })
    }

    #[test]
    fn each_module_header_is_printed_once_even_when_modules_interleave() {
        let events = [
            started("net", "vnet"),
            started("dag", "group"),
            finished("net", "vnet", OperationStatus::Completed),
            started("net", "subnet"),
            finished("dag", "group", OperationStatus::Completed),
        ];
        let mut state = ConsoleState::new("logs");
        let headers: Vec<String> = events
            .iter()
            .flat_map(|event| lines(&mut state, event))
            .filter(|line| line.starts_with("[*] Module"))
            .collect();
        assert_eq!(headers, ["[*] Module net", "[*] Module dag"]);
    }

    #[test]
    fn a_stage_whose_members_were_all_skipped_claims_no_success() {
        let stage = RunEvent::now(EventKind::StageStarted {
            module: "m".into(),
            stage: 1,
            parallel_group: Some(1),
            operations: vec!["a".into(), "b".into()],
        });
        let done = RunEvent::now(EventKind::StageFinished {
            module: "m".into(),
            stage: 1,
            parallel: true,
            success: true,
        });
        let mut state = ConsoleState::new("logs");
        let mut text = lines(&mut state, &stage);
        for op in ["a", "b"] {
            text.extend(lines(
                &mut state,
                &finished("m", op, OperationStatus::Skipped),
            ));
        }
        text.extend(lines(&mut state, &done));
        assert!(
            !text.iter().any(|l| l.contains("All parallel operations")),
            "{text:?}"
        );
        // One member that ran is enough for the stage's verdict.
        let mut state = ConsoleState::new("logs");
        lines(&mut state, &stage);
        lines(&mut state, &finished("m", "a", OperationStatus::Skipped));
        lines(&mut state, &finished("m", "b", OperationStatus::Completed));
        assert_eq!(
            lines(&mut state, &done),
            ["[v] All parallel operations completed successfully"]
        );
    }
}
