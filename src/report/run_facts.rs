//! What reporters remember about the current run to annotate events that do not carry it: the
//! run id and each operation's module and expected duration.

use std::collections::HashMap;
use std::time::Duration;

use crate::exec::event::RunEvent;
use crate::model::operation::OperationKey;

/// The facts of the current run, learnt from its events.
#[derive(Clone, Debug, Default)]
pub struct RunFacts {
    run_id: Option<String>,
    modules: HashMap<String, String>,
    expected: HashMap<String, Duration>,
}

impl RunFacts {
    /// Facts that already know the plan's modules.
    pub fn with_plan(planned: &[OperationKey]) -> Self {
        let modules = planned
            .iter()
            .map(|key| (key.operation.clone(), key.module.clone()))
            .collect();
        Self {
            modules,
            ..Self::default()
        }
    }

    /// Learns from one event; call it before rendering the event.
    pub fn observe(&mut self, event: &RunEvent) {
        match event {
            RunEvent::RunStarted { run_id, .. } => self.run_id = Some(run_id.clone()),
            RunEvent::StageStarted {
                module, operations, ..
            } => {
                for op in operations {
                    self.modules.insert(op.clone(), module.clone());
                }
            }
            RunEvent::OperationStarted {
                module,
                operation,
                expected,
                ..
            } => {
                self.modules.insert(operation.clone(), module.clone());
                self.expected.insert(operation.clone(), *expected);
            }
            _ => {}
        }
    }

    /// The current run's id, once it started.
    pub fn run_id(&self) -> Option<&str> {
        self.run_id.as_deref()
    }

    /// The module of an operation, when known.
    pub fn module_of(&self, operation: &str) -> Option<&str> {
        self.modules.get(operation).map(String::as_str)
    }

    /// The expected duration of an operation that started.
    pub fn expected_of(&self, operation: &str) -> Option<Duration> {
        self.expected.get(operation).copied()
    }
}
