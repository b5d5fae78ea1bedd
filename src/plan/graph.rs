//! Builds the execution plan: which operations run, what each must wait for (stage barriers,
//! `requires` in DAG modules, module dependencies), and the locks each holds.

use hashbrown::HashMap;
use std::time::Duration;

use compact_str::CompactString;

use crate::model::deployment::Deployment;
use crate::model::module::{DESTROY_TARGET, Entry, Module, Schedule};
use crate::model::operation::{Action, Operation, OperationKey};
use crate::model::variables::Destination;
use crate::plan::expand;

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every module, in dependency order.
    All,
    /// Every module's `teardown:`, in reverse dependency order.
    Destroy,
    /// One module.
    Module(String),
    /// One operation of one module.
    Operation {
        /// The module id.
        module: String,
        /// The operation id or file stem.
        operation: String,
    },
}

impl Target {
    /// Parses the command line's `<module|all> [operation]`.
    pub fn parse(module: &str, operation: Option<&str>) -> Self {
        match (module, operation) {
            ("all", None) => Self::All,
            (module, None) => Self::Module(module.to_owned()),
            (module, Some(operation)) => Self::Operation {
                module: module.to_owned(),
                operation: operation.to_owned(),
            },
        }
    }
}

impl Target {
    /// The target as a run recorded it: `all`, `destroy`, a module id, or `module/operation`.
    pub fn parse_recorded(text: &str) -> Self {
        match text.split_once('/') {
            _ if text == DESTROY_TARGET => Self::Destroy,
            Some((module, operation)) => Self::parse(module, Some(operation)),
            None => Self::parse(text, None),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::All => f.write_str("all"),
            Self::Destroy => f.write_str(DESTROY_TARGET),
            Self::Module(module) => f.write_str(module),
            Self::Operation { module, operation } => write!(f, "{module}/{operation}"),
        }
    }
}

/// The target names nothing in the deployment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PlanError {
    /// No module with that id.
    #[error("no module `{name}`{}", did_you_mean(.suggestion))]
    UnknownModule {
        /// What was asked for.
        name: String,
        /// A close match.
        suggestion: Option<String>,
    },
    /// No operation with that id or file stem in the module.
    #[error("no operation `{name}` in module `{module}`{}", did_you_mean(.suggestion))]
    UnknownOperation {
        /// The module.
        module: String,
        /// What was asked for.
        name: String,
        /// A close match.
        suggestion: Option<String>,
    },
    /// The operation has no instance with that item.
    #[error("operation `{operation}` has no instance `{item}` (its items: {items})")]
    UnknownInstance {
        /// The operation id.
        operation: String,
        /// What was asked for.
        item: String,
        /// The items it has, listed.
        items: String,
    },
    /// The operation is listed under `teardown:`: only `destroy` runs it.
    #[error(
        "`{operation}` is a teardown operation of module `{module}`: `avdeploy destroy` runs it"
    )]
    Teardown {
        /// The module.
        module: String,
        /// The operation id.
        operation: String,
    },
    /// The items of a `for_each` cannot be computed.
    #[error("cannot expand `{operation}`: {message}")]
    ForEach {
        /// The operation id.
        operation: String,
        /// Why.
        message: String,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// One operation (or one instance of a `for_each` operation) in the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedOperation {
    /// Index in `Deployment::operations`.
    pub index: usize,
    /// Operation id, `<id>@<item>` for an instance.
    pub id: String,
    /// The instance's item (`AVD_ITEM`), `None` without `for_each`.
    pub item: Option<String>,
    /// Instance ids that must be completed before it starts (non-optional `requires`).
    pub requires: Vec<String>,
    /// Whether its `when:` is false with the deployment's variables (it will be skipped).
    pub when_false: bool,
    /// Module id.
    pub module: CompactString,
    /// Stage number within its module (stages schedule), 1-based.
    pub stage: Option<usize>,
    /// Plan indices that must complete before this one starts.
    pub predecessors: Vec<usize>,
    /// The barrier of [`Plan::barriers`] that must be passed before it starts, besides its
    /// predecessors.
    pub barrier: Option<usize>,
    /// Exclusive locks, rendered (`vm:<rg>/<name>` added for run-commands).
    pub locks: Vec<String>,
    /// Expected duration.
    pub expected: Duration,
}

