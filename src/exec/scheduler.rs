//! The scheduler: the single owner of a run's state. It decides what may start (planned, every
//! predecessor completed, requirements completed, a throttle slot free, every named lock free),
//! launches units, and reacts to their completion and to interrupts. It never prints: everything
//! goes out as [`RunEvent`]s.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use crate::exec::error_catalog::ErrorCatalog;
use crate::exec::event::{EventKind, RunEvent};
use crate::exec::inputs::Fingerprinter;
use crate::exec::signal::Interrupt;
use crate::exec::unit::{self, UnitOutcome, UnitRequest, UnitSpec};
use crate::exec::units::Units;
use crate::model::deployment::Deployment;
use crate::model::fingerprint::Fingerprint;
use crate::model::instances::{self, WHEN_FALSE};
use crate::model::outcome::OperationStatus;
use crate::model::outcome::RunOutcome;
use crate::model::variables::{Destination, RenderError, Variables};
use crate::plan::freshness;
use crate::plan::graph::{Plan, PlannedOperation};
use crate::plan::outside;

/// Turns a planned operation into a unit ready to spawn, at the moment it starts (so that
/// outputs published by earlier operations can be substituted).
pub(crate) trait Prepare {
    /// Renders the operation's script and environment; an `Err` fails the operation with
    /// that message.
    fn prepare(&mut self, op: &PlannedOperation, vars: &Variables) -> Result<UnitSpec, String>;
}

/// What the scheduler needs besides the plan.
pub(crate) struct RunSettings {
    /// The run's id.
    pub run_id: String,
    /// At most this many operations at once.
    pub throttle: usize,
    /// Operations completed in earlier runs (from state).
    pub completed_before: HashSet<String>,
    /// Run operations again even when completed before.
    pub force: bool,
    /// Classifies failures for retries.
    pub catalog: Arc<ErrorCatalog>,
    /// The fingerprint of the last completed attempt of each operation that has one.
    pub fingerprints: HashMap<String, Fingerprint>,
    /// Computes what each operation would run; without it, completed means up to date.
    pub fingerprinter: Option<Fingerprinter>,
    /// Operations the simulated Azure cannot run, with the reason: skipped, never started.
    pub not_covered: BTreeMap<String, String>,
}

/// What a ready operation would run now, and what changed since it last completed.
#[derive(Clone, Debug, Default)]
struct Inputs {
    fingerprint: Option<Arc<Fingerprint>>,
    changed: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Done(OperationStatus),
    Pending,
    Running,
}

/// The run's mutable state, owned by [`execute`].
struct Run<'a> {
    plan: &'a Plan,
    deployment: &'a Deployment,
    settings: RunSettings,
    slots: Vec<Slot>,
    /// Per node of the plan's dependencies (operations, then barriers): how many it waits for.
    waiting: Vec<usize>,
    /// Per node: the nodes waiting for it.
    successors: Vec<Vec<usize>>,
    ready: BTreeSet<usize>,
    /// Why a pending operation (or a barrier) will be skipped once all its predecessors are
    /// done.
    doomed: Vec<Option<String>>,
    held: HashSet<String>,
    /// How many units are running now.
    running: usize,
    completed: HashSet<String>,
    requests: Vec<Option<UnboundedSender<UnitRequest>>>,
    stage_started: Vec<Vec<bool>>,
    /// The inputs of ready operations, computed once they are ready.
    inputs: Vec<Option<Inputs>>,
    vars: Variables,
    failed: bool,
    interrupted: bool,
}

