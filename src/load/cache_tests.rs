use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::*;
use crate::base::diagnostic::Diagnostics;
use crate::load::deployment::{self, Loaded};

/// Operation files in the test deployment: enough for the cache to be used.
const FILES: usize = MIN_FILES + 4;

fn relative(n: usize) -> PathBuf {
    PathBuf::from(format!("modules/m/operations/op-{n:04}.yaml"))
}

fn operation_yaml(n: usize, command: &str) -> String {
    format!(
        "operation:\n  id: \"op-{n}\"\n  template:\n    type: \"bash-script\"\n    command: \"{command}\"\n"
    )
}

/// A deployment of one module listing [`FILES`] operations, written long enough ago that the
/// cache may store every file.
fn deployment() -> tempfile::TempDir {
    deployment_of(FILES)
}

/// A deployment of one module listing `files` operations, written long enough ago that the
/// cache may store every file.
fn deployment_of(files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("modules/m/operations")).expect("folders");
    std::fs::write(
        root.join("config.yaml"),
        "azure:\n  location: \"westeurope\"\n",
    )
    .expect("config");
    let entries: String = (0..files)
        .map(|n| format!("    - id: \"op-{n}\"\n"))
        .collect();
    std::fs::write(
        root.join("modules/m/module.yaml"),
        format!("module:\n  id: \"m\"\n  operations:\n{entries}"),
    )
    .expect("module");
    for n in 0..files {
        std::fs::write(
            root.join(relative(n)),
            operation_yaml(n, &format!("echo {n}")),
        )
        .expect("op");
    }
    // The change time cannot be set back: wait until the files are no longer recent.
    std::thread::sleep(Duration::from_secs(RACY_SECONDS) + Duration::from_millis(200));
    dir
}

fn load(root: &Path, cache: CacheUse) -> Vec<Operation> {
    let Loaded {
        deployment,
        diagnostics,
    } = deployment::load_with(root, Path::new("config.yaml"), &|_| None, cache).expect("loads");
    assert!(diagnostics.items().is_empty(), "{:?}", diagnostics.items());
    deployment.operations.into_iter().map(|op| *op).collect()
}

fn cache_file(root: &Path) -> PathBuf {
    root.join(".avdeploy/cache/operations.bin")
}

/// The stored entries of `files`, listed with their stamps now.
fn stored_for(root: &Path, files: &[PathBuf]) -> Cache {
    let listing = files
        .iter()
        .map(|relative| (relative, Stamp::of(&root.join(relative))));
    Cache::read(&cache_file(root), true, listing)
}

/// The stored entries of the deployment's files.
fn stored(root: &Path) -> Cache {
    stored_for(root, &(0..FILES).map(relative).collect::<Vec<_>>())
}

/// Stores the cache again with `change` applied to every entry of an unchanged file.
fn rewrite(root: &Path, change: impl Fn(&mut Hit)) {
    let mut entries: Vec<(PathBuf, Hit)> = (0..FILES)
        .map(relative)
        .zip(stored(root).into_hits())
        .filter_map(|(relative, hit)| Some((relative, hit?)))
        .collect();
    entries.iter_mut().for_each(|(_, hit)| change(hit));
    Cache::write(
        &cache_file(root),
        None,
        entries.iter().map(|(relative, hit)| {
            Stored::New(Entry {
                relative,
                stamp: Stamp::of(&root.join(relative)).expect("the file is there"),
                has_duration: hit.has_duration,
                operation: &hit.operation,
            })
        }),
    )
    .expect("written");
}

