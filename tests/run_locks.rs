//! `locks:` are exclusive: operations sharing a lock never overlap, even in one parallel group,
//! while operations without it still run beside them.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use timeline::{interval, marked, wait_for, with_keys};

#[test]
fn a_shared_lock_serializes_its_holders_only() {
    let locked = ["l1", "l2", "l3"];
    let mut entries: Vec<(&str, Option<u32>)> = locked.iter().map(|op| (*op, Some(1))).collect();
    entries.push(("free", Some(1)));
    let mut deploy = Deploy::new()
        .config("networking:\n  vnet_name: \"vnet-a\"\n")
        .module("m", &module_yaml("m", &entries));
    // A holder stays a while and notes any other holder that starts meanwhile.
    let holder = format!(
        "{}\nfor op in l1 l2 l3; do\n  if [ $op != $AVD_OPERATION_ID ] && [ -e marks/$op.start ] && [ ! -e marks/$op.end ]; then touch marks/overlap; fi\ndone",
        wait_for("[ -e marks/overlap ]", 300)
    );
    for op in locked {
        let yaml = bash_op(op, 30, &marked(&holder));
        deploy = deploy.operation(
            "m",
            op,
            &with_keys(&yaml, "  locks: [\"vnet:{{NETWORKING_VNET_NAME}}\"]"),
        );
    }
    // The unlocked member waits until some holder has started: it overlaps with the lock held.
    let free = marked(&format!(
        "{}\nls marks | grep -q '^l.\\.start$' || exit 9",
        wait_for("ls marks | grep -q '^l.\\.start$'", 10_000)
    ));
    deploy = deploy.operation("m", "free", &bash_op("free", 30, &free));
    deploy.cmd(&["run", "m"]).assert().success();

    let root = deploy.path();
    assert!(!root.join("marks/overlap").exists());
    let held: Vec<_> = locked.iter().map(|op| interval(root, op)).collect();
    for (i, a) in held.iter().enumerate() {
        for b in &held[i + 1..] {
            assert!(!a.overlaps(*b), "lock holders overlapped: {held:?}");
        }
    }
    let free = interval(root, "free");
    assert!(held.iter().any(|h| h.overlaps(free)), "{free:?} {held:?}");
}