/// Runs `plan` to the end and returns how it ended. Events go to `on_event` in order.
pub(crate) async fn execute(
    plan: &Plan,
    deployment: &Deployment,
    settings: RunSettings,
    vars: Variables,
    prepare: &mut dyn Prepare,
    mut interrupts: UnboundedReceiver<Interrupt>,
    on_event: &mut dyn FnMut(RunEvent),
) -> RunOutcome {
    let started = Instant::now();
    let mut run = Run::new(plan, deployment, settings, vars);
    on_event(RunEvent::now(EventKind::RunStarted {
        run_id: run.settings.run_id.clone(),
        target: plan.target.to_string(),
        operations: plan.ops.len(),
        throttle: run.settings.throttle,
        plan: plan.ops.iter().map(PlannedOperation::key).collect(),
        engine_pid: std::process::id(),
    }));
    let (events_tx, mut events_rx) = mpsc::unbounded_channel();
    let mut units = Units::new();
    let catalog = Arc::clone(&run.settings.catalog);
    loop {
        // An interrupt that arrived while the last event was handled (a reporter that can no
        // longer record asks for one) wins over the next launch.
        while let Ok(interrupt) = interrupts.try_recv() {
            run.interrupt(interrupt, on_event);
        }
        if !run.interrupted {
            run.launch(prepare, &catalog, &events_tx, &mut units, on_event);
        }
        if run.running == 0 {
            break;
        }
        tokio::select! {
            Some(event) = events_rx.recv() => on_event(event),
            Some((index, ended)) = units.next() => {
                // Deliver the unit's own events (its OperationFinished last) before reacting.
                while let Ok(event) = events_rx.try_recv() {
                    on_event(event);
                }
                match ended {
                    Ok(outcome) => run.finish(index, outcome, on_event),
                    Err(panic) => run.fail_broken(index, &panic, on_event),
                }
            }
            Some(interrupt) = interrupts.recv() => run.interrupt(interrupt, on_event),
        }
    }
    while let Ok(event) = events_rx.try_recv() {
        on_event(event);
    }
    run.skip_remaining(on_event);
    let outcome = if run.interrupted {
        RunOutcome::Interrupted
    } else if run.failed {
        RunOutcome::Failed
    } else {
        RunOutcome::Completed
    };
    on_event(RunEvent::now(EventKind::RunFinished {
        run_id: run.settings.run_id.clone(),
        outcome,
        duration: started.elapsed(),
    }));
    outcome
}

impl<'a> Run<'a> {
    fn new(
        plan: &'a Plan,
        deployment: &'a Deployment,
        settings: RunSettings,
        vars: Variables,
    ) -> Self {
        let n = plan.ops.len();
        let graph = plan.dependencies();
        let ready = (0..n).filter(|&i| graph.waiting[i] == 0).collect();
        let stage_started = plan
            .modules
            .iter()
            .map(|m| vec![false; m.stages.len()])
            .collect();
        Self {
            plan,
            deployment,
            settings,
            slots: vec![Slot::Pending; n],
            doomed: vec![None; graph.waiting.len()],
            waiting: graph.waiting,
            successors: graph.successors,
            ready,
            held: HashSet::new(),
            running: 0,
            completed: HashSet::new(),
            requests: vec![None; n],
            stage_started,
            inputs: vec![None; n],
            vars,
            failed: false,
            interrupted: false,
        }
    }

    /// Starts every ready operation that the throttle and locks allow, in plan order, and
    /// resolves ready operations that need no process (already completed, blocked).
    fn launch(
        &mut self,
        prepare: &mut dyn Prepare,
        catalog: &Arc<ErrorCatalog>,
        events: &UnboundedSender<RunEvent>,
        units: &mut Units<UnitOutcome>,
        on_event: &mut dyn FnMut(RunEvent),
    ) {
        loop {
            let Some(index) = self.next_startable() else {
                return;
            };
            self.ready.remove(&index);
            self.announce_stage(index, on_event);
            let op = &self.plan.ops[index];
            if let Some(reason) = self.settings.not_covered.get(&op.id) {
                let reason = reason.clone();
                self.resolve(index, OperationStatus::Skipped, Some(&reason), on_event);
                continue;
            }
            match self.condition(op) {
                Ok(true) => {}
                Ok(false) => {
                    self.resolve(index, OperationStatus::Skipped, Some(WHEN_FALSE), on_event);
                    continue;
                }
                Err(message) => {
                    self.resolve(index, OperationStatus::Failed, Some(&message), on_event);
                    continue;
                }
            }
            if self.up_to_date(index) {
                self.resolve(
                    index,
                    OperationStatus::Skipped,
                    Some("already completed; `run --force` runs it again"),
                    on_event,
                );
                continue;
            }
            let missing = self.missing_requirements(op);
            if !missing.is_empty() {
                on_event(RunEvent::now(EventKind::OperationBlocked {
                    module: op.module.to_string(),
                    operation: op.id.clone(),
                    run_first: outside::modules_outside(self.deployment, self.plan, &missing),
                    missing,
                }));
                self.settle(index, OperationStatus::Blocked, on_event);
                continue;
            }
            match prepare.prepare(op, &self.vars) {
                Ok(mut spec) => {
                    let inputs = self.inputs[index].take().unwrap_or_default();
                    spec.fingerprint = inputs.fingerprint;
                    spec.changed = inputs.changed;
                    self.spawn(index, spec, catalog, events, units);
                }
                Err(message) => {
                    self.resolve(index, OperationStatus::Failed, Some(&message), on_event)
                }
            }
        }
    }

