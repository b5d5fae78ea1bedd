//! Facts that operations record about themselves: start and end timestamps written as marker
//! files (`marks/<op>.start`, `marks/<op>.end`), read back to prove overlap, barriers and caps.

#![allow(dead_code, reason = "each test file uses part of the helpers")]

use std::path::Path;

/// Adds YAML `keys` (each line indented by two spaces, like `  locks: ["x"]`) to an
/// operation file made by `deploy::bash_op`.
pub(crate) fn with_keys(operation_yaml: &str, keys: &str) -> String {
    operation_yaml.replacen("operation:\n", &format!("operation:\n{keys}\n"), 1)
}

/// Wraps `body` so the operation stamps `marks/<op>.start` first and `marks/<op>.end` last.
pub(crate) fn marked(body: &str) -> String {
    format!(
        "mkdir -p marks\n{}\n{body}\n{}\n",
        record("start"),
        record("end")
    )
}

/// Bash that writes the time to `marks/<op>.<which>` so that the file appears only once it holds
/// the stamp: a sibling polling for it never reads a time taken after it saw the file.
fn record(which: &str) -> String {
    format!(
        "date +%s.%N > \"marks/$AVD_OPERATION_ID.{which}.tmp\" && mv \"marks/$AVD_OPERATION_ID.{which}.tmp\" \"marks/$AVD_OPERATION_ID.{which}\""
    )
}

/// Bash that waits (at most about `millis`) until `condition` holds, then goes on either way.
pub(crate) fn wait_for(condition: &str, millis: u32) -> String {
    format!(
        "for _ in $(seq {}); do {condition} && break; sleep 0.02; done",
        millis.div_ceil(20).max(1)
    )
}

/// Bash that waits until `marks/<op>.start` exists for every op of `ops`, failing with exit 9
/// when they do not all appear within 10 s (they cannot overlap then).
pub(crate) fn wait_for_starts(ops: &[&str]) -> String {
    let condition: Vec<String> = ops
        .iter()
        .map(|op| format!("[ -e marks/{op}.start ]"))
        .collect();
    let condition = condition.join(" && ");
    format!(
        "{}\n{condition} || {{ echo \"[ERROR] siblings never started together\"; exit 9; }}",
        wait_for(&condition, 10_000)
    )
}

/// The interval an operation recorded, in seconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Interval {
    /// When it stamped its start.
    pub(crate) start: f64,
    /// When it stamped its end.
    pub(crate) end: f64,
}

impl Interval {
    /// Whether the two intervals share a moment.
    pub(crate) fn overlaps(self, other: Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// A marker file's timestamp, when the operation wrote it.
pub(crate) fn stamp(root: &Path, op: &str, which: &str) -> Option<f64> {
    std::fs::read_to_string(root.join("marks").join(format!("{op}.{which}")))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The interval `op` recorded; panics when it did not record both ends.
pub(crate) fn interval(root: &Path, op: &str) -> Interval {
    let start = stamp(root, op, "start").unwrap_or_else(|| panic!("{op} recorded no start"));
    let end = stamp(root, op, "end").unwrap_or_else(|| panic!("{op} recorded no end"));
    Interval { start, end }
}

/// The most intervals that held at one moment.
pub(crate) fn max_concurrency(intervals: &[Interval]) -> usize {
    let mut points: Vec<(f64, i32)> = intervals
        .iter()
        .flat_map(|i| [(i.start, 1), (i.end, -1)])
        .collect();
    // At the same instant an end comes before a start: touching intervals do not overlap.
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut current = 0i32;
    let mut most = 0i32;
    for (_, delta) in points {
        current += delta;
        most = most.max(current);
    }
    usize::try_from(most).unwrap_or(0)
}

/// Whether any process with this id is alive (a zombie counts as gone).
pub(crate) fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    })
}

/// Reads a pid an operation wrote to `relative`.
pub(crate) fn read_pid(root: &Path, relative: &str) -> u32 {
    std::fs::read_to_string(root.join(relative))
        .unwrap_or_default()
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no pid in {relative}"))
}

/// Sends `signal` to process `pid`.
pub(crate) fn send_signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}