#[test]
fn unchanged_files_come_from_the_cache_and_changed_ones_from_disk() {
    let dir = deployment();
    let root = dir.path();
    let decoded = load(root, CacheUse::Off);
    assert!(
        !cache_file(root).exists(),
        "a load without the cache leaves none"
    );

    assert_eq!(
        load(root, CacheUse::Use),
        decoded,
        "the first load decodes and stores"
    );
    assert_eq!(stored(root).len_read(), FILES);
    assert_eq!(
        load(root, CacheUse::Use),
        decoded,
        "the second is served from the cache"
    );

    // What the cache says is what a matching file gives, and the files are not read again.
    rewrite(root, |cached| {
        cached.operation.name = "from the cache".into()
    });
    let served = load(root, CacheUse::Use);
    assert!(served.iter().all(|op| op.name == "from the cache"));
    assert_eq!(
        &*served[3].path,
        relative(3).as_path(),
        "where the file is comes from the listing"
    );
    assert_eq!(served[3].module, "m");

    // An edited file is decoded again, and not stored while it is recent.
    std::fs::write(root.join(relative(1)), operation_yaml(1, "echo edited")).expect("edit");
    let served = load(root, CacheUse::Use);
    let crate::model::operation::Action::Bash { command } = &served[1].action else {
        panic!("a bash operation");
    };
    assert_eq!(command.value, "echo edited");
    assert_eq!(served[1].name, "op-1");
    assert_eq!(served[2].name, "from the cache");
    assert_eq!(
        stored(root).len_read(),
        FILES - 1,
        "its stale entry is gone"
    );

    // A removed file's entry goes, and nothing else changes.
    std::fs::remove_file(root.join(relative(5))).expect("remove");
    std::fs::write(
        root.join("modules/m/module.yaml"),
        std::fs::read_to_string(root.join("modules/m/module.yaml"))
            .expect("module")
            .replace("    - id: \"op-5\"\n", ""),
    )
    .expect("module");
    assert_eq!(load(root, CacheUse::Use).len(), FILES - 1);
    assert_eq!(stored(root).len_read(), FILES - 2);
}

/// The entries of the cache file `bytes`, matched with no file, for this binary.
fn entries_in(bytes: &[u8]) -> std::io::Result<Cache> {
    let mut reader = Reader {
        input: bytes,
        buffer: Vec::new(),
        offset: 0,
    };
    let header = Header::current().expect("binary");
    reader.entries_of(&header, true, std::iter::empty::<(PathBuf, _)>())
}

#[test]
fn a_corrupt_or_foreign_cache_is_ignored_and_written_again() {
    let dir = deployment();
    let root = dir.path();
    let decoded = load(root, CacheUse::Off);
    load(root, CacheUse::Use);
    let good = std::fs::read(cache_file(root)).expect("cache");

    for broken in [
        b"not a cache".to_vec(),
        good[..good.len() / 2].to_vec(),
        Vec::new(),
        [&u32::MAX.to_le_bytes()[..], &good[4..]].concat(),
    ] {
        std::fs::write(cache_file(root), &broken).expect("corrupt");
        assert_eq!(load(root, CacheUse::Use), decoded);
        assert_eq!(stored(root).len_read(), FILES, "stored again in full");
    }

    // Written by another binary: the header differs, nothing is taken.
    let mut other = Header::current().expect("binary");
    other.version = "0.0.0-other".into();
    let mut foreign = Vec::new();
    write_record(&mut foreign, &mut Vec::new(), &other).expect("header");
    foreign
        .extend_from_slice(&good[4 + u32::from_le_bytes(good[..4].try_into().unwrap()) as usize..]);
    assert_eq!(
        entries_in(&foreign).err().map(|e| e.kind()),
        Some(std::io::ErrorKind::InvalidData)
    );
    assert_eq!(
        entries_in(&good).expect("the real header reads").len_read(),
        FILES
    );
}

#[test]
fn small_deployments_have_no_cache() {
    let dir = deployment_of(MIN_FILES - 1);
    assert_eq!(load(dir.path(), CacheUse::Use).len(), MIN_FILES - 1);
    assert!(!cache_file(dir.path()).exists());
}

#[test]
fn recently_changed_files_are_not_stored() {
    let dir = deployment();
    let root = dir.path();
    for n in 0..FILES {
        std::fs::write(root.join(relative(n)), operation_yaml(n, "echo again")).expect("edit");
    }
    load(root, CacheUse::Use);
    assert!(
        !cache_file(root).exists(),
        "every file changed just now: none is stored, and nothing is written"
    );
}

