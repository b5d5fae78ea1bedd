//! Reads, parses and decodes the operation files of every module on all cores: each file is
//! independent of the others, its YAML tree is dropped as soon as it is decoded, and the results
//! come back in the order the files were listed, so findings and file ids are the same as when
//! reading them one by one.

use std::path::{Path, PathBuf};

use crate::base::diagnostic::Diagnostics;
use crate::base::source::{FileId, Source};
use crate::load::apps::ConfigTree;
use crate::load::decode::Decoder;
use crate::load::deployment::{parse, read_source};
use crate::load::operation::{self, OperationFile};
use crate::model::operation::Operation;

/// An operation file to load: its path relative to the deployment folder, the file id reserved
/// for it, and the id of the module whose folder holds it.
pub struct Job<'a> {
    /// The file's id in the sources (reserved, filled in with [`Loaded::source`]).
    pub file: FileId,
    /// The path relative to the deployment folder.
    pub relative: PathBuf,
    /// The id of the module whose `operations/` folder holds the file.
    pub module: &'a str,
}

/// What one operation file gave.
pub struct Loaded {
    /// The file as read (empty when it could not be read).
    pub source: Source,
    /// Its findings.
    pub diagnostics: Diagnostics,
    /// The decoded operation, unless the file was too broken.
    pub operation: Option<DecodedOperation>,
    /// Whether the file had a YAML syntax error (already among the findings).
    pub syntax_error: bool,
}

/// An operation decoded from its file.
pub struct DecodedOperation {
    /// The operation.
    pub operation: Operation,
    /// Whether the file gives `operation.duration` itself (else its module entry's applies).
    pub has_duration: bool,
}

/// Files per thread below which another thread costs more than it saves.
const MIN_FILES_PER_THREAD: usize = 64;

/// The most threads used, whatever the machine has.
const MAX_THREADS: usize = 8;

/// Loads every file of `jobs` under `root`, in parallel, returning the results in job order.
pub fn load_all(root: &Path, jobs: &[Job<'_>], config: ConfigTree<'_>) -> Vec<Loaded> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = cores
        .min(MAX_THREADS)
        .min(jobs.len() / MIN_FILES_PER_THREAD)
        .max(1);
    if threads == 1 {
        return jobs.iter().map(|job| load_one(root, job, config)).collect();
    }
    let per_thread = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|job| load_one(root, job, config))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(loaded) => loaded,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Reads, parses and decodes one operation file.
fn load_one(root: &Path, job: &Job<'_>, config: ConfigTree<'_>) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let (mut source, readable) = read_source(root, &job.relative, job.file, &mut diagnostics);
    let node = if readable {
        parse(&source, job.file, &mut diagnostics)
    } else {
        None
    };
    // Every span is made: the index of line starts is no longer needed.
    source.forget_lines();
    let syntax_error = readable && node.is_none();
    let operation = node.and_then(|node| {
        let at = OperationFile {
            module: job.module,
            path: &job.relative,
            file: job.file,
            config,
        };
        let decoder = &mut Decoder {
            file: job.file,
            diagnostics: &mut diagnostics,
        };
        let operation = operation::decode(decoder, &node, &at)?;
        let has_duration = node
            .get("operation")
            .and_then(|o| o.get("duration"))
            .is_some();
        Some(DecodedOperation {
            operation,
            has_duration,
        })
    });
    Loaded {
        source,
        diagnostics,
        operation,
        syntax_error,
    }
}