impl PlannedOperation {
    /// Its module and id, as the run's plan names it.
    pub fn key(&self) -> OperationKey {
        OperationKey::new(self.module.as_str(), &self.id)
    }
}

/// A stage of a stages-scheduled module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// 1-based number within the module.
    pub number: usize,
    /// The parallel group number, when the stage is a group.
    pub parallel_group: Option<u32>,
    /// Plan indices in declared order.
    pub ops: Vec<usize>,
}

/// How `run all` orders modules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ModuleOrder {
    /// A module starts once the modules it depends on have completed.
    #[default]
    Dependencies,
    /// One module at a time, in dependency order (`run all --sequential`).
    Sequential,
}

/// One module in the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModulePlan {
    /// Module id.
    pub id: String,
    /// The modules of the plan that must complete before this one starts.
    pub after: Vec<String>,
    /// Whether `after` is the module before it in folder order because it has no
    /// `dependencies` key.
    pub follows_previous: bool,
    /// Stages or DAG.
    pub schedule: Schedule,
    /// Stages (for a DAG module, one stage per operation in declared order).
    pub stages: Vec<Stage>,
}

/// An execution plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// What was asked for.
    pub target: Target,
    /// Every planned operation.
    pub ops: Vec<PlannedOperation>,
    /// Modules in execution order.
    pub modules: Vec<ModulePlan>,
    /// Sets of plan indices waited for as a whole, each passed once all of them are done: a
    /// stage of several operations that several operations wait for, or the last operations
    /// of the modules a module depends on. Held once, however many wait, so that a wide stage
    /// after a wide stage costs the sum of their sizes, not the product.
    pub barriers: Vec<Vec<usize>>,
}

impl Plan {
    /// The plan indices planned operation `i` waits for: its predecessors and the operations
    /// of its barrier.
    pub fn waits_for(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let op = &self.ops[i];
        let barrier = op.barrier.map_or(&[][..], |b| &self.barriers[b]);
        op.predecessors.iter().chain(barrier).copied()
    }

    /// The nodes of [`Plan::dependencies`] that node `node` waits for: a planned operation's
    /// predecessors and barrier, a barrier's operations.
    pub(crate) fn inputs(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        let n = self.ops.len();
        let (direct, barrier): (&[usize], Option<usize>) = match self.ops.get(node) {
            Some(op) => (&op.predecessors, op.barrier.map(|b| n + b)),
            None => (&self.barriers[node - n], None),
        };
        direct.iter().copied().chain(barrier)
    }

    /// The plan's dependencies as one graph (see [`Dependencies`]).
    pub(crate) fn dependencies(&self) -> Dependencies {
        let nodes = self.ops.len() + self.barriers.len();
        let mut successors = vec![Vec::new(); nodes];
        let mut waiting = vec![0; nodes];
        for (node, count) in waiting.iter_mut().enumerate() {
            for p in self.inputs(node) {
                successors[p].push(node);
                *count += 1;
            }
        }
        Dependencies {
            operations: self.ops.len(),
            successors,
            waiting,
        }
    }
}

/// A plan's dependencies as a graph of nodes: planned operation `i` is node `i`, barrier `b` of
/// [`Plan::barriers`] is node `operations + b`. A barrier's node waits for its operations, and
/// the operations of the barrier wait for its node.
#[derive(Clone, Debug)]
pub(crate) struct Dependencies {
    /// How many planned operations (the first nodes).
    pub operations: usize,
    /// The nodes waiting for each node.
    pub successors: Vec<Vec<usize>>,
    /// How many nodes each node waits for.
    pub waiting: Vec<usize>,
}

impl Dependencies {
    /// Whether `node` is a barrier rather than a planned operation.
    pub(crate) fn is_barrier(&self, node: usize) -> bool {
        node >= self.operations
    }

    /// Node `node` is done: each node waiting for it waits for one less. The operations left
    /// waiting for nothing go to `ready`, in order; a barrier left waiting for nothing is
    /// passed, and what waits for it settled in turn.
    pub(crate) fn release(&mut self, node: usize, ready: &mut dyn FnMut(usize)) {
        let mut passed = vec![node];
        while let Some(node) = passed.pop() {
            for &s in &self.successors[node] {
                self.waiting[s] -= 1;
                if self.waiting[s] > 0 {
                    continue;
                }
                if self.is_barrier(s) {
                    passed.push(s);
                } else {
                    ready(s);
                }
            }
        }
    }
}