    /// The first ready operation (plan order) whose locks are free, if a throttle slot is free.
    /// Ready operations that will not spawn a process are returned regardless of the throttle.
    fn next_startable(&mut self) -> Option<usize> {
        for index in self.ready.clone() {
            self.compute_inputs(index);
        }
        self.ready.iter().copied().find(|&i| {
            let op = &self.plan.ops[i];
            let no_process = self.settings.not_covered.contains_key(&op.id)
                || self.is_up_to_date(i)
                || (op.when_false && self.condition(op) == Ok(false));
            no_process
                || (self.running < self.settings.throttle
                    && op.locks.iter().all(|l| !self.held.contains(l)))
        })
    }

    /// Computes what a ready operation would run now, unless known already.
    fn compute_inputs(&mut self, index: usize) {
        if self.inputs[index].is_some() {
            return;
        }
        let op = &self.plan.ops[index];
        let fingerprint = self.settings.fingerprinter.as_ref().map(|fingerprinter| {
            let operation = &self.deployment.operations[op.index];
            Arc::new(fingerprinter.fingerprint(operation, op, &self.vars))
        });
        let changed = freshness::changes(
            self.settings.completed_before.contains(&op.id),
            fingerprint.as_deref(),
            self.settings.fingerprints.get(&op.id),
        );
        self.inputs[index] = Some(Inputs {
            fingerprint,
            changed,
        });
    }

    /// Whether a ready operation completed before and runs the same now: it is skipped.
    fn is_up_to_date(&self, index: usize) -> bool {
        let op = &self.plan.ops[index];
        let changed = self.inputs[index]
            .as_ref()
            .map_or(&[][..], |inputs| &inputs.changed[..]);
        freshness::is_up_to_date(
            self.settings.force,
            self.settings.completed_before.contains(&op.id),
            changed,
        )
    }

    /// [`Run::is_up_to_date`], computing the operation's inputs first.
    fn up_to_date(&mut self, index: usize) -> bool {
        self.compute_inputs(index);
        self.is_up_to_date(index)
    }

    /// Whether the operation's `when:` holds, rendered with the variables it would run with.
    fn condition(&self, op: &PlannedOperation) -> Result<bool, String> {
        let operation = &self.deployment.operations[op.index];
        let Some(when) = operation.when() else {
            return Ok(true);
        };
        self.vars
            .for_item(op.item.as_deref())
            .render(&when.value, Destination::Value)
            .map(|rendered| instances::when_holds(&rendered))
            .map_err(|errors| {
                let reasons: Vec<String> = errors.iter().map(RenderError::message).collect();
                format!(
                    "cannot render `when:` of `{}`: {}",
                    op.id,
                    reasons.join("; ")
                )
            })
    }

    /// Requirements not completed in this run or an earlier one. An operation skipped by its
    /// `when:` does not hold back the operations requiring it.
    fn missing_requirements(&self, op: &PlannedOperation) -> Vec<String> {
        op.requires
            .iter()
            .filter(|id| {
                !self.completed.contains(*id) && !self.settings.completed_before.contains(*id)
            })
            .filter(|id| !self.skipped_by_when(id))
            .cloned()
            .collect()
    }

    /// Whether the operation (or instance) `id` is switched off by its `when:` now.
    fn skipped_by_when(&self, id: &str) -> bool {
        let (name, item) = instances::split_instance(id);
        let Some(operation) = self.deployment.operation(name) else {
            return false;
        };
        operation.when().is_some_and(|when| {
            self.vars
                .for_item(item)
                .render(&when.value, Destination::Value)
                .is_ok_and(|rendered| !instances::when_holds(&rendered))
        })
    }