#[test]
fn stamps_tell_recent_changes() {
    let file = tempfile::NamedTempFile::new().expect("file");
    let stamp = Stamp::of(file.path()).expect("stamp");
    assert!(stamp.is_recent(SystemTime::now()));
    assert!(!stamp.is_recent(SystemTime::now() + Duration::from_secs(RACY_SECONDS + 2)));
    std::fs::write(file.path(), "changed").expect("write");
    assert_ne!(
        Stamp::of(file.path()),
        Some(stamp),
        "a write changes the stamp"
    );
}

#[test]
fn entries_are_matched_with_the_listing_in_path_order() {
    let dir = deployment();
    let root = dir.path();
    load(root, CacheUse::Use);
    let listing = [
        relative(2),
        PathBuf::from("modules/m/operations/op-0002b.yaml"),
        relative(1),
        relative(3),
    ];
    let hits = stored_for(root, &listing).into_hits();
    let ids: Vec<Option<String>> = hits
        .iter()
        .map(|hit| hit.as_ref().map(|hit| hit.operation.id.value.to_string()))
        .collect();
    assert_eq!(
        ids,
        [Some("op-2".to_owned()), None, None, Some("op-3".to_owned())],
        "a file not stored has no entry, nor one listed out of order"
    );

    // A file whose stamp is not the stored one has none either.
    let stale = [(relative(2), None), (relative(3), Stamp::of(root))];
    let hits = Cache::read(&cache_file(root), true, stale).into_hits();
    assert!(hits.iter().all(Option::is_none));
}

#[test]
fn a_new_hard_link_to_the_binary_keeps_its_caches() {
    let exe = std::env::current_exe().expect("the test binary");
    let before = Header::current().expect("a header");
    // Linking changes the binary's change time (as a profiler's build-id cache does).
    let link = exe.with_extension("hard-link-of-the-test-binary");
    std::fs::hard_link(&exe, &link).expect("a hard link beside it");
    let after = Header::current();
    std::fs::remove_file(&link).expect("the link removed");
    assert!(after == Some(before), "the header changed with a new link");
}

/// The script of a bash operation, as held.
fn script(op: &Operation) -> &str {
    match &op.action {
        crate::model::operation::Action::Bash { command } => &command.value,
        crate::model::operation::Action::RunCommand(_) => panic!("a bash operation"),
    }
}

#[test]
fn a_load_for_checks_lets_go_of_scripts_and_a_rewrite_keeps_them_in_the_cache() {
    let dir = deployment();
    let root = dir.path();
    let decoded = load(root, CacheUse::Use);
    assert_eq!(script(&decoded[2]), "echo 2");

    // Checking only: the scripts' texts are let go, what the checks need of them is kept.
    let checked = load(root, CacheUse::Check);
    assert!(
        checked
            .iter()
            .all(|op| op.shell.text_let_go && script(op).is_empty())
    );
    assert_eq!(checked[2].shell, {
        let mut facts = decoded[2].shell.clone();
        facts.text_let_go = true;
        facts
    });

    // One file edited: the load for checks stores it, and copies the other entries as they
    // were, scripts included.
    std::fs::write(root.join(relative(1)), operation_yaml(1, "echo edited")).expect("edit");
    std::thread::sleep(Duration::from_secs(RACY_SECONDS) + Duration::from_millis(200));
    let before = stored(root).len_read();
    load(root, CacheUse::Check);
    assert_eq!(
        stored(root).len_read(),
        before,
        "rewritten with every entry"
    );
    rewrite(root, |cached| {
        cached.operation.name = format!("cached {}", script(&cached.operation)).into()
    });
    let served = load(root, CacheUse::Use);
    assert_eq!(served[1].name, "cached echo edited");
    assert_eq!(served[2].name, "cached echo 2");
    assert_eq!(script(&served[2]), "echo 2");
}

