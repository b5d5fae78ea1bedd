//! Predicts a plan's timeline from expected durations with the scheduler's own rules (plan
//! order, throttle, locks), and finds the critical path.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use hashbrown::HashSet;
use std::time::Duration;

use crate::plan::graph::Plan;

/// Predicted start and end of every planned operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// `(start, end)` per plan index; `None` for operations that can never start (a cycle).
    pub spans: Vec<Option<(Duration, Duration)>>,
    /// When the last operation ends.
    pub total: Duration,
    /// The sum of every expected duration: a fully sequential run.
    pub sequential: Duration,
}

impl Timeline {
    /// The predicted wall time of a set of operations: last end minus first start.
    pub fn span_of(&self, ops: &[usize]) -> Duration {
        let spans: Vec<(Duration, Duration)> = ops.iter().filter_map(|&i| self.spans[i]).collect();
        let start = spans.iter().map(|s| s.0).min().unwrap_or_default();
        let end = spans.iter().map(|s| s.1).max().unwrap_or_default();
        end.saturating_sub(start)
    }
}

/// Simulates `plan` with at most `throttle` operations at once (list scheduling): whenever a slot
/// is free, the first ready operation in plan order whose locks are all free starts; operations
/// that end at the same instant release their slots and locks together.
pub(crate) fn predict(plan: &Plan, throttle: usize) -> Timeline {
    let n = plan.ops.len();
    let throttle = throttle.max(1);
    let mut graph = plan.dependencies();
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| graph.waiting[i] == 0).collect();
    let mut running: BinaryHeap<Reverse<(Duration, usize)>> = BinaryHeap::new();
    let mut held: HashSet<&str> = HashSet::new();
    let mut spans = vec![None; n];
    let mut now = Duration::ZERO;
    loop {
        let startable: Vec<usize> = ready.iter().copied().collect();
        for i in startable {
            if running.len() >= throttle {
                break;
            }
            if plan.ops[i].locks.iter().any(|l| held.contains(l.as_str())) {
                continue;
            }
            ready.remove(&i);
            held.extend(plan.ops[i].locks.iter().map(String::as_str));
            let end = now + plan.ops[i].expected;
            spans[i] = Some((now, end));
            running.push(Reverse((end, i)));
        }
        let Some(&Reverse((end, _))) = running.peek() else {
            break;
        };
        now = end;
        while let Some(&Reverse((end, i))) = running.peek()
            && end == now
        {
            running.pop();
            for lock in &plan.ops[i].locks {
                held.remove(lock.as_str());
            }
            graph.release(i, &mut |s| {
                ready.insert(s);
            });
        }
    }
    Timeline {
        spans,
        total: now,
        sequential: plan.ops.iter().map(|op| op.expected).sum(),
    }
}