/// Plans `target`, modules ordered by their dependencies.
pub(crate) fn build(deployment: &Deployment, target: &Target) -> Result<Plan, PlanError> {
    build_ordered(deployment, target, ModuleOrder::Dependencies)
}

/// Plans `target`, with `order` deciding when each module of `all` may start.
pub(crate) fn build_ordered(
    deployment: &Deployment,
    target: &Target,
    order: ModuleOrder,
) -> Result<Plan, PlanError> {
    let mut plan = Plan {
        target: target.clone(),
        ops: Vec::new(),
        modules: Vec::new(),
        barriers: Vec::new(),
    };
    match target {
        Target::All => {
            // At least one planned operation per operation: growing by doubling would hold up
            // to twice that.
            plan.ops.reserve(deployment.operations.len());
            let mut finals: HashMap<&str, Vec<usize>> = HashMap::new();
            let mut previous: Option<&str> = None;
            let mut positions = Positions::default();
            for module in ordered_modules(deployment) {
                let after = match order {
                    ModuleOrder::Dependencies => deployment.module_dependencies(module),
                    ModuleOrder::Sequential => previous.into_iter().collect(),
                };
                let before: Vec<usize> = after
                    .iter()
                    .flat_map(|d| finals.get(d).cloned().unwrap_or_default())
                    .collect();
                let done = add_module(
                    &mut plan,
                    &mut positions,
                    deployment,
                    module,
                    &module.entries,
                    &before,
                    None,
                )?;
                let planned = plan.modules.last_mut().expect("the module was just added");
                planned.after = after.iter().map(|&d| d.to_owned()).collect();
                planned.follows_previous =
                    order == ModuleOrder::Dependencies && module.follows_previous();
                finals.insert(&module.id.value, done);
                previous = Some(&module.id.value);
            }
        }
        Target::Destroy => add_teardown(&mut plan, deployment)?,
        Target::Module(name) => {
            add_alone(&mut plan, deployment, find_module(deployment, name)?, None)?;
        }
        Target::Operation { module, operation } => {
            let module = find_module(deployment, module)?;
            let (operation, item) = crate::model::instances::split_instance(operation);
            let operation = &operation.to_owned();
            let op = deployment
                .module_operation(&module.id.value, operation)
                .ok_or_else(|| PlanError::UnknownOperation {
                    module: module.id.value.clone(),
                    name: operation.clone(),
                    suggestion: crate::base::text::closest(
                        operation,
                        deployment
                            .module_operations(module)
                            .map(|op| op.id.value.as_str()),
                    )
                    .map(str::to_owned),
                })?;
            if !module.entries.iter().any(|e| e.id.value == op.id.value) {
                return Err(PlanError::Teardown {
                    module: module.id.value.clone(),
                    operation: op.id.value.to_string(),
                });
            }
            if let Some(item) = item {
                check_instance(deployment, op, item)?;
            }
            add_alone(&mut plan, deployment, module, Some((&op.id.value, item)))?;
        }
    }
    Ok(plan)
}

/// Plans one module, or the one operation (or instance) `only` names, waiting for nothing
/// outside it.
fn add_alone(
    plan: &mut Plan,
    deployment: &Deployment,
    module: &Module,
    only: Option<(&str, Option<&str>)>,
) -> Result<(), PlanError> {
    let positions = &mut Positions::default();
    add_module(
        plan,
        positions,
        deployment,
        module,
        &module.entries,
        &[],
        only,
    )
    .map(drop)
}

/// Refuses `run <module> <op>@<item>` when the operation has no such instance.
fn check_instance(deployment: &Deployment, op: &Operation, item: &str) -> Result<(), PlanError> {
    let found = expand::instances(deployment, op).map_err(|e| PlanError::ForEach {
        operation: op.id.value.to_string(),
        message: e.to_string(),
    })?;
    if found.iter().any(|i| i.item.as_deref() == Some(item)) {
        return Ok(());
    }
    let items: Vec<&str> = found.iter().filter_map(|i| i.item.as_deref()).collect();
    Err(PlanError::UnknownInstance {
        operation: op.id.value.to_string(),
        item: item.to_owned(),
        items: if items.is_empty() {
            "none, it has no `for_each`".to_owned()
        } else {
            items.join(", ")
        },
    })
}