    fn spawn(
        &mut self,
        index: usize,
        spec: UnitSpec,
        catalog: &Arc<ErrorCatalog>,
        events: &UnboundedSender<RunEvent>,
        units: &mut Units<UnitOutcome>,
    ) {
        let (request_tx, request_rx) = mpsc::unbounded_channel();
        self.requests[index] = Some(request_tx);
        self.slots[index] = Slot::Running;
        self.running += 1;
        self.held.extend(self.plan.ops[index].locks.iter().cloned());
        let catalog = Arc::clone(catalog);
        let events = events.clone();
        units.spawn(index, unit::run_unit(spec, catalog, events, request_rx));
    }

    /// A unit finished: record its outputs, free its locks, settle its successors.
    fn finish(&mut self, index: usize, outcome: UnitOutcome, on_event: &mut dyn FnMut(RunEvent)) {
        self.running -= 1;
        let op = &self.plan.ops[index];
        for lock in &op.locks {
            self.held.remove(lock);
        }
        self.requests[index] = None;
        // Only a completed operation's values are trusted by later operations.
        if outcome.status == OperationStatus::Completed {
            for (name, value) in &outcome.outputs {
                self.vars.insert_output(&op.id, name, value);
            }
            // New values may change what operations not started yet would run.
            if !outcome.outputs.is_empty() {
                for (slot, inputs) in self.slots.iter().zip(&mut self.inputs) {
                    if *slot == Slot::Pending {
                        *inputs = None;
                    }
                }
            }
        }
        self.settle(index, outcome.status, on_event);
    }

    /// A unit task ended without an outcome (it panicked): its operation failed with that
    /// message, and the run goes on as after any failure.
    fn fail_broken(&mut self, index: usize, panic: &str, on_event: &mut dyn FnMut(RunEvent)) {
        let op = &self.plan.ops[index];
        let error = format!("the engine failed while running it: {panic}");
        on_event(RunEvent::now(EventKind::OperationFinished {
            module: op.module.to_string(),
            operation: op.id.clone(),
            attempt: 0,
            status: OperationStatus::Failed,
            exit_code: None,
            duration: std::time::Duration::ZERO,
            class: None,
            hint: None,
            error: Some(error.clone()),
        }));
        let outcome = UnitOutcome {
            status: OperationStatus::Failed,
            exit_code: None,
            attempts: 0,
            outputs: Vec::new(),
            class: None,
            hint: None,
            error: Some(error),
        };
        self.finish(index, outcome, on_event);
    }

    /// Emits `OperationFinished` for an operation that ran no process, then settles it.
    fn resolve(
        &mut self,
        index: usize,
        status: OperationStatus,
        error: Option<&str>,
        on_event: &mut dyn FnMut(RunEvent),
    ) {
        let op = &self.plan.ops[index];
        on_event(RunEvent::now(EventKind::OperationFinished {
            module: op.module.to_string(),
            operation: op.id.clone(),
            attempt: 0,
            status,
            exit_code: None,
            duration: std::time::Duration::ZERO,
            class: None,
            hint: None,
            error: error.map(str::to_owned),
        }));
        let settled = if status == OperationStatus::Skipped {
            OperationStatus::Completed
        } else {
            status
        };
        self.settle(index, settled, on_event);
    }

    /// Records a final status and releases (or dooms) the operations waiting on it.
    fn settle(
        &mut self,
        index: usize,
        status: OperationStatus,
        on_event: &mut dyn FnMut(RunEvent),
    ) {
        self.slots[index] = Slot::Done(status);
        let op = &self.plan.ops[index];
        if status == OperationStatus::Completed {
            self.completed.insert(op.id.clone());
        } else if status != OperationStatus::Interrupted {
            self.failed = true;
        }
        let reason =
            (status != OperationStatus::Completed).then(|| format!("`{}` did not complete", op.id));
        self.close_stage(index, on_event);
        self.release(index, reason.as_deref(), on_event);
    }

