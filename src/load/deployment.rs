//! Loads a deployment folder: config.yaml, then every `modules/*/module.yaml` and its
//! `operations/*.yaml`, linking module entries to operation files by `operation.id`.

use hashbrown::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::base::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::base::source::{FileId, Source, Sources};
use crate::base::span::{Span, Spanned};
use crate::load::apps::ConfigTree;
use crate::load::cache::{self, Cache, CacheUse};
use crate::load::config::{self, EnvLookup};
use crate::load::decode::Decoder;
use crate::load::module::{self, DecodedModule};
use crate::load::module_cache::{self, ModuleCache};
use crate::load::node::Node;
use crate::load::operation_files::{self, CacheOutcome, DecodedOperation, Job, Reading};
use crate::load::settings;
use crate::load::yaml;
use crate::model::deployment::Deployment;
use crate::model::duration::Durations;
use crate::model::module::{Module, Schedule};
use crate::model::operation::Operation;

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
    /// The config file's name cannot name an environment.
    #[error(transparent)]
    Layout(#[from] crate::base::layout::LayoutError),
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

/// Loads the deployment in `root` with `config` (relative to `root` unless absolute), decoding
/// every file.
pub fn load(root: &Path, config: &Path, env: EnvLookup<'_>) -> Result<Loaded, LoadError> {
    load_with(root, config, env, CacheUse::Off)
}

/// Loads the deployment in `root` with `config` (relative to `root` unless absolute), taking
/// unchanged operations from the load cache when `cache` says so.
pub fn load_with(
    root: &Path,
    config: &Path,
    env: EnvLookup<'_>,
    cache: CacheUse,
) -> Result<Loaded, LoadError> {
    let started = std::time::SystemTime::now();
    // Operations run with the deployment folder as working directory, so every path handed to
    // them must not depend on where avdeploy was started.
    let absolute = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let root = absolute.as_path();
    let layout = crate::base::layout::Layout::new(root, config)?;
    let cache_file = layout.load_cache();
    std::thread::scope(|scope| {
        // Read, and matched with the operation files as they are listed, while config.yaml
        // and the module files are read: it is ready when they are.
        let keep_scripts = cache != CacheUse::Check;
        let cache_path = cache_file.as_path();
        let (listing, stored) = if cache == CacheUse::Off {
            (None, None)
        } else {
            let (send, receive) = std::sync::mpsc::channel::<Vec<Stamped>>();
            let matching = scope.spawn(move || {
                Cache::read(cache_path, keep_scripts, receive.into_iter().flatten())
            });
            (Some(send), Some((matching, cache_path)))
        };
        let files = Files {
            root,
            config,
            env,
            started,
            keep_scripts,
        };
        load_files(&files, layout, listing, stored)
    })
}

/// Where a deployment is loaded from.
struct Files<'a> {
    root: &'a Path,
    config: &'a Path,
    env: EnvLookup<'a>,
    started: std::time::SystemTime,
    /// Whether the texts of bash scripts are kept when other texts are let go.
    keep_scripts: bool,
}

/// The load cache being read on another thread, and where it is stored.
type Pending<'scope, 'a> = (std::thread::ScopedJoinHandle<'scope, Cache>, &'a Path);

