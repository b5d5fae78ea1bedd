//! The engine's top-level modules import each other in one direction only (load → model →
//! validate → plan → exec → report / state, with base below all): no two of them reach each
//! other through `crate::` paths, outside `#[cfg(test)]` code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every `crate::name` a file's non-test code uses (`crate::x::...` and `use crate::{x, y}`).
fn imports(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut names = BTreeSet::new();
    for (index, _) in code.match_indices("crate::") {
        let rest = &code[index + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                names.insert(leading_name(item.trim()));
            }
        } else {
            names.insert(leading_name(rest));
        }
    }
    names.retain(|name| !name.is_empty());
    names
}

fn leading_name(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect()
}

/// The top-level module → the top-level modules it imports, for the crate whose sources are
/// in `src`.
fn edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("inside src");
            let first = relative.components().next().expect("a component");
            let top = first.as_os_str().to_string_lossy();
            let top = top.trim_end_matches(".rs").to_owned();
            if top == "lib" || top == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            let imported: Vec<String> = imports(&text)
                .into_iter()
                .filter(|name| *name != top)
                .collect();
            edges.entry(top).or_default().extend(imported);
        }
    }
    edges
}

/// The modules reachable from `from`.
fn reachable(edges: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<&str> = vec![from];
    while let Some(module) = pending.pop() {
        for next in edges.get(module).into_iter().flatten() {
            if seen.insert(next.clone()) {
                pending.push(next);
            }
        }
    }
    seen
}

/// The pairs of modules that import each other, directly or through others.
fn cycles(src: &Path) -> Vec<String> {
    let edges = edges(src);
    let mut found = Vec::new();
    for (module, imported) in &edges {
        for other in imported {
            if reachable(&edges, other).contains(module) {
                found.push(format!("{module} → {other} → … → {module}"));
            }
        }
    }
    found
}

#[test]
fn the_top_level_modules_of_every_crate_import_each_other_in_one_direction() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![root.join("src")];
    for entry in std::fs::read_dir(root.join("crates")).expect("read crates") {
        let src = entry.expect("entry").path().join("src");
        if src.is_dir() {
            sources.push(src);
        }
    }
    for src in sources {
        let found = cycles(&src);
        assert!(found.is_empty(), "{}: {found:#?}", src.display());
    }
}

#[test]
fn a_cycle_is_found_through_a_group_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("lib.rs", "pub mod a;\npub mod b;\n");
    write("a/mod.rs", "use crate::{base, b::Thing};\n");
    write("b.rs", "pub struct Thing;\n#[cfg(test)]\nuse crate::a;\n");
    assert!(cycles(dir.path()).is_empty(), "test-only imports count");
    write("b.rs", "pub struct Thing(crate::a::Other);\n");
    assert_eq!(cycles(dir.path()).len(), 2);
}