/// The chain of operations whose expected durations add up to the longest path through the
/// plan's dependencies (ignoring throttle and locks), with its length.
pub(crate) fn critical_path(plan: &Plan) -> (Vec<usize>, Duration) {
    let n = plan.ops.len();
    let graph = plan.dependencies();
    let nodes = graph.waiting.len();
    let mut waiting = graph.waiting.clone();
    let mut queue: Vec<usize> = (0..nodes).filter(|&i| waiting[i] == 0).collect();
    // Per node: when it is done, and the operation it waited for last (a barrier passes on
    // the one of its operations that ended last).
    let mut finish = vec![Duration::ZERO; nodes];
    let mut via: Vec<Option<usize>> = vec![None; nodes];
    while let Some(node) = queue.pop() {
        let (start, from) = plan
            .inputs(node)
            .map(|p| {
                let operation = if graph.is_barrier(p) { via[p] } else { Some(p) };
                (finish[p], operation)
            })
            .max()
            .unwrap_or((Duration::ZERO, None));
        finish[node] = start + plan.ops.get(node).map_or(Duration::ZERO, |op| op.expected);
        via[node] = from;
        for &s in &graph.successors[node] {
            waiting[s] -= 1;
            if waiting[s] == 0 {
                queue.push(s);
            }
        }
    }
    let Some(last) = (0..n).max_by_key(|&i| (finish[i], Reverse(i))) else {
        return (Vec::new(), Duration::ZERO);
    };
    let mut path = vec![last];
    while let Some(p) = via[*path.last().expect("path is never empty")] {
        path.push(p);
    }
    path.reverse();
    (path, finish[last])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::graph::{PlannedOperation, Target};

    fn op(id: &str, secs: u64, predecessors: &[usize], locks: &[&str]) -> PlannedOperation {
        PlannedOperation {
            index: 0,
            id: id.into(),
            item: None,
            requires: Vec::new(),
            when_false: false,
            module: "m".into(),
            stage: None,
            predecessors: predecessors.to_vec(),
            barrier: None,
            locks: locks.iter().map(|l| (*l).to_owned()).collect(),
            expected: Duration::from_secs(secs),
        }
    }

    fn plan(ops: Vec<PlannedOperation>) -> Plan {
        Plan {
            target: Target::All,
            ops,
            modules: Vec::new(),
            barriers: Vec::new(),
        }
    }

    #[test]
    fn throttle_and_locks_stretch_the_timeline() {
        let p = plan(vec![
            op("a", 10, &[], &[]),
            op("b", 10, &[], &[]),
            op("c", 10, &[], &[]),
            op("d", 5, &[0, 1, 2], &[]),
        ]);
        assert_eq!(predict(&p, 5).total, Duration::from_secs(15));
        assert_eq!(predict(&p, 2).total, Duration::from_secs(25));
        assert_eq!(predict(&p, 5).sequential, Duration::from_secs(35));
        let locked = plan(vec![
            op("a", 10, &[], &["vm:x"]),
            op("b", 10, &[], &["vm:x"]),
        ]);
        assert_eq!(predict(&locked, 5).total, Duration::from_secs(20));
    }

    fn secs(pairs: &[(u64, u64)]) -> Vec<Option<(Duration, Duration)>> {
        pairs
            .iter()
            .map(|&(s, e)| Some((Duration::from_secs(s), Duration::from_secs(e))))
            .collect()
    }

    /// Worked by hand: throttle 2; at 4 `c` cannot take `b`'s slot (lock X is held by `a`), so
    /// `d` and then `e` do; `c` starts when `a` frees X at 10; `f` waits for `a` and `e`.
    #[test]
    fn list_scheduling_under_a_lock_and_a_throttle() {
        let p = plan(vec![
            op("a", 10, &[], &["X"]),
            op("b", 4, &[], &[]),
            op("c", 6, &[], &["X"]),
            op("d", 3, &[], &[]),
            op("e", 5, &[1], &[]),
            op("f", 2, &[0, 4], &[]),
        ]);
        let t = predict(&p, 2);
        assert_eq!(
            t.spans,
            secs(&[(0, 10), (0, 4), (10, 16), (4, 7), (7, 12), (12, 14)])
        );
        assert_eq!(t.total, Duration::from_secs(16));
        assert_eq!(t.sequential, Duration::from_secs(30));
        let unthrottled = predict(&p, 10);
        assert_eq!(
            unthrottled.spans,
            secs(&[(0, 10), (0, 4), (10, 16), (0, 3), (4, 9), (10, 12)])
        );
        assert_eq!(unthrottled.total, Duration::from_secs(16));
        assert_eq!(predict(&p, 1).total, Duration::from_secs(30));
    }

    /// Operations ending at the same instant free their slots together, so the first ready
    /// operations in plan order take them.
    #[test]
    fn simultaneous_ends_release_together() {
        let p = plan(vec![
            op("a", 5, &[], &[]),
            op("b", 5, &[], &["L"]),
            op("c", 3, &[], &["L"]),
            op("d", 3, &[], &[]),
            op("e", 1, &[], &[]),
        ]);
        let t = predict(&p, 2);
        assert_eq!(t.spans, secs(&[(0, 5), (0, 5), (5, 8), (5, 8), (8, 9)]));
        assert_eq!(t.total, Duration::from_secs(9));
    }

    #[test]
    fn critical_path_follows_the_longest_chain() {
        let p = plan(vec![
            op("a", 10, &[], &[]),
            op("b", 30, &[], &[]),
            op("c", 5, &[0, 1], &[]),
        ]);
        assert_eq!(critical_path(&p), (vec![1, 2], Duration::from_secs(35)));
    }

    /// `c` and `d` wait for `a` and `b` through one barrier: the same timeline and critical
    /// path as with an edge from each to each.
    #[test]
    fn a_barrier_waits_like_edges_from_each_to_each() {
        let edges = plan(vec![
            op("a", 10, &[], &[]),
            op("b", 30, &[], &[]),
            op("c", 5, &[0, 1], &[]),
            op("d", 7, &[0, 1], &["L"]),
            op("e", 1, &[], &["L"]),
        ]);
        let mut barrier = edges.clone();
        barrier.barriers = vec![vec![0, 1]];
        for i in [2, 3] {
            barrier.ops[i].predecessors.clear();
            barrier.ops[i].barrier = Some(0);
        }
        for throttle in [1, 2, 5] {
            assert_eq!(predict(&barrier, throttle), predict(&edges, throttle));
        }
        assert_eq!(predict(&barrier, 5).total, Duration::from_secs(37));
        assert_eq!(
            critical_path(&barrier),
            (vec![1, 3], Duration::from_secs(37))
        );
        assert_eq!(critical_path(&barrier), critical_path(&edges));
    }
}
