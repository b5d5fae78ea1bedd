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
}

/// Stops the process groups of `left` that are still alive; returns one line per group stopped.
pub fn stop(left: &[LeftRunning], grace: Duration) -> Vec<String> {
    let alive: Vec<&LeftRunning> = left.iter().filter(|l| group_alive(l.pid)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn stops_a_process_group_left_running() {
        let mut child = std::process::Command::new("sleep")
            .arg("300")
            .process_group(0)
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        let left = [LeftRunning {
            operation: "op".into(),
            pid,
        }];
        let lines = stop(&left, Duration::from_secs(2));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("op was still running"));
        let status = child.wait().expect("wait");
        assert!(!status.success());
        assert!(stop(&left, Duration::from_secs(1)).is_empty());
    }
}
