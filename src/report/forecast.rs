//! The live forecast behind the progress display: each operation's expected duration on the
//! clock the run really follows (the simulator's is scaled), and the time left, predicted from
//! the plan with the scheduler's rules for what has not finished yet.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::plan::graph::Plan;
use crate::plan::timeline;

/// What has finished and what is running, against the plan.
#[derive(Clone, Debug)]
pub struct Forecast {
    plan: Plan,
    throttle: usize,
    scale: f64,
    index: HashMap<String, usize>,
    done: Vec<bool>,
    started: Vec<Option<Instant>>,
}

impl Forecast {
    /// A forecast of `plan` run with `throttle`; `scale` is real seconds per planned second
    /// (1 for Azure, the simulator's time scale under `--simulate`).
    pub fn new(plan: &Plan, throttle: usize, scale: f64) -> Self {
        let index = plan
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| (op.id.clone(), i))
            .collect();
        Self {
            plan: plan.clone(),
            throttle,
            scale: if scale.is_finite() {
                scale.max(0.0)
            } else {
                1.0
            },
            index,
            done: vec![false; plan.ops.len()],
            started: vec![None; plan.ops.len()],
        }
    }

    /// `expected` on the run's clock.
    pub fn scaled(&self, expected: Duration) -> Duration {
        Duration::try_from_secs_f64(expected.as_secs_f64() * self.scale).unwrap_or(Duration::MAX)
    }

    /// How many operations the plan holds.
    pub fn total(&self) -> usize {
        self.plan.ops.len()
    }

    /// How many have reached a final status.
    pub fn finished_count(&self) -> usize {
        self.done.iter().filter(|d| **d).count()
    }

    /// An attempt of `operation` started at `at`.
    pub fn started(&mut self, operation: &str, at: Instant) {
        if let Some(&i) = self.index.get(operation) {
            self.started[i] = Some(at);
        }
    }

    /// An attempt of `operation` ended and another follows: it is waiting, not running.
    pub fn paused(&mut self, operation: &str) {
        if let Some(&i) = self.index.get(operation) {
            self.started[i] = None;
        }
    }

    /// `operation` reached a final status.
    pub fn finished(&mut self, operation: &str) {
        if let Some(&i) = self.index.get(operation) {
            self.done[i] = true;
            self.started[i] = None;
        }
    }

    /// The predicted time until the last operation ends, seen at `now`: the plan's list
    /// schedule over what is left, running operations counting only their expected rest.
    pub fn remaining(&self, now: Instant) -> Duration {
        let mut rest = self.plan.clone();
        for (i, op) in rest.ops.iter_mut().enumerate() {
            if self.done[i] {
                op.expected = Duration::ZERO;
                op.locks.clear();
            } else if let Some(start) = self.started[i] {
                let spent = now.saturating_duration_since(start).as_secs_f64();
                let spent = if self.scale > 0.0 {
                    spent / self.scale
                } else {
                    f64::MAX
                };
                let left = (op.expected.as_secs_f64() - spent).max(0.0);
                op.expected = Duration::try_from_secs_f64(left).unwrap_or_default();
            }
        }
        self.scaled(timeline::predict(&rest, self.throttle).total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::graph::{PlannedOperation, Target};

    fn op(id: &str, secs: u64, predecessors: &[usize]) -> PlannedOperation {
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
            locks: Vec::new(),
            expected: Duration::from_secs(secs),
        }
    }

    fn plan() -> Plan {
        // a (10 s) and b (30 s) together, then c (20 s) after both.
        Plan {
            target: Target::All,
            ops: vec![op("a", 10, &[]), op("b", 30, &[]), op("c", 20, &[0, 1])],
            modules: Vec::new(),
            barriers: Vec::new(),
        }
    }

    #[test]
    fn remaining_time_follows_finished_and_running_work() {
        let start = Instant::now();
        let mut forecast = Forecast::new(&plan(), 5, 1.0);
        assert_eq!(forecast.remaining(start), Duration::from_secs(50));
        forecast.started("a", start);
        forecast.started("b", start);
        let later = start + Duration::from_secs(10);
        forecast.finished("a");
        assert_eq!(forecast.remaining(later), Duration::from_secs(40));
        assert_eq!(forecast.finished_count(), 1);
        // Past its expected end, b is expected to end any moment.
        let late = start + Duration::from_secs(45);
        assert_eq!(forecast.remaining(late), Duration::from_secs(20));
    }

    #[test]
    fn the_simulators_clock_scales_expected_times() {
        let start = Instant::now();
        let mut forecast = Forecast::new(&plan(), 1, 0.5);
        assert_eq!(
            forecast.scaled(Duration::from_secs(30)),
            Duration::from_secs(15)
        );
        assert_eq!(forecast.remaining(start), Duration::from_secs(30));
        forecast.started("a", start);
        let later = start + Duration::from_secs(1);
        assert_eq!(forecast.remaining(later), Duration::from_secs(29));
    }
}
