//! Unix process-group signalling: every operation runs as the leader of its own group, so the
//! whole tree it starts can be stopped together.

/// A signal the engine sends to an operation's process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupSignal {
    /// SIGKILL: stop now.
    Kill,
    /// SIGTERM: ask to stop.
    Terminate,
}

/// Sends `signal` to every process of group `pgid`. Returns whether any process received it
/// (`false` once the group is empty).
pub(crate) fn signal_group(pgid: u32, signal: GroupSignal) -> bool {
    let number = match signal {
        GroupSignal::Kill => libc::SIGKILL,
        GroupSignal::Terminate => libc::SIGTERM,
    };
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return false;
    };
    if pgid <= 1 {
        return false;
    }
    // SAFETY: kill(2) has no memory-safety preconditions; a negative pid addresses a group.
    unsafe { libc::kill(-pgid, number) == 0 }
}

/// Whether any process of group `pgid` still exists and is not a zombie: a zombie has ended
/// and only waits for a parent (perhaps one that never reaps) to collect its exit status.
pub(crate) fn group_alive(pgid: u32) -> bool {
    let Ok(group) = libc::pid_t::try_from(pgid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission; a negative pid is a group.
    if group <= 1 || unsafe { libc::kill(-group, 0) } != 0 {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        stat_is_live_member(&stat, group)
    })
}

/// Whether a `/proc/<pid>/stat` line describes a process of group `pgid` that is not a zombie.
fn stat_is_live_member(stat: &str, pgid: libc::pid_t) -> bool {
    // After the command name in parentheses: state, ppid, pgrp, ...
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return false;
    };
    let mut fields = rest.split(' ');
    let state = fields.next().unwrap_or("Z");
    let group = fields
        .nth(1)
        .and_then(|field| field.parse::<libc::pid_t>().ok());
    state != "Z" && state != "X" && group == Some(pgid)
}

/// Whether a process with this id exists and is not a zombie.
pub(crate) fn is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return false;
    }
    // A killed process whose parent is gone may linger as a zombie until init reaps it.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit_once(") ")
            .is_none_or(|(_, rest)| !rest.starts_with('Z'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_signal_init_or_invalid_groups() {
        assert!(!signal_group(0, GroupSignal::Kill));
        assert!(!signal_group(1, GroupSignal::Kill));
        assert!(!signal_group(u32::MAX, GroupSignal::Terminate));
    }

    #[test]
    fn a_zombie_is_no_live_member_of_its_group() {
        assert!(stat_is_live_member("42 (sleep) S 1 42 42 0 -1", 42));
        assert!(stat_is_live_member("43 (a) b) R 1 42 42 0 -1", 42));
        assert!(!stat_is_live_member("42 (sleep) Z 1 42 42 0 -1", 42));
        assert!(!stat_is_live_member("44 (sleep) S 1 7 7 0 -1", 42));
        assert!(!stat_is_live_member("garbage", 42));
    }

    #[test]
    fn reports_liveness() {
        assert!(is_alive(std::process::id()));
        assert!(!is_alive(u32::MAX));
    }
}