fn find_module<'a>(deployment: &'a Deployment, name: &str) -> Result<&'a Module, PlanError> {
    deployment
        .module(name)
        .ok_or_else(|| PlanError::UnknownModule {
            name: name.to_owned(),
            suggestion: crate::base::text::closest(
                name,
                deployment.modules.iter().map(|m| m.id.value.as_str()),
            )
            .map(str::to_owned),
        })
}

/// Modules with their dependencies first, otherwise in folder order. Modules in a dependency
/// cycle (reported by validation) keep folder order.
fn ordered_modules(deployment: &Deployment) -> Vec<&Module> {
    let mut placed: Vec<&Module> = Vec::new();
    let mut remaining: Vec<&Module> = deployment.modules.iter().collect();
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|m| {
            deployment.module_dependencies(m).iter().all(|&d| {
                placed.iter().any(|p| p.id.value == d)
                    || !deployment.modules.iter().any(|x| x.id.value == d)
            })
        });
        placed.push(remaining.remove(ready.unwrap_or(0)));
    }
    placed
}

/// Every module's teardown, modules in reverse dependency order: a module's teardown waits for
/// the teardowns of the modules that depend on it (through modules without one).
fn add_teardown(plan: &mut Plan, deployment: &Deployment) -> Result<(), PlanError> {
    let mut finals: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut positions = Positions::default();
    for module in ordered_modules(deployment).into_iter().rev() {
        let mut before: Vec<usize> = deployment
            .modules
            .iter()
            .filter(|m| {
                deployment
                    .module_dependencies(m)
                    .contains(&module.id.value.as_str())
            })
            .flat_map(|m| finals.get(m.id.value.as_str()).cloned().unwrap_or_default())
            .collect();
        before.sort_unstable();
        before.dedup();
        if deployment.teardown_operations(module).next().is_none() {
            finals.insert(&module.id.value, before);
            continue;
        }
        let done = add_module(
            plan,
            &mut positions,
            deployment,
            module,
            &module.teardown,
            &before,
            None,
        )?;
        finals.insert(&module.id.value, done);
    }
    Ok(())
}

/// Plans `entries` of `module` (all of them, or the one operation `only` names), waiting for
/// the operations `before`. Returns the operations that, once done, have the module done: its
/// operations nothing of it waits for, or `before` when it planned nothing (so that the modules
/// after an empty one still wait).
fn add_module(
    plan: &mut Plan,
    positions: &mut Positions,
    deployment: &Deployment,
    module: &Module,
    entries: &[Entry],
    before: &[usize],
    only: Option<(&str, Option<&str>)>,
) -> Result<Vec<usize>, PlanError> {
    let start = plan.ops.len();
    let mut stages: Vec<Stage> = Vec::new();
    let mut group_stage: HashMap<u32, usize> = HashMap::new();
    for entry in entries {
        let Some(index) = entry.operation else {
            continue;
        };
        let op = &deployment.operations[index];
        if only.is_some_and(|(id, _)| id != op.id.value) {
            continue;
        }
        let group = entry.parallel_group.as_ref().map(|g| g.value);
        let stage_index = match group.filter(|_| module.schedule == Schedule::Stages) {
            Some(g) => *group_stage.entry(g).or_insert_with(|| {
                stages.push(Stage {
                    number: stages.len() + 1,
                    parallel_group: Some(g),
                    ops: Vec::new(),
                });
                stages.len() - 1
            }),
            None => {
                stages.push(Stage {
                    number: stages.len() + 1,
                    parallel_group: None,
                    ops: Vec::new(),
                });
                stages.len() - 1
            }
        };
        let instances = expand::instances(deployment, op).map_err(|e| PlanError::ForEach {
            operation: op.id.value.to_string(),
            message: e.to_string(),
        })?;
        let when_false = expand::skipped_by_when(deployment, op);
        for instance in instances {
            if let Some((_, Some(item))) = only
                && instance.item.as_deref() != Some(item)
            {
                continue;
            }
            stages[stage_index].ops.push(plan.ops.len());
            plan.ops.push(PlannedOperation {
                index,
                requires: expand::required_ids(deployment, op, instance.item.as_deref()),
                locks: locks(deployment, op, instance.item.as_deref()),
                id: instance.id,
                item: instance.item,
                when_false,
                module: CompactString::from(module.id.value.as_str()),
                stage: Some(stages[stage_index].number),
                predecessors: Vec::new(),
                barrier: None,
                expected: if when_false {
                    Duration::ZERO
                } else {
                    op.duration.expected()
                },
            });
        }
    }
    let barriers_from = plan.barriers.len();
    match module.schedule {
        Schedule::Stages => {
            for pair in stages.windows(2) {
                wait_for_all(plan, &pair[0].ops, &pair[1].ops);
            }
        }
        Schedule::Dag => link_requirements(plan, positions, &stages),
    }
    // Operations that wait for nothing inside the module wait for the modules it depends on;
    // the others wait for those transitively, which keeps the graph linear in size.
    let roots: Vec<usize> = stages
        .iter()
        .flat_map(|stage| &stage.ops)
        .copied()
        .filter(|&i| plan.ops[i].predecessors.is_empty() && plan.ops[i].barrier.is_none())
        .collect();
    wait_for_all(plan, before, &roots);
    let done = if plan.ops.len() == start {
        before.to_vec()
    } else {
        sinks(plan, start, barriers_from)
    };
    plan.modules.push(ModulePlan {
        id: module.id.value.clone(),
        after: Vec::new(),
        follows_previous: false,
        schedule: module.schedule,
        stages,
    });
    Ok(done)
}

