//! Operations a dead engine left running: each runs in its own process group, which outlives an
//! engine killed with `kill -9`. Before a new run starts, they are stopped (SIGTERM, then SIGKILL
//! after the grace period) so that an operation never runs twice at once. A group counts as
//! stopped only once no live process of it is left; until then it stays on record.

use std::time::{Duration, Instant};

use crate::exec::unix::{GroupSignal, group_alive, signal_group};

/// An attempt a dead engine left `running`, now recorded as `interrupted`. Its process group may
/// still be alive: each operation runs in its own group, which outlives a killed engine. It stays
/// on record until the group is proven gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftRunning {
    /// The attempt's row id.
    pub attempt: i64,
    /// The operation id.
    pub operation: String,
    /// The attempt's process id, which is also its process group id.
    pub pid: u32,
    /// The run the attempt belonged to: every process of the attempt has
    /// `AVD_RUN_ID=<run_id>` in its environment, which proves the group is still the attempt's.
    pub run_id: String,
}

/// The variable whose value, the run id, marks every process an operation starts.
pub(crate) const RUN_MARKER_VAR: &str = "AVD_RUN_ID";

/// How long a group may take to vanish after SIGKILL before it counts as unstoppable.
const AFTER_KILL: Duration = Duration::from_secs(5);

/// What [`stop`] found and did.
#[derive(Debug, Default)]
pub(crate) struct Cleanup {
    /// One line per group that was alive and is now gone.
    pub lines: Vec<String>,
    /// Groups proven gone (including those already gone before).
    pub gone: Vec<LeftRunning>,
    /// Groups still alive after SIGTERM, the grace period and SIGKILL.
    pub alive: Vec<LeftRunning>,
    /// Ctrl-C (or SIGTERM) arrived meanwhile: nothing new should start.
    pub interrupted: bool,
}

/// Stops the process groups of `left` that are still alive: SIGTERM, up to `grace` for them to
/// end, then SIGKILL, and waits until each group is gone. `interrupts` counts Ctrl-C meanwhile:
/// the first cuts the grace period short (SIGKILL now), the second ends the wait for the groups
/// to vanish.
pub(crate) fn stop(left: &[LeftRunning], grace: Duration, interrupts: &dyn Fn() -> u32) -> Cleanup {
    let (alive, already_gone): (Vec<&LeftRunning>, Vec<&LeftRunning>) = left
        .iter()
        .partition(|l| group_alive(l.pid) && is_the_attempts(l));
    for orphan in &alive {
        signal_group(orphan.pid, GroupSignal::Terminate);
    }
    wait_gone(&alive, Instant::now() + grace, &|| interrupts() >= 1);
    let killed: Vec<bool> = alive
        .iter()
        .map(|orphan| signal_group(orphan.pid, GroupSignal::Kill))
        .collect();
    wait_gone(&alive, Instant::now() + AFTER_KILL, &|| interrupts() >= 2);
    let mut cleanup = Cleanup {
        gone: already_gone.into_iter().cloned().collect(),
        interrupted: interrupts() >= 1,
        ..Cleanup::default()
    };
    for (orphan, killed) in alive.into_iter().zip(killed) {
        if group_alive(orphan.pid) {
            cleanup.alive.push(orphan.clone());
            continue;
        }
        let how = if killed { "killed" } else { "stopped" };
        cleanup.lines.push(format!(
            "[!] {} was still running from an engine that died (process group {}): {how}",
            orphan.operation, orphan.pid
        ));
        cleanup.gone.push(orphan.clone());
    }
    cleanup
}

/// Sleeps until every group of `groups` is gone, `deadline` passes or `enough` holds.
fn wait_gone(groups: &[&LeftRunning], deadline: Instant, enough: &dyn Fn() -> bool) {
    while groups.iter().any(|o| group_alive(o.pid)) && Instant::now() < deadline && !enough() {
        std::thread::sleep(Duration::from_millis(50));
    }
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
            attempt: 1,
            operation: "op".into(),
            pid: child.id(),
            run_id: "20250101-000000-1".into(),
        }];
        let cleanup = stop(&left, Duration::from_secs(2), &|| 0);
        assert_eq!(cleanup.lines.len(), 1, "{cleanup:?}");
        assert!(cleanup.lines[0].contains("op was still running"));
        assert_eq!(cleanup.gone, left);
        assert!(cleanup.alive.is_empty());
        let status = child.wait().expect("wait");
        assert!(!status.success());
        let again = stop(&left, Duration::from_secs(1), &|| 0);
        assert!(again.lines.is_empty());
        assert_eq!(again.gone, left, "a group already gone is proven gone");
    }

    #[test]
    fn an_interrupt_cuts_the_grace_period_short() {
        let mut child = std::process::Command::new("bash")
            .args(["-c", "trap '' TERM; sleep 300"])
            .process_group(0)
            .env(RUN_MARKER_VAR, "20250101-000000-1")
            .spawn()
            .expect("spawn bash");
        let left = [LeftRunning {
            attempt: 1,
            operation: "op".into(),
            pid: child.id(),
            run_id: "20250101-000000-1".into(),
        }];
        let started = Instant::now();
        let cleanup = stop(&left, Duration::from_secs(600), &|| 1);
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "waited out the grace"
        );
        assert_eq!(cleanup.gone, left);
        assert!(cleanup.lines[0].ends_with("killed"), "{:?}", cleanup.lines);
        child.wait().expect("wait");
    }

    #[test]
    fn a_reused_pid_without_the_runs_marker_is_left_alone() {
        for marker in [None, Some("20250101-000000-2")] {
            let mut child = sleeper(marker);
            let left = [LeftRunning {
                attempt: 1,
                operation: "op".into(),
                pid: child.id(),
                run_id: "20250101-000000-1".into(),
            }];
            let cleanup = stop(&left, Duration::from_secs(1), &|| 0);
            assert!(cleanup.lines.is_empty(), "{cleanup:?}");
            assert_eq!(cleanup.gone, left, "the attempt's own group is gone");
            assert!(child.try_wait().expect("try_wait").is_none(), "{marker:?}");
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
    }
}