#[test]
fn a_linked_operation_file_is_stamped_through_its_link() {
    let dir = deployment();
    let root = dir.path();
    // op-0004 becomes a link to a file outside the operations folder.
    let target = root.join("op-4-elsewhere.yaml");
    std::fs::rename(root.join(relative(4)), &target).expect("moved");
    std::os::unix::fs::symlink(&target, root.join(relative(4))).expect("linked");
    std::thread::sleep(Duration::from_secs(RACY_SECONDS) + Duration::from_millis(200));
    load(root, CacheUse::Use);
    rewrite(root, |hit| hit.operation.name = "from the cache".into());
    assert_eq!(
        load(root, CacheUse::Use)[4].name,
        "from the cache",
        "an unchanged linked file is served from the cache"
    );

    // Editing the file the link points to changes the linked file's stamp.
    std::fs::write(&target, operation_yaml(4, "echo edited")).expect("edit");
    let served = load(root, CacheUse::Use);
    assert_eq!(script(&served[4]), "echo edited");
    assert_eq!(served[5].name, "from the cache");
}

/// The modules of the deployment in `root`, loaded with `cache`, and the findings.
fn modules(root: &Path, cache: CacheUse) -> (Vec<crate::model::module::Module>, Diagnostics) {
    let Loaded {
        deployment,
        diagnostics,
    } = deployment::load_with(root, Path::new("config.yaml"), &|_| None, cache).expect("loads");
    (deployment.modules, diagnostics)
}

type StoredModules = Vec<(PathBuf, Stamp, crate::load::module::DecodedModule)>;

fn module_cache_file(root: &Path) -> PathBuf {
    root.join(".avdeploy/cache/modules.bin")
}

#[test]
fn an_unchanged_module_file_comes_from_the_cache_and_a_changed_one_is_decoded() {
    let dir = deployment();
    let root = dir.path();
    let (decoded, _) = modules(root, CacheUse::Off);
    assert!(
        !module_cache_file(root).exists(),
        "--no-cache writes nothing"
    );
    let (cached, _) = modules(root, CacheUse::Use);
    assert_eq!(
        cached, decoded,
        "the first load decodes the file and stores it"
    );
    let mut stored: StoredModules = read_single(&module_cache_file(root)).expect("stored");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, Path::new("modules/m/module.yaml"));
    stored[0].2.module.name = "from the cache".into();
    write_single(&module_cache_file(root), &stored).expect("written");

    let (served, _) = modules(root, CacheUse::Check);
    assert_eq!(served[0].name, "from the cache");
    assert_eq!(
        served[0].dir, decoded[0].dir,
        "where it is comes from the load"
    );
    assert_eq!(served[0].file, decoded[0].file);
    assert_eq!(modules(root, CacheUse::Off).0[0].name, "m");

    // An edited file is decoded again, and not stored while it is recent.
    let module = std::fs::read_to_string(root.join("modules/m/module.yaml")).expect("read");
    let edited = module.replace("  id: \"m\"\n", "  id: \"m\"\n  name: \"edited\"\n");
    std::fs::write(root.join("modules/m/module.yaml"), edited).expect("edit");
    assert_eq!(modules(root, CacheUse::Use).0[0].name, "edited");
    let stored: StoredModules = read_single(&module_cache_file(root)).expect("stored");
    assert!(stored.is_empty(), "a file changed just now is not stored");
}

#[test]
fn a_module_file_with_a_finding_is_not_stored() {
    let dir = deployment();
    let root = dir.path();
    let path = root.join("modules/m/module.yaml");
    let module = std::fs::read_to_string(&path).expect("read");
    let unknown_key = module.replace("  id: \"m\"\n", "  id: \"m\"\n  colour: \"blue\"\n");
    std::fs::write(&path, unknown_key).expect("edit");
    std::thread::sleep(Duration::from_secs(RACY_SECONDS) + Duration::from_millis(200));
    for _ in 0..2 {
        let (_, diagnostics) = modules(root, CacheUse::Use);
        assert!(
            diagnostics
                .items()
                .iter()
                .any(|d| d.message.contains("colour")),
            "{:?}",
            diagnostics.items()
        );
        let stored: StoredModules = read_single(&module_cache_file(root)).unwrap_or_default();
        assert!(stored.is_empty(), "nothing is stored of it");
    }
}
