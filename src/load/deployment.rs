//! Loads a deployment folder: config.yaml, then every `modules/*/module.yaml` and its
//! `operations/*.yaml`, linking module entries to operation files by `operation.id`.

use std::path::{Path, PathBuf};

use crate::load::config::{self, EnvLookup};
use crate::load::decode::Decoder;
use crate::load::module::{self, DecodedModule};
use crate::load::node::Node;
use crate::load::operation::{self, OperationFile};
use crate::load::source::{FileId, Sources};
use crate::load::yaml;
use crate::model::deployment::Deployment;
use crate::model::operation::Operation;
use crate::validate::diagnostic::{Diagnostic, Diagnostics, Location};

/// A deployment folder could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// config.yaml (or the `--config` file) is missing or unreadable.
    #[error("cannot read config file `{path}`")]
    Config {
        /// The path tried.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A module or operation folder could not be listed or a file read.
    #[error("cannot read `{path}`")]
    Read {
        /// The path tried.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A loaded deployment and every finding made while loading it.
pub struct Loaded {
    /// The deployment (present even with findings, for further checks).
    pub deployment: Deployment,
    /// Findings.
    pub diagnostics: Diagnostics,
}

/// Loads the deployment in `root` with `config` (relative to `root` unless absolute).
pub fn load(root: &Path, config: &Path, env: EnvLookup<'_>) -> Result<Loaded, LoadError> {
    let mut sources = Sources::default();
    let mut diagnostics = Diagnostics::default();
    let config_path = root.join(config);
    let text = std::fs::read_to_string(&config_path).map_err(|source| LoadError::Config {
        path: config_path.clone(),
        source,
    })?;
    let config_file = sources.add(config, text);
    let config_root = parse(&sources, config_file, &mut diagnostics);
    let variables = config::variables(
        &mut Decoder {
            file: config_file,
            diagnostics: &mut diagnostics,
        },
        &config_root,
        env,
    );
    let mut modules = Vec::new();
    let mut operations = Vec::new();
    for dir in module_dirs(root, config_file, &mut diagnostics)? {
        load_module(
            root,
            &dir,
            &mut sources,
            &mut diagnostics,
            &mut modules,
            &mut operations,
        )?;
    }
    link(&mut modules, &operations, &mut diagnostics);
    let deployment = Deployment::new(
        root.to_path_buf(),
        sources,
        config_file,
        variables,
        modules,
        operations,
    );
    Ok(Loaded {
        deployment,
        diagnostics,
    })
}

fn parse(sources: &Sources, file: FileId, diagnostics: &mut Diagnostics) -> Node {
    let source = sources.get(file);
    yaml::parse(source).unwrap_or_else(|error| {
        diagnostics.push(
            Diagnostic::error(
                "yaml-syntax",
                Location {
                    file,
                    span: Some(error.span),
                },
                format!("invalid YAML: {}", error.message),
            )
            .with_help("check indentation, quotes and brackets around this position"),
        );
        Node {
            kind: crate::load::node::NodeKind::Null,
            span: error.span,
        }
    })
}

/// Module folders (relative to `root`) holding a module.yaml, sorted by name.
fn module_dirs(
    root: &Path,
    config_file: FileId,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<PathBuf>, LoadError> {
    let modules = root.join("modules");
    if !modules.is_dir() {
        diagnostics.push(
            Diagnostic::error(
                "no-modules",
                Location {
                    file: config_file,
                    span: None,
                },
                "the deployment has no `modules/` folder",
            )
            .with_help(
                "create modules/<id>/module.yaml, or run `avdeploy init DIR` for a working example",
            ),
        );
        return Ok(Vec::new());
    }
    let mut dirs: Vec<PathBuf> = sorted_entries(&modules)?
        .into_iter()
        .filter(|path| path.join("module.yaml").is_file())
        .filter_map(|path| path.strip_prefix(root).ok().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let read = |source| LoadError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        paths.push(entry.map_err(read)?.path());
    }
    paths.sort();
    Ok(paths)
}

fn read(root: &Path, relative: &Path, sources: &mut Sources) -> Result<FileId, LoadError> {
    let text = std::fs::read_to_string(root.join(relative)).map_err(|source| LoadError::Read {
        path: relative.to_path_buf(),
        source,
    })?;
    Ok(sources.add(relative, text))
}

fn load_module(
    root: &Path,
    dir: &Path,
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
    modules: &mut Vec<crate::model::module::Module>,
    operations: &mut Vec<Operation>,
) -> Result<(), LoadError> {
    let file = read(root, &dir.join("module.yaml"), sources)?;
    let node = parse(sources, file, diagnostics);
    let decoded = module::decode(&mut Decoder { file, diagnostics }, &node, dir);
    let Some(DecodedModule {
        module,
        entry_durations,
    }) = decoded
    else {
        return Ok(());
    };
    let ops_dir = root.join(dir).join("operations");
    if ops_dir.is_dir() {
        for path in sorted_entries(&ops_dir)? {
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let file = read(root, &relative, sources)?;
            let node = parse(sources, file, diagnostics);
            let at = OperationFile {
                module: &module.id.value,
                path: &relative,
                file,
            };
            if let Some(mut op) = operation::decode(&mut Decoder { file, diagnostics }, &node, &at)
            {
                let has_duration = node
                    .get("operation")
                    .and_then(|o| o.get("duration"))
                    .is_some();
                if !has_duration
                    && let Some((_, duration)) =
                        entry_durations.iter().find(|(id, _)| *id == op.id.value)
                {
                    op.duration = *duration;
                }
                operations.push(op);
            }
        }
    }
    modules.push(module);
    Ok(())
}

/// Points module entries at operations (same module first, then anywhere) and reports entries
/// with no file and files no module lists.
fn link(
    modules: &mut [crate::model::module::Module],
    operations: &[Operation],
    diagnostics: &mut Diagnostics,
) {
    let mut listed = vec![false; operations.len()];
    for module in modules.iter_mut() {
        for entry in &mut module.entries {
            let found = operations
                .iter()
                .position(|op| op.id.value == entry.id.value && op.module == module.id.value)
                .or_else(|| {
                    operations
                        .iter()
                        .position(|op| op.id.value == entry.id.value)
                });
            match found {
                Some(index) => {
                    entry.operation = Some(index);
                    listed[index] = true;
                }
                None => diagnostics.push(
                    Diagnostic::error(
                        "missing-operation-file",
                        Location {
                            file: module.file,
                            span: Some(entry.id.span),
                        },
                        format!(
                            "operation `{}` is listed but no operation file has that id",
                            entry.id.value
                        ),
                    )
                    .with_help(format!(
                        "add {}/operations/<name>.yaml with `operation.id: \"{}\"`",
                        module.dir.display(),
                        entry.id.value
                    )),
                ),
            }
        }
    }
    for (op, listed) in operations.iter().zip(listed) {
        if !listed {
            diagnostics.push(
                Diagnostic::warning(
                    "unlisted-operation",
                    Location {
                        file: op.file,
                        span: Some(op.id.span),
                    },
                    format!(
                        "operation `{}` is not listed in any module.yaml and never runs",
                        op.id.value
                    ),
                )
                .with_help("add it to `module.operations`, or delete the file"),
            );
        }
    }
}