/// Has each of `waiting` wait for every one of `done`: directly when either side is a single
/// operation, through one new barrier otherwise.
fn wait_for_all(plan: &mut Plan, done: &[usize], waiting: &[usize]) {
    if done.is_empty() || waiting.is_empty() {
        return;
    }
    if done.len() == 1 || waiting.len() == 1 {
        for &i in waiting {
            plan.ops[i].predecessors.extend_from_slice(done);
        }
        return;
    }
    let barrier = plan.barriers.len();
    plan.barriers.push(done.to_vec());
    for &i in waiting {
        plan.ops[i].barrier = Some(barrier);
    }
}

/// The operations planned from `start` on that none of them waits for (directly, or through a
/// barrier made from `barriers_from` on): when they have completed, the whole module has.
fn sinks(plan: &Plan, start: usize, barriers_from: usize) -> Vec<usize> {
    let mut waited_for = vec![false; plan.ops.len() - start];
    let waited = plan.ops[start..]
        .iter()
        .flat_map(|op| &op.predecessors)
        .chain(plan.barriers[barriers_from..].iter().flatten());
    for &p in waited {
        if p >= start {
            waited_for[p - start] = true;
        }
    }
    (start..plan.ops.len())
        .filter(|&i| !waited_for[i - start])
        .collect()
}

/// Where each planned id is in the plan, brought up to date with the operations planned since
/// it was last used (each is indexed once, however many DAG modules follow): a later operation
/// of the same id takes the place of an earlier one.
#[derive(Default)]
struct Positions {
    by_id: HashMap<String, usize>,
    indexed: usize,
}

impl Positions {
    /// The positions of every operation planned so far.
    fn update(&mut self, plan: &Plan) -> &HashMap<String, usize> {
        for (i, op) in plan.ops.iter().enumerate().skip(self.indexed) {
            self.by_id.insert(op.id.clone(), i);
        }
        self.indexed = plan.ops.len();
        &self.by_id
    }
}

/// In a DAG module an operation waits for its `requires` that are in the plan.
fn link_requirements(plan: &mut Plan, positions: &mut Positions, stages: &[Stage]) {
    let positions = positions.update(plan);
    for stage in stages {
        for &i in &stage.ops {
            let op = &mut plan.ops[i];
            for required in &op.requires {
                if let Some(&p) = positions.get(required.as_str())
                    && p != i
                {
                    op.predecessors.push(p);
                }
            }
            op.stage = None;
        }
    }
}

/// The operation's locks with variables substituted (`{{AVD_ITEM}}` as `item`), plus
/// `vm:<rg>/<name>` for run-commands.
pub(crate) fn locks(deployment: &Deployment, op: &Operation, item: Option<&str>) -> Vec<String> {
    let vars = &deployment.variables.for_item(item);
    let render = |text: &str| {
        vars.render(text, Destination::Value)
            .unwrap_or_else(|_| text.to_owned())
    };
    let mut locks: Vec<String> = op.locks.iter().map(|l| render(l)).collect();
    if let Action::RunCommand(rc) = &op.action {
        locks.push(format!(
            "vm:{}/{}",
            render(&rc.resource_group),
            render(&rc.vm)
        ));
    }
    locks.sort();
    locks.dedup();
    locks
}
