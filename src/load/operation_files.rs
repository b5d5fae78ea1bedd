//! Reads, parses and decodes the operation files of every module on all cores: each file is
//! independent of the others, its YAML tree is dropped as soon as it is decoded, and the results
//! come back in the order the files were listed, so findings and file ids are the same as when
//! reading them one by one. A file whose load cache entry matches it is not read at all: its
//! operation comes from the entry ([`from_cache`]).

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use crate::base::diagnostic::Diagnostics;
use crate::base::source::{FileId, Source};
use crate::load::apps::ConfigTree;
use crate::load::cache::{self, Hit, Stamp};
use crate::load::decode::Decoder;
use crate::load::deployment::{parse, read_source};
use crate::load::operation::{self, OperationFile};
use crate::model::operation::Operation;

/// An operation file to read: its path relative to the deployment folder, the file id reserved
/// for it, and the id of the module whose folder holds it.
pub struct Job<'a> {
    /// The file's id in the sources (reserved, filled in with [`Loaded::source`]).
    pub file: FileId,
    /// The path relative to the deployment folder.
    pub relative: &'a Arc<Path>,
    /// The id of the module whose `operations/` folder holds the file.
    pub module: &'a str,
}

/// How the files of one load are read.
#[derive(Clone, Copy)]
pub struct Reading<'a> {
    /// The deployment folder (shared by the sources of files whose text is let go).
    pub root: &'a Arc<Path>,
    /// config.yaml, for operations generated from `apps:`.
    pub config: ConfigTree<'a>,
    /// Whether files are stamped for the load cache.
    pub caching: bool,
    /// Whether the text of a file without findings is let go once decoded (read again if a
    /// later finding quotes it), for large deployments.
    pub let_go: bool,
    /// Whether, then, the texts of bash scripts are kept all the same (see
    /// [`crate::load::cache::CacheUse::Check`]).
    pub keep_scripts: bool,
    /// When the load started, for the cache's rule on recently changed files.
    pub started: SystemTime,
}

/// What one operation file gave.
pub struct Loaded {
    /// The file as read (empty when it could not be read); none when its text is let go (a
    /// file of the load cache, or one without findings in a large deployment): it is read
    /// again from the deployment folder if a finding quotes it.
    pub source: Option<Box<Source>>,
    /// Its findings.
    pub diagnostics: Diagnostics,
    /// The decoded operation, unless the file was too broken.
    pub operation: Option<DecodedOperation>,
    /// Whether the file had a YAML syntax error (already among the findings).
    pub syntax_error: bool,
    /// What the load cache is to know of the file.
    pub cache: CacheOutcome,
}

/// What an operation file means for the load cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Decoded now, and may be stored with this stamp.
    Fresh(Stamp),
    /// Nothing to store anew: findings, changed just now, made with config.yaml, no cache, or
    /// taken from the cache (whose entry is kept as it is).
    Unstored,
}

/// An operation decoded from its file.
pub struct DecodedOperation {
    /// The operation (boxed: results move around while being collected).
    pub operation: Box<Operation>,
    /// Whether the file gives `operation.duration` itself (else its module entry's applies).
    pub has_duration: bool,
}

/// Files per thread below which another thread costs more than it saves.
const MIN_FILES_PER_THREAD: usize = 64;

/// The most threads used, whatever the machine has.
const MAX_THREADS: usize = 8;

/// Loads every file of `jobs`, in parallel, returning the results in job order: one list per
/// thread (gathering them in one would hold every result twice).
pub fn load_all(jobs: &[Job<'_>], reading: Reading<'_>) -> Vec<Vec<Loaded>> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = cores
        .min(MAX_THREADS)
        .min(jobs.len() / MIN_FILES_PER_THREAD)
        .max(1);
    if threads == 1 {
        return vec![jobs.iter().map(|job| load_one(job, reading)).collect()];
    }
    let per_thread = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|job| load_one(job, reading))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| match handle.join() {
                Ok(loaded) => loaded,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// What the file of `job` gave, as its load cache entry `hit` holds it.
pub fn from_cache(job: &Job<'_>, reading: Reading<'_>, hit: Hit) -> Loaded {
    let mut operation = hit.operation;
    job.at(reading).place(&mut operation);
    Loaded {
        source: None,
        diagnostics: Diagnostics::default(),
        operation: Some(DecodedOperation {
            operation,
            has_duration: hit.has_duration,
        }),
        syntax_error: false,
        cache: CacheOutcome::Unstored,
    }
}

impl Job<'_> {
    /// Where the file is, for decoding.
    fn at<'a>(&'a self, reading: Reading<'a>) -> OperationFile<'a> {
        OperationFile {
            module: self.module,
            path: self.relative,
            file: self.file,
            config: reading.config,
        }
    }
}

/// Reads, parses and decodes one operation file.
fn load_one(job: &Job<'_>, reading: Reading<'_>) -> Loaded {
    // Stamped before reading: a change while it is read gives a new stamp, never a stale entry.
    let stamp = reading
        .caching
        .then(|| Stamp::of(&reading.root.join(job.relative)))
        .flatten();
    let at = job.at(reading);
    let mut loaded = decode_file(&at, reading.root);
    let clean = loaded.diagnostics.items().is_empty();
    if clean && reading.let_go {
        loaded.source = None;
    }
    let storable = clean
        && loaded
            .operation
            .as_ref()
            .is_some_and(|decoded| cache::storable(&decoded.operation));
    if let Some(stamp) = stamp.filter(|s| storable && !s.is_recent(reading.started)) {
        loaded.cache = CacheOutcome::Fresh(stamp);
    }
    loaded
}

/// Reads, parses and decodes the operation file `at`.
fn decode_file(at: &OperationFile<'_>, root: &Path) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let (mut source, readable) = read_source(root, at.path, at.file, &mut diagnostics);
    let node = if readable {
        parse(&source, at.file, &mut diagnostics)
    } else {
        None
    };
    // Every span is made: the index of line starts is no longer needed.
    source.forget_lines();
    let syntax_error = readable && node.is_none();
    let operation = node.and_then(|node| {
        let decoder = &mut Decoder {
            file: at.file,
            diagnostics: &mut diagnostics,
        };
        let operation = operation::decode(decoder, &node, at)?;
        let has_duration = node
            .get("operation")
            .and_then(|o| o.get("duration"))
            .is_some();
        Some(DecodedOperation {
            operation: Box::new(operation),
            has_duration,
        })
    });
    Loaded {
        source: Some(Box::new(source)),
        diagnostics,
        operation,
        syntax_error,
        cache: CacheOutcome::Unstored,
    }
}