/// Loads the deployment's files; operations come from the cache `stored` is reading if there
/// are enough of them, the paths of the operation files being sent to it on `listing` as they
/// are listed.
fn load_files(
    files: &Files<'_>,
    layout: crate::base::layout::Layout,
    listing: Option<std::sync::mpsc::Sender<Vec<Stamped>>>,
    stored: Option<Pending<'_, '_>>,
) -> Result<Loaded, LoadError> {
    let Files {
        root,
        config,
        env,
        started,
        keep_scripts,
    } = *files;
    let mut sources = Sources::default();
    let mut diagnostics = Diagnostics::default();
    let config_path = root.join(config);
    let bytes = read_bounded(&config_path).map_err(|source| LoadError::Config {
        path: config_path.clone(),
        source,
    })?;
    let config_file = add_text(&mut sources, &mut diagnostics, config, bytes);
    let config_root = parse(sources.get(config_file), config_file, &mut diagnostics);
    let (variables, settings) = match &config_root {
        Some(config_root) => {
            let mut decoder = Decoder {
                file: config_file,
                diagnostics: &mut diagnostics,
            };
            let variables = config::variables(&mut decoder, config_root, env);
            (variables, settings::decode(&mut decoder, config_root))
        }
        None => Default::default(),
    };
    let config_tree = ConfigTree {
        file: config_file,
        root: config_root.as_ref(),
    };
    let mut found = Found::default();
    let mut listed = Vec::new();
    let mut readable = Vec::new();
    let mut module_stamps = Vec::new();
    for dir in module_dirs(root, config_file, &mut sources, &mut diagnostics)? {
        let relative = dir.join("module.yaml");
        // Taken before the file is read: a change while it is read makes it another stamp.
        let stamp = listing
            .as_ref()
            .and_then(|_| cache::Stamp::of(&root.join(&relative)));
        if let Some(file) = read(root, &relative, &mut sources, &mut diagnostics) {
            let mut stamps = listing.as_ref().map(|_| Vec::new());
            listed.extend(list_operations(
                root,
                &dir,
                readable.len(),
                &mut sources,
                stamps.as_mut(),
            )?);
            if let (Some(listing), Some(stamps)) = (&listing, stamps) {
                // A cache that stopped reading matches nothing more.
                let _ = listing.send(stamps);
            }
            readable.push((file, dir));
            module_stamps.push(stamp);
        }
    }
    let module_cache =
        (listing.is_some() && listed.len() >= cache::MIN_FILES).then(|| layout.module_cache());
    drop(listing);
    let decoded = decode_modules_cached(
        &readable,
        &module_stamps,
        &sources,
        module_cache.as_deref(),
        started,
    );
    for (decoded, (file, dir)) in decoded.into_iter().zip(&readable) {
        diagnostics.extend(decoded.diagnostics);
        add_module(decoded.module, *file, dir, &sources, &mut found);
    }
    let cache = stored
        .filter(|_| listed.len() >= cache::MIN_FILES)
        .map(|(stored, path)| match stored.join() {
            Ok(cache) => (cache, path),
            Err(panic) => std::panic::resume_unwind(panic),
        });
    let shared_root: Arc<Path> = root.into();
    let reading = Reading {
        root: &shared_root,
        config: config_tree,
        caching: cache.is_some(),
        let_go: listed.len() >= cache::MIN_FILES,
        keep_scripts,
        started,
    };
    load_operations(
        &listed,
        reading,
        cache,
        &mut sources,
        &mut diagnostics,
        &mut found,
    );
    link(&mut found, &mut diagnostics);
    if reading.let_go {
        let_go_of_module_texts(&mut sources, &found.modules, &diagnostics, &shared_root);
    }

    let deployment = Deployment::new(
        layout,
        sources,
        config_file,
        variables,
        found.modules,
        found.operations,
        found.unreadable,
    )
    .with_settings(settings)
    .with_script_reader(script_of);
    Ok(Loaded {
        deployment,
        diagnostics,
    })
}

/// Lets go of the text of every module.yaml no finding so far points into, as of the operation
/// files of a large deployment: a later finding reads it again to quote it.
fn let_go_of_module_texts(
    sources: &mut Sources,
    modules: &[Module],
    diagnostics: &Diagnostics,
    root: &Arc<Path>,
) {
    let quoted: HashSet<FileId> = diagnostics
        .items()
        .iter()
        .flat_map(|d| std::iter::once(&d.location).chain(d.labels.iter().map(|l| &l.location)))
        .map(|location| location.file)
        .collect();
    for module in modules.iter().filter(|m| !quoted.contains(&m.file)) {
        sources.let_go(module.file, Arc::clone(root));
    }
}

