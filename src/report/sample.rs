//! A full run's events for reporter tests: a sequential stage, a parallel group with a retry, a
//! timeout, a failure and a blocked member, a successful parallel group, then an interrupt.

use std::path::PathBuf;
use std::time::Duration;

use crate::exec::event::{EventKind, RunEvent};
use crate::model::operation::OperationKey;
use crate::model::outcome::OperationStatus;
use crate::model::outcome::RunOutcome;

const NET: &str = "01-networking";
const STORAGE: &str = "02-storage";

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn stage(module: &str, stage: usize, group: Option<u32>, ops: &[&str]) -> RunEvent {
    RunEvent::now(EventKind::StageStarted {
        module: module.into(),
        stage,
        parallel_group: group,
        operations: ops.iter().map(|op| (*op).to_owned()).collect(),
    })
}

fn stage_done(module: &str, stage: usize, parallel: bool, success: bool) -> RunEvent {
    RunEvent::now(EventKind::StageFinished {
        module: module.into(),
        stage,
        parallel,
        success,
    })
}

fn start(module: &str, op: &str, attempt: u32, pid: u32) -> RunEvent {
    RunEvent::now(EventKind::OperationStarted {
        module: module.into(),
        operation: op.into(),
        attempt,
        pid,
        log_path: PathBuf::from(format!("artifacts/logs/{op}_20250301_0900{attempt:02}.log")),
        expected: secs(120),
        changed: Vec::new(),
        fingerprint: None,
    })
}

fn done(module: &str, op: &str, attempt: u32, status: OperationStatus) -> RunEvent {
    let (exit_code, class, hint, error) = match status {
        OperationStatus::Completed => (Some(0), None, None, None),
        OperationStatus::TimedOut => (
            Some(124),
            Some("Timeout"),
            Some("raise duration.timeout if the operation is slow but healthy"),
            Some("killed after 2m00s (duration.timeout)"),
        ),
        OperationStatus::Failed => (
            Some(1),
            Some("QuotaExceeded"),
            Some("request a quota increase for the region"),
            Some(
                "ERROR: (QuotaExceeded) Operation could not be completed as it results in exceeding approved quota.",
            ),
        ),
        _ => (None, None, None, None),
    };
    RunEvent::now(EventKind::OperationFinished {
        module: module.into(),
        operation: op.into(),
        attempt,
        status,
        exit_code,
        duration: if status == OperationStatus::TimedOut {
            secs(120)
        } else {
            secs(95)
        },
        class: class.map(str::to_owned),
        hint: hint.map(str::to_owned),
        error: error.map(str::to_owned),
    })
}

/// The plan of [`events`].
pub(crate) fn plan() -> Vec<OperationKey> {
    [
        (NET, "vnet"),
        (NET, "nsg-a"),
        (NET, "nsg-b"),
        (NET, "nsg-c"),
        (NET, "peering"),
        (STORAGE, "account"),
        (STORAGE, "share"),
        (STORAGE, "private-endpoint"),
    ]
    .iter()
    .map(|(m, op)| OperationKey::new(*m, *op))
    .collect()
}

/// Every event of the sample run, in order.
/// The events of the run, one second apart from 2025-03-01 09:00:00 UTC.
pub(crate) fn events() -> Vec<RunEvent> {
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, 1, 9, 0, 0).unwrap();
    (0..)
        .zip(unstamped())
        .map(|(second, event)| RunEvent::at(event.kind, start + chrono::Duration::seconds(second)))
        .collect()
}

fn unstamped() -> Vec<RunEvent> {
    use OperationStatus::{Completed, Failed, Interrupted, TimedOut};
    vec![
        RunEvent::now(EventKind::RunStarted {
            run_id: "20250301-090000-1a2b".into(),
            target: "all".into(),
            operations: 8,
            throttle: 5,
            plan: plan(),
            engine_pid: 4000,
        }),
        stage(NET, 1, None, &["vnet"]),
        start(NET, "vnet", 1, 4100),
        RunEvent::now(EventKind::Heartbeat {
            module: NET.into(),
            operation: "vnet".into(),
            elapsed: secs(70),
            expected: secs(120),
        }),
        RunEvent::now(EventKind::Progress {
            module: NET.into(),
            operation: "vnet".into(),
            message: "Creating subnets (2/3)".into(),
        }),
        RunEvent::now(EventKind::Marker {
            module: NET.into(),
            operation: "vnet".into(),
            marker: "INFO".into(),
            message: "vnet-avd exists, updating".into(),
        }),
        RunEvent::now(EventKind::OutputPublished {
            module: NET.into(),
            operation: "vnet".into(),
            name: "NETWORKING_VNET_ID".into(),
            value: "/subscriptions/0000/vnet-avd".into(),
        }),
        done(NET, "vnet", 1, Completed),
        stage_done(NET, 1, false, true),
        stage(NET, 2, Some(1), &["nsg-a", "nsg-b", "nsg-c", "peering"]),
        start(NET, "nsg-a", 1, 4101),
        start(NET, "nsg-b", 1, 4102),
        RunEvent::now(EventKind::OperationBlocked {
            module: NET.into(),
            operation: "peering".into(),
            missing: vec!["hub-vnet".into(), "dns-zone".into()],
            run_first: Vec::new(),
        }),
        start(NET, "nsg-c", 1, 4103),
        RunEvent::now(EventKind::AttemptFailedWillRetry {
            module: NET.into(),
            operation: "nsg-b".into(),
            attempt: 1,
            max_attempts: 3,
            delay: secs(5),
            class: "AnotherOperationInProgress".into(),
            message: "(AnotherOperationInProgress) Another operation on this or dependent resource is in progress.".into(),
            exit_code: Some(1),
            duration: secs(12),
        }),
        start(NET, "nsg-b", 2, 4104),
        RunEvent::now(EventKind::Marker {
            module: NET.into(),
            operation: "nsg-b".into(),
            marker: "WARNING".into(),
            message: "rule 100 already exists".into(),
        }),
        done(NET, "nsg-a", 1, Completed),
        done(NET, "nsg-c", 1, TimedOut),
        done(NET, "nsg-b", 2, Failed),
        stage_done(NET, 2, true, false),
        stage(STORAGE, 1, Some(2), &["account", "share"]),
        start(STORAGE, "account", 1, 4200),
        start(STORAGE, "share", 1, 4201),
        done(STORAGE, "account", 1, Completed),
        done(STORAGE, "share", 1, Completed),
        stage_done(STORAGE, 1, true, true),
        stage(STORAGE, 2, None, &["private-endpoint"]),
        start(STORAGE, "private-endpoint", 1, 4202),
        RunEvent::now(EventKind::InterruptRequested { running: 1 }),
        RunEvent::now(EventKind::KillRequested { running: 1 }),
        done(STORAGE, "private-endpoint", 1, Interrupted),
        stage_done(STORAGE, 2, false, false),
        RunEvent::now(EventKind::RunFinished {
            run_id: "20250301-090000-1a2b".into(),
            outcome: RunOutcome::Interrupted,
            duration: secs(431),
        }),
    ]
}
