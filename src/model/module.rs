//! A validated module: its operations in declared order, with parallel groups.

use std::path::PathBuf;

use compact_str::CompactString;

use crate::base::source::FileId;
use crate::base::span::Spanned;
use crate::model::shell::ShellMode;

/// How a `destroy` run's target is recorded (module ids `all` and `destroy` are reserved).
pub const DESTROY_TARGET: &str = "destroy";

/// How a module's operations are ordered (`module.schedule`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Each operation starts as soon as its `requires` are completed.
    Dag,
    /// Declared order, parallel groups as barriers.
    #[default]
    Stages,
}

/// One entry of `module.operations`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// The operation id (inline when short: a module may list thousands).
    pub id: Spanned<CompactString>,
    /// `parallel_group`, if any.
    pub parallel_group: Option<Spanned<u32>>,
    /// The index of the operation in [`crate::model::deployment::Deployment::operations`], once found.
    #[serde(skip)]
    pub operation: Option<usize>,
}

/// A validated module.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Module {
    /// `module.id`.
    pub id: Spanned<String>,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `dependencies` as written: `None` when the key is absent, in which case the module follows
    /// the module before it in folder order (see [`Module::follows_previous`]).
    pub dependencies: Option<Vec<Spanned<String>>>,
    /// Stages or DAG.
    pub schedule: Schedule,
    /// `shell:`, when written (else the deployment's mode applies).
    pub shell: Option<ShellMode>,
    /// The operations in declared order.
    pub entries: Vec<Entry>,
    /// `teardown:`: operations only `destroy` runs, in declared order.
    pub teardown: Vec<Entry>,
    /// `module.yaml`.
    #[serde(skip)]
    pub file: FileId,
    /// The module's folder, relative to the deployment folder.
    #[serde(skip)]
    pub dir: PathBuf,
}

impl Module {
    /// Whether the module has no `dependencies` key, so it runs after the module before it in
    /// folder order (as the bash engine ran modules, one at a time).
    pub fn follows_previous(&self) -> bool {
        self.dependencies.is_none()
    }

    /// The dependencies listed in module.yaml (none when the key is absent).
    pub fn listed_dependencies(&self) -> &[Spanned<String>] {
        self.dependencies.as_deref().unwrap_or_default()
    }
}