/// The YAML tree of `source` (file `file`); `None` after a syntax error, which is recorded
/// (later checks skip the file rather than report its absence as more findings).
pub(crate) fn parse(source: &Source, file: FileId, diagnostics: &mut Diagnostics) -> Option<Node> {
    match yaml::parse(source) {
        Ok(node) => Some(node),
        Err(error) => {
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
            None
        }
    }
}

/// The `id:` written under `top:` in a file the YAML parser rejected, found line by line, so
/// that a syntax error is reported once and not again as a missing module or operation.
fn scan_id(text: &str, top: &str) -> Option<String> {
    let mut lines = text
        .lines()
        .skip_while(|line| line.trim_end() != format!("{top}:"));
    lines.next()?;
    lines
        .take_while(|line| line.is_empty() || line.starts_with([' ', '\t', '#']))
        .find_map(|line| line.trim_start().strip_prefix("id:"))
        .map(|value| value.trim().trim_matches(['"', '\'']).to_owned())
        .filter(|id| !id.is_empty())
}

/// Module folders (relative to `root`) holding a readable module.yaml, sorted by name. Every
/// folder under `modules/` is a module (dot folders aside): one whose module.yaml is missing, is
/// no file, or cannot be read is an error naming the path, never silently left out.
fn module_dirs(
    root: &Path,
    config_file: FileId,
    sources: &mut Sources,
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
    let mut dirs = Vec::new();
    for path in sorted_entries(&modules)?
        .iter()
        .map(std::fs::DirEntry::path)
    {
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if !meta.is_dir() => continue,
            Ok(_) => {}
            Err(error) => {
                unreadable_file(sources, diagnostics, &relative, &error);
                continue;
            }
        }
        let module_file = relative.join("module.yaml");
        match std::fs::metadata(root.join(&module_file)) {
            Ok(meta) if meta.is_file() => dirs.push(relative),
            Ok(_) => unreadable_file(sources, diagnostics, &module_file, &not_a_file()),
            Err(error) => unreadable_file(sources, diagnostics, &module_file, &error),
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// The largest YAML file avdeploy reads: far above any deployment's files, small enough that
/// every value fits an operation's environment.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The bytes of the regular file `path`, refused past [`MAX_FILE_BYTES`].
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_a_file());
    }
    // Sized from the metadata: the file is read in one call, not in doubling chunks.
    let expected = usize::try_from(meta.len().min(MAX_FILE_BYTES + 1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(expected + 1);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "the file is {:.1} MiB; YAML files may hold at most {} MiB",
                meta.len().max(bytes.len() as u64) as f64 / 1_048_576.0,
                MAX_FILE_BYTES / 1_048_576
            ),
        ));
    }
    Ok(bytes)
}

fn not_a_file() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file")
}

/// Records that `relative` could not be read: an error at that path, which is added as an
/// empty source so the finding can name it.
fn unreadable_file(
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
    relative: &Path,
    error: &std::io::Error,
) {
    let file = sources.add(relative, String::new());
    unreadable(file, diagnostics, relative, error);
}

/// Records that `relative`, file `file`, could not be read.
fn unreadable(
    file: FileId,
    diagnostics: &mut Diagnostics,
    relative: &Path,
    error: &std::io::Error,
) {
    let what = match error.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        _ => format!("cannot be read: {error}"),
    };
    diagnostics.push(
        Diagnostic::error(
            "unreadable-file",
            Location { file, span: None },
            format!("`{}` {what}", relative.display()),
        )
        .with_help(
            "every folder under modules/ is a module and needs a readable module.yaml of at most 8 MiB; rename folders that are not modules to start with `.`",
        ),
    );
}

fn sorted_entries(dir: &Path) -> Result<Vec<std::fs::DirEntry>, LoadError> {
    let read = |source| LoadError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut named = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        named.push((entry.file_name(), entry));
    }
    // All in one folder: their names order them as their paths would, without taking the
    // paths apart again for every pair.
    named.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(named.into_iter().map(|(_, entry)| entry).collect())
}

/// Reads a module file; a file that cannot be read (or is too large) is an error naming it,
/// and `None`.
fn read(
    root: &Path,
    relative: &Path,
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
) -> Option<FileId> {
    let file = sources.reserve(relative);
    let (source, readable) = read_source(root, relative, file, diagnostics);
    sources.fill(file, source);
    readable.then_some(file)
}

