//! A whole validated deployment: variables, modules and their operations.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::path::PathBuf;

use hashbrown::HashTable;

use crate::base::layout::Layout;
use crate::base::source::{FileId, Source, Sources};
use crate::base::span::Spanned;
use crate::model::module::Module;
use crate::model::operation::Operation;
use crate::model::settings::Settings;
use crate::model::shell::ShellMode;
use crate::model::variables::Variables;

/// A loaded deployment folder.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The deployment folder, absolute.
    pub root: PathBuf,
    /// Where the state and artifacts of its config's environment live.
    pub layout: Layout,
    /// Every file read, for diagnostics.
    pub sources: Sources,
    /// config.yaml's id in `sources`.
    pub config_file: FileId,
    /// The variables.
    pub variables: Variables,
    /// The engine settings (config.yaml's `avdeploy:` section).
    pub settings: Settings,
    /// Modules sorted by folder name.
    pub modules: Vec<Module>,
    /// Every operation file's operation (boxed: each is decoded apart, then moved in whole).
    pub operations: Vec<Box<Operation>>,
    /// Ids of operation files that could not be parsed (YAML syntax errors, already reported).
    pub unreadable: Vec<String>,
    /// Operation indices hashed by id (the first, when ids are duplicated): looked up by id
    /// without a second copy of every id.
    by_id: HashTable<u32>,
    /// How ids are hashed for `by_id`.
    hasher: hashbrown::DefaultHashBuilder,
    /// Reads a bash script whose text was let go again from its operation file (the loader's).
    read_script: ReadScript,
}

/// Reads the bash script of an operation file again: its text, empty when the file no longer
/// holds one.
pub type ReadScript = fn(&Source) -> String;

impl Deployment {
    /// Assembles a deployment; `modules` entries must already point into `operations`.
    pub fn new(
        layout: Layout,
        sources: Sources,
        config_file: FileId,
        variables: Variables,
        modules: Vec<Module>,
        operations: Vec<Box<Operation>>,
        unreadable: Vec<String>,
    ) -> Self {
        let hasher = hashbrown::DefaultHashBuilder::default();
        let mut by_id = HashTable::with_capacity(operations.len());
        // Operations are far fewer than `u32::MAX`: each is a file of its own.
        for (index, op) in (0..u32::MAX).zip(&operations) {
            let id = op.id.value.as_str();
            let same = |&i: &u32| operations[i as usize].id.value == id;
            if by_id.find(hasher.hash_one(id), same).is_none() {
                let rehash = |&i: &u32| hasher.hash_one(operations[i as usize].id.value.as_str());
                by_id.insert_unique(hasher.hash_one(id), index, rehash);
            }
        }
        Self {
            root: layout.root().to_path_buf(),
            layout,
            sources,
            config_file,
            variables,
            settings: Settings::default(),
            modules,
            operations,
            unreadable,
            by_id,
            hasher,
            read_script: |_| String::new(),
        }
    }

    /// The module with this id.
    pub fn module(&self, id: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.id.value == id)
    }

    /// The deployment whose let-go scripts `read` reads again (see
    /// [`crate::model::shell_facts::ShellFacts::text_let_go`]).
    #[must_use]
    pub fn with_script_reader(mut self, read: ReadScript) -> Self {
        self.read_script = read;
        self
    }

    /// The text of `op`'s bash script `command`: as held, or read again from the operation
    /// file when it was let go.
    pub fn script_text<'a>(&self, op: &Operation, command: &'a Spanned<String>) -> Cow<'a, str> {
        if op.shell.text_let_go {
            Cow::Owned((self.read_script)(self.sources.get(op.file)))
        } else {
            Cow::Borrowed(&command.value)
        }
    }

    /// The deployment with these engine settings.
    #[must_use]
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The shell mode of `module`'s bash operations: the module's `shell:`, else the
    /// deployment's `avdeploy.shell`, else strict.
    pub fn shell_mode(&self, module: &str) -> ShellMode {
        self.module(module)
            .and_then(|m| m.shell)
            .or(self.settings.shell.as_ref().map(|s| s.value))
            .unwrap_or_default()
    }

    /// The operation with this id.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operation_index(id).map(|i| &*self.operations[i])
    }

    /// The operation of `module` with this id, or whose file stem is `name`.
    pub fn module_operation(&self, module: &str, name: &str) -> Option<&Operation> {
        self.operation(name)
            .filter(|op| op.module == module)
            .or_else(|| {
                self.operations
                    .iter()
                    .find(|op| op.stem() == name && op.module == module)
                    .map(Box::as_ref)
            })
    }

    /// The modules that must complete before `module` starts: those its `dependencies` list, or,
    /// without the key, the module before it in folder order.
    pub fn module_dependencies<'a>(&'a self, module: &'a Module) -> Vec<&'a str> {
        if !module.follows_previous() {
            return module
                .listed_dependencies()
                .iter()
                .map(|d| d.value.as_str())
                .collect();
        }
        let position = self
            .modules
            .iter()
            .position(|m| m.id.value == module.id.value);
        position
            .and_then(|i| i.checked_sub(1))
            .map(|previous| vec![self.modules[previous].id.value.as_str()])
            .unwrap_or_default()
    }

    /// The teardown operations of a module in declared order (entries without a file skipped).
    pub fn teardown_operations<'a>(
        &'a self,
        module: &'a Module,
    ) -> impl Iterator<Item = &'a Operation> + 'a {
        module
            .teardown
            .iter()
            .filter_map(|entry| entry.operation.map(|i| &*self.operations[i]))
    }

    /// The index of the operation with this id (the first, when ids are duplicated).
    pub fn operation_index(&self, id: &str) -> Option<usize> {
        let same = |&i: &u32| self.operations[i as usize].id.value == id;
        self.by_id
            .find(self.hasher.hash_one(id), same)
            .map(|&i| i as usize)
    }

    /// Whether the operation at `index` is listed under some module's `teardown:`.
    pub fn is_teardown(&self, index: usize) -> bool {
        self.modules
            .iter()
            .flat_map(|m| &m.teardown)
            .any(|entry| entry.operation == Some(index))
    }

    /// The operations of a module in declared order (entries without a file are skipped).
    pub fn module_operations<'a>(
        &'a self,
        module: &'a Module,
    ) -> impl Iterator<Item = &'a Operation> + 'a {
        module
            .entries
            .iter()
            .filter_map(|entry| entry.operation.map(|i| &*self.operations[i]))
    }
}
