//! Operations a dead engine left running: each runs in its own process group, which outlives an
//! engine killed with `kill -9`. Before a new run starts, they are stopped (SIGTERM, then SIGKILL
//! after the grace period) so that an operation never runs twice at once.

use std::time::{Duration, Instant};

use crate::exec::unix::{GroupSignal, group_alive, signal_group};

/// An attempt a dead engine left `running`, now recorded as `interrupted`. Its process group may
/// still be alive: each operation runs in its own group, which outlives a killed engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftRunning {
    /// The operation id.
    pub operation: String,
    /// The attempt's process id, which is also its process group id.
    pub pid: u32,
    /// The run the attempt belonged to: every process of the attempt has
    /// `AVD_RUN_ID=<run_id>` in its environment, which proves the group is still the attempt's.
    pub run_id: String,
}

/// The variable whose value, the run id, marks every process an operation starts.
pub const RUN_MARKER_VAR: &str = "AVD_RUN_ID";

/// Stops the process groups of `left` that are still alive and provably the dead engine's
/// (see [`is_the_attempts`]); returns one line per group stopped.
pub fn stop(left: &[LeftRunning], grace: Duration) -> Vec<String> {
    let alive: Vec<&LeftRunning> = left
        .iter()
        .filter(|l| group_alive(l.pid) && is_the_attempts(l))
        .collect();
    for orphan in &alive {
        signal_group(orphan.pid, GroupSignal::Terminate);
    }
    let deadline = Instant::now() + grace;
    while alive.iter().any(|o| group_alive(o.pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    alive
        .iter()
        .map(|orphan| {
            let killed = signal_group(orphan.pid, GroupSignal::Kill);
            let how = if killed { "killed" } else { "stopped" };
            format!(
                "[!] {} was still running from an engine that died (process group {}): {how}",
                orphan.operation, orphan.pid
            )
        })
        .collect()
}

/// Whether a live member of process group `left.pid` carries `AVD_RUN_ID=<left.run_id>` in its
/// environment. Pids are reused (after a reboot almost surely), so a group with the recorded id
/// but without the marker belongs to someone else and is left alone.
fn is_the_attempts(left: &LeftRunning) -> bool {
    let marker = format!("{RUN_MARKER_VAR}={}", left.run_id).into_bytes();
    group_members(left.pid).into_iter().any(|pid| {
        std::fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|environ| environ.split(|&b| b == 0).any(|entry| entry == marker))
    })
}

/// The processes of group `pgid`, from `/proc`.
fn group_members(pgid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| process_group(pid) == Some(pgid))
        .collect()
}

/// The process group of `pid`, from `/proc/<pid>/stat` (the fifth field; the command name
/// before it is in parentheses and may itself hold spaces or parentheses).
fn process_group(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    fn sleeper(run_id: Option<&str>) -> std::process::Child {
        let mut command = std::process::Command::new("sleep");
        command
            .arg("300")
            .process_group(0)
            .env_remove(RUN_MARKER_VAR);
        if let Some(run_id) = run_id {
            command.env(RUN_MARKER_VAR, run_id);
        }
        command.spawn().expect("spawn sleep")
    }

    #[test]
    fn stops_a_process_group_left_running() {
        let mut child = sleeper(Some("20250101-000000-1"));
        let left = [LeftRunning {
            operation: "op".into(),
            pid: child.id(),
            run_id: "20250101-000000-1".into(),
        }];
        let lines = stop(&left, Duration::from_secs(2));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("op was still running"));
        let status = child.wait().expect("wait");
        assert!(!status.success());
        assert!(stop(&left, Duration::from_secs(1)).is_empty());
    }

    #[test]
    fn a_reused_pid_without_the_runs_marker_is_left_alone() {
        for marker in [None, Some("20250101-000000-2")] {
            let mut child = sleeper(marker);
            let left = [LeftRunning {
                operation: "op".into(),
                pid: child.id(),
                run_id: "20250101-000000-1".into(),
            }];
            assert!(stop(&left, Duration::from_secs(1)).is_empty());
            assert!(child.try_wait().expect("try_wait").is_none(), "{marker:?}");
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
    }
}