    /// One predecessor of each successor of node `index` is done; `doom` says why they will
    /// never run. A successor is decided once all its predecessors are done, so that a stage
    /// that failed is seen to finish before the operations after it are skipped. A barrier
    /// whose operations are all done is passed at once, with the first reason it got.
    fn release(&mut self, index: usize, doom: Option<&str>, on_event: &mut dyn FnMut(RunEvent)) {
        for s in self.successors[index].clone() {
            self.waiting[s] -= 1;
            if let Some(reason) = doom
                && self.doomed[s].is_none()
            {
                self.doomed[s] = Some(reason.to_owned());
            }
            if self.waiting[s] == 0 && s >= self.slots.len() {
                let reason = self.doomed[s].take();
                self.release(s, reason.as_deref(), on_event);
            } else if self.waiting[s] == 0 && self.slots[s] == Slot::Pending {
                match self.doomed[s].take() {
                    Some(reason) => self.skip(s, reason, on_event),
                    None => {
                        self.ready.insert(s);
                    }
                }
            }
        }
    }

    /// Skips an operation that will never run, then releases what waits on it.
    fn skip(&mut self, index: usize, reason: String, on_event: &mut dyn FnMut(RunEvent)) {
        if self.slots[index] != Slot::Pending {
            return;
        }
        self.ready.remove(&index);
        let op = &self.plan.ops[index];
        on_event(RunEvent::now(EventKind::OperationFinished {
            module: op.module.to_string(),
            operation: op.id.clone(),
            attempt: 0,
            status: OperationStatus::Skipped,
            exit_code: None,
            duration: std::time::Duration::ZERO,
            class: None,
            hint: None,
            error: Some(reason.clone()),
        }));
        self.slots[index] = Slot::Done(OperationStatus::Skipped);
        self.close_stage(index, on_event);
        self.release(index, Some(&reason), on_event);
    }

    /// After an interrupt (or with nothing left to run): what never started is skipped.
    fn skip_remaining(&mut self, on_event: &mut dyn FnMut(RunEvent)) {
        let reason = if self.interrupted {
            "the run was interrupted"
        } else {
            "the run stopped"
        };
        for index in 0..self.slots.len() {
            if self.slots[index] == Slot::Pending {
                let why = self.doomed[index]
                    .take()
                    .unwrap_or_else(|| reason.to_owned());
                self.skip(index, why, on_event);
            }
        }
    }

    fn interrupt(&mut self, interrupt: Interrupt, on_event: &mut dyn FnMut(RunEvent)) {
        self.interrupted = true;
        let running = self.running;
        let request = match interrupt {
            Interrupt::First => {
                on_event(RunEvent::now(EventKind::InterruptRequested { running }));
                UnitRequest::Cancel
            }
            Interrupt::Second => {
                on_event(RunEvent::now(EventKind::KillRequested { running }));
                UnitRequest::Kill
            }
        };
        for sender in self.requests.iter().flatten() {
            let _ = sender.send(request);
        }
    }

    fn module_stage(&self, index: usize) -> Option<(usize, usize)> {
        let op = &self.plan.ops[index];
        let stage = op.stage?;
        let module = self.plan.modules.iter().position(|m| m.id == op.module)?;
        Some((module, stage - 1))
    }

    fn announce_stage(&mut self, index: usize, on_event: &mut dyn FnMut(RunEvent)) {
        let Some((m, s)) = self.module_stage(index) else {
            return;
        };
        if std::mem::replace(&mut self.stage_started[m][s], true) {
            return;
        }
        let module = &self.plan.modules[m];
        let stage = &module.stages[s];
        on_event(RunEvent::now(EventKind::StageStarted {
            module: module.id.clone(),
            stage: stage.number,
            parallel_group: stage.parallel_group.filter(|_| stage.ops.len() > 1),
            operations: stage
                .ops
                .iter()
                .map(|&i| self.plan.ops[i].id.clone())
                .collect(),
        }));
    }

    fn close_stage(&self, index: usize, on_event: &mut dyn FnMut(RunEvent)) {
        let Some((m, s)) = self.module_stage(index) else {
            return;
        };
        let module = &self.plan.modules[m];
        let stage = &module.stages[s];
        if !self.stage_started[m][s]
            || stage
                .ops
                .iter()
                .any(|&i| !matches!(self.slots[i], Slot::Done(_)))
        {
            return;
        }
        let success = stage
            .ops
            .iter()
            .all(|&i| self.slots[i] == Slot::Done(OperationStatus::Completed));
        on_event(RunEvent::now(EventKind::StageFinished {
            module: module.id.clone(),
            stage: stage.number,
            parallel: stage.ops.len() > 1,
            success,
        }));
    }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;