/// Reads `relative` as file `file`: its source, and whether it could be read. A file that
/// cannot be read (or is too large) is an error naming it, and an empty source.
pub(crate) fn read_source(
    root: &Path,
    relative: &Path,
    file: FileId,
    diagnostics: &mut Diagnostics,
) -> (Source, bool) {
    match read_bounded(&root.join(relative)) {
        Ok(bytes) => (text_source(file, diagnostics, relative, bytes), true),
        Err(error) => {
            unreadable(file, diagnostics, relative, &error);
            (Source::new(relative.to_path_buf(), String::new()), false)
        }
    }
}

/// Adds a file's text; bytes that are not UTF-8 are a finding at the first of them, and are
/// replaced by U+FFFD so the rest of the file can still be checked and quoted.
fn add_text(
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
    path: &Path,
    bytes: Vec<u8>,
) -> FileId {
    let file = sources.reserve(path);
    let source = text_source(file, diagnostics, path, bytes);
    sources.fill(file, source);
    file
}

/// The source of file `file` from its bytes; bytes that are not UTF-8 are a finding at the
/// first of them, and are replaced by U+FFFD so the rest of the file can still be checked and
/// quoted.
fn text_source(file: FileId, diagnostics: &mut Diagnostics, path: &Path, bytes: Vec<u8>) -> Source {
    match String::from_utf8(bytes) {
        Ok(text) => Source::new(path.to_path_buf(), text),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let source = Source::new(path.to_path_buf(), text);
            let before = &source.text()[..valid];
            let line = before.matches('\n').count() + 1;
            let col0 = before.rsplit('\n').next().unwrap_or("").chars().count();
            let at = source.pos(line, col0);
            diagnostics.push(
                Diagnostic::error(
                    "not-utf8",
                    Location {
                        file,
                        span: Some(Span::new(at, source.pos(line, col0 + 1))),
                    },
                    "the file is not UTF-8 text",
                )
                .with_help("save the file as UTF-8 (without a byte order mark is best)"),
            );
            source
        }
    }
}

/// What the module folders hold, as far as it could be read.
#[derive(Default)]
struct Found {
    modules: Vec<Module>,
    #[expect(
        clippy::vec_box,
        reason = "each operation is decoded in a box of its own and moved in without a copy"
    )]
    operations: Vec<Box<Operation>>,
    /// Ids of operation files with YAML syntax errors.
    unreadable: Vec<String>,
    /// Modules whose module.yaml could not be decoded: their operation files are not reported
    /// as unlisted.
    unknown_listing: Vec<String>,
    /// Per module (as in `modules`), the durations its entries give their operations.
    entry_durations: Vec<HashMap<String, Durations>>,
}

/// What one module.yaml decoded to, with its findings.
struct ModuleFile {
    module: Option<DecodedModule>,
    diagnostics: Diagnostics,
}

/// The module.yaml files read as `readable` (file id and module folder, the file stamped
/// `stamps`) decoded, in the same order: taken from the load cache at `cache` when unchanged
/// since it stored them, which is then brought up to date.
fn decode_modules_cached(
    readable: &[(FileId, PathBuf)],
    stamps: &[Option<cache::Stamp>],
    sources: &Sources,
    cache: Option<&Path>,
    started: std::time::SystemTime,
) -> Vec<ModuleFile> {
    let Some(cache) = cache else {
        return decode_modules(&readable.iter().collect::<Vec<_>>(), sources);
    };
    let mut stored = ModuleCache::read(cache);
    let mut hits: Vec<Option<DecodedModule>> = readable
        .iter()
        .zip(stamps)
        .map(|((_, dir), stamp)| stored.take(&dir.join("module.yaml"), *stamp))
        .collect();
    let misses: Vec<_> = readable
        .iter()
        .zip(&hits)
        .filter(|(_, hit)| hit.is_none())
        .map(|(read, _)| read)
        .collect();
    let mut decoded_misses = decode_modules(&misses, sources).into_iter();
    let decoded: Vec<ModuleFile> = readable
        .iter()
        .zip(&mut hits)
        .map(|((file, dir), hit)| match hit.take() {
            Some(mut hit) => {
                hit.module.file = *file;
                hit.module.dir = dir.clone();
                ModuleFile {
                    module: Some(hit),
                    diagnostics: Diagnostics::default(),
                }
            }
            None => decoded_misses
                .next()
                .expect("a module decoded for each one not in the cache"),
        })
        .collect();
    let loaded: Vec<module_cache::Decoded<'_>> = decoded
        .iter()
        .zip(readable)
        .zip(stamps)
        .map(|((decoded, (_, dir)), stamp)| module_cache::Decoded {
            relative: dir.join("module.yaml"),
            stamp: *stamp,
            module: decoded
                .module
                .as_ref()
                .filter(|_| decoded.diagnostics.items().is_empty()),
        })
        .collect();
    stored.update(cache, started, &loaded);
    decoded
}

/// Modules below which decoding them on another thread costs more than it saves.
const MIN_MODULES_PER_THREAD: usize = 4;

/// Parses and decodes the module.yaml files read as `readable` (file id and module folder),
/// on all cores, returning what each gave in the same order.
fn decode_modules(readable: &[&(FileId, PathBuf)], sources: &Sources) -> Vec<ModuleFile> {
    let decode_one = |&&(file, ref dir): &&(FileId, PathBuf)| {
        let mut diagnostics = Diagnostics::default();
        let module = parse(sources.get(file), file, &mut diagnostics).and_then(|node| {
            let decoder = &mut Decoder {
                file,
                diagnostics: &mut diagnostics,
            };
            module::decode(decoder, &node, dir)
        });
        ModuleFile {
            module,
            diagnostics,
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = cores.min(readable.len() / MIN_MODULES_PER_THREAD).max(1);
    if threads == 1 {
        return readable.iter().map(decode_one).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = readable
            .chunks(readable.len().div_ceil(threads))
            .map(|chunk| scope.spawn(move || chunk.iter().map(decode_one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(decoded) => decoded,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Records the module of `dir` as decoded from its module.yaml, file `file`; one that could
/// not be decoded stands in under the id the file seems to give.
fn add_module(
    decoded: Option<DecodedModule>,
    file: FileId,
    dir: &Path,
    sources: &Sources,
    found: &mut Found,
) {
    let (module, entry_durations) = match decoded {
        Some(DecodedModule {
            module,
            entry_durations,
        }) => (module, entry_durations.into_iter().collect()),
        None => {
            let module = stand_in_module(sources, file, dir);
            found.unknown_listing.push(module.id.value.clone());
            (module, HashMap::new())
        }
    };
    found.modules.push(module);
    found.entry_durations.push(entry_durations);
}

/// Lists the operation files of the module folder `dir`, the `module`th module, reserving a
/// file id for each in the order they are listed (so ids are as if each were read in turn,
/// after its module.yaml); the files are read afterwards, all together, by
/// [`load_operations`]. With `stamps`, each file's path and stamp are added to it, for the
/// load cache.
fn list_operations(
    root: &Path,
    dir: &Path,
    module: usize,
    sources: &mut Sources,
    mut stamps: Option<&mut Vec<Stamped>>,
) -> Result<Vec<Listed>, LoadError> {
    let mut listed = Vec::new();
    let ops_dir = root.join(dir).join("operations");
    if ops_dir.is_dir() {
        for entry in sorted_entries(&ops_dir)? {
            let path = entry.path();
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                continue;
            }
            let relative: Arc<Path> = path.strip_prefix(root).unwrap_or(&path).into();
            if let Some(stamps) = stamps.as_deref_mut() {
                stamps.push((Arc::clone(&relative), cache::Stamp::of_entry(&entry)));
            }
            listed.push(Listed {
                file: sources.reserve(Arc::clone(&relative)),
                relative,
                module,
            });
        }
    }
    Ok(listed)
}

/// A listed operation file's path and stamp, for the load cache to match its entries with.
type Stamped = (Arc<Path>, Option<cache::Stamp>);

/// An operation file listed in a module folder, not read yet.
struct Listed {
    /// The file id reserved for it.
    file: FileId,
    /// Its path relative to the deployment folder (shared with its source and operation).
    relative: Arc<Path>,
    /// The index of its module in [`Found::modules`].
    module: usize,
}

impl Listed {
    /// The file as a job for [`operation_files`], its module being one of `modules`.
    fn job<'a>(&'a self, modules: &'a [Module]) -> Job<'a> {
        Job {
            file: self.file,
            relative: &self.relative,
            module: &modules[self.module].id.value,
        }
    }
}

/// Reads, parses and decodes every listed operation file (on all cores) or takes it from the
/// load `cache` (with where it is stored), brings the cache up to date, then records the
/// results in the order the files were listed.
fn load_operations(
    listed: &[Listed],
    reading: Reading<'_>,
    cache: Option<(Cache, &Path)>,
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
    found: &mut Found,
) {
    let (cache, cache_file) = cache.unzip();
    let cache = cache.unwrap_or_default();
    let stored_before = (cache.len_read(), cache.file_stamp());
    let mut hits = cache.into_hits();
    hits.resize_with(listed.len(), || None);
    let misses: Vec<Job<'_>> = listed
        .iter()
        .zip(&hits)
        .filter(|(_, hit)| hit.is_none())
        .map(|(file, _)| file.job(&found.modules))
        .collect();
    let results = operation_files::load_all(&misses, reading);
    drop(misses);
    if let Some(cache_file) = cache_file {
        update_cache(cache_file, stored_before, listed, &hits, &results);
    }
    let mut results = results.into_iter().flatten();
    found.operations.reserve(listed.len());
    for (file, hit) in listed.iter().zip(hits) {
        let loaded = match hit {
            Some(hit) => operation_files::from_cache(&file.job(&found.modules), reading, hit),
            None => match results.next() {
                Some(loaded) => loaded,
                None => break,
            },
        };
        diagnostics.extend(loaded.diagnostics);
        let mut decoded = loaded.operation;
        match loaded.source {
            Some(source) => {
                if loaded.syntax_error {
                    found.unreadable.extend(scan_id(source.text(), "operation"));
                }
                sources.fill(file.file, *source);
            }
            None => {
                sources.let_go(file.file, Arc::clone(reading.root));
                if let (false, Some(decoded)) = (reading.keep_scripts, &mut decoded) {
                    decoded.operation.let_go_of_script();
                }
            }
        }
        if let Some(DecodedOperation {
            mut operation,
            has_duration,
        }) = decoded
        {
            if !has_duration
                && let Some(duration) =
                    found.entry_durations[file.module].get(operation.id.value.as_str())
            {
                operation.duration = *duration;
            }
            found.operations.push(operation);
        }
    }
}

/// The bash script of the operation file `source` (`operation.template.command`), read and
/// parsed again: for a finding that quotes a script whose text was let go.
fn script_of(source: &Source) -> String {
    yaml::parse(source)
        .ok()
        .and_then(|node| {
            let command = node.get("operation")?.get("template")?.get("command")?;
            command.as_str().map(str::to_owned)
        })
        .unwrap_or_default()
}

/// Writes the load cache again when this load decoded a file it may store, or it holds entries
/// of files that changed or are gone; a cache that cannot be written is only slower next time.
/// `stored_before` is how many entries the cache held and the stamp of its file: entries
/// taken from it are copied from there as they are.
fn update_cache(
    cache_file: &Path,
    (stored_before, previous): (usize, Option<cache::Stamp>),
    listed: &[Listed],
    hits: &[Option<cache::Hit>],
    misses: &[Vec<operation_files::Loaded>],
) {
    let misses = || misses.iter().flatten();
    let fresh = misses()
        .filter(|loaded| matches!(loaded.cache, CacheOutcome::Fresh(_)))
        .count();
    if fresh == 0 && hits.iter().flatten().count() == stored_before {
        return;
    }
    let mut misses = misses();
    let entries = listed.iter().zip(hits).filter_map(move |(file, hit)| {
        if let Some(hit) = hit {
            return Some(cache::Stored::Kept(hit.record));
        }
        let loaded = misses.next()?;
        let CacheOutcome::Fresh(stamp) = loaded.cache else {
            return None;
        };
        let decoded = loaded.operation.as_ref()?;
        Some(cache::Stored::New(cache::Entry {
            relative: &file.relative,
            stamp,
            has_duration: decoded.has_duration,
            operation: &decoded.operation,
        }))
    });
    let _ = Cache::write(cache_file, previous, entries);
}

/// A module standing for a module.yaml that could not be decoded (its findings are recorded):
/// its id as written, or its folder name, and no entries.
fn stand_in_module(sources: &Sources, file: FileId, dir: &Path) -> Module {
    let id = scan_id(sources.get(file).text(), "module").unwrap_or_else(|| {
        dir.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    Module {
        id: Spanned::new(id.clone(), Span::default()),
        name: id,
        description: String::new(),
        dependencies: Some(Vec::new()),
        schedule: Schedule::default(),
        shell: None,
        entries: Vec::new(),
        teardown: Vec::new(),
        file,
        dir: dir.to_path_buf(),
    }
}

/// The index of the first operation with each id.
fn first_of_each(operations: &[Box<Operation>]) -> HashMap<&str, usize> {
    let mut first = HashMap::with_capacity(operations.len());
    for (index, op) in operations.iter().enumerate() {
        first.entry(op.id.value.as_str()).or_insert(index);
    }
    first
}

/// Points module entries at operations (same module first, then anywhere) and reports entries
/// with no file and files no module lists.
fn link(found: &mut Found, diagnostics: &mut Diagnostics) {
    let Found {
        modules,
        operations,
        unreadable,
        unknown_listing,
        ..
    } = found;
    let mut listed = vec![false; operations.len()];
    let mut in_module: HashMap<(&str, &str), usize> = HashMap::with_capacity(operations.len());
    for (index, op) in operations.iter().enumerate() {
        in_module
            .entry((op.module.as_str(), op.id.value.as_str()))
            .or_insert(index);
    }
    // Made only when an entry names an operation of another module.
    let mut anywhere: Option<HashMap<&str, usize>> = None;
    for module in modules.iter_mut() {
        let (id, file, dir) = (&module.id, module.file, &module.dir);
        for entry in module.entries.iter_mut().chain(module.teardown.iter_mut()) {
            let found = in_module
                .get(&(id.value.as_str(), entry.id.value.as_str()))
                .or_else(|| {
                    anywhere
                        .get_or_insert_with(|| first_of_each(operations))
                        .get(entry.id.value.as_str())
                })
                .copied();
            match found {
                Some(index) => {
                    entry.operation = Some(index);
                    listed[index] = true;
                }
                None if unreadable.iter().any(|id| *id == entry.id.value) => {}
                None => diagnostics.push(
                    Diagnostic::error(
                        "missing-operation-file",
                        Location {
                            file,
                            span: Some(entry.id.span),
                        },
                        format!(
                            "operation `{}` is listed but no operation file has that id",
                            entry.id.value
                        ),
                    )
                    .with_help(format!(
                        "add {}/operations/<name>.yaml with `operation.id: \"{}\"`",
                        dir.display(),
                        entry.id.value
                    )),
                ),
            }
        }
    }
    if !listed.contains(&false) {
        return;
    }
    let listed_ids: HashSet<&str> = operations
        .iter()
        .zip(&listed)
        .filter(|(_, listed)| **listed)
        .map(|(op, _)| op.id.value.as_str())
        .collect();
    // A second file with a listed id is reported as a duplicate, not as unlisted.
    for (op, listed) in operations.iter().zip(&listed) {
        if !listed
            && !unknown_listing.iter().any(|id| *id == op.module)
            && !listed_ids.contains(op.id.value.as_str())
        {
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
