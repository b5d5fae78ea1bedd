//! The variables a bash script reads (`$NAME`, `${NAME...}`) and the names it sets itself, as far
//! as a line scanner can tell; one place, so a full bash parser can take its place.

use std::collections::{BTreeMap, BTreeSet};

/// What a script does with UPPER_SNAKE variable names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ShellVars {
    /// Names read, with the byte offset of their first `$`.
    pub referenced: BTreeMap<String, usize>,
    /// Names the script binds itself (assignment, `read`, `for`, `local`, `declare`, `export`).
    pub bound: BTreeSet<String>,
    /// Names of the `[OUTPUT] NAME=` lines it prints.
    pub outputs: BTreeSet<String>,
}

/// Scans `script`.
pub(crate) fn analyze(script: &str) -> ShellVars {
    let mut vars = ShellVars::default();
    scan_references(script, &mut vars.referenced);
    for line in script.lines() {
        bound_names(line, &mut vars.bound);
        if let Some(rest) = line.split("[OUTPUT] ").nth(1) {
            let name: String = rest.chars().take_while(|c| is_name_char(*c)).collect();
            if rest[name.len()..].starts_with('=') && is_upper_name(&name) {
                vars.outputs.insert(name);
            }
        }
    }
    vars
}

/// Whether `script` turns errexit on itself (`set -e`, `set -euo pipefail`, `set -o errexit`).
pub(crate) fn sets_errexit(script: &str) -> bool {
    script.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(start) = words.iter().position(|w| *w == "set") else {
            return false;
        };
        let args = &words[start + 1..];
        args.iter().any(|w| {
            w.starts_with('-') && !w.starts_with("--") && w[1..].contains('e') && !w.contains('=')
        }) || args.windows(2).any(|pair| pair == ["-o", "errexit"])
    })
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// An UPPER_SNAKE name: upper-case letters, digits and `_`, with at least one letter.
pub(crate) fn is_upper_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn scan_references(script: &str, found: &mut BTreeMap<String, usize>) {
    let bytes = script.as_bytes();
    let (mut single, mut double, mut word_start) = (false, false, true);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\\' if !single => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && word_start => {
                i = script[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'$' if !single => {
                let start = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'{'));
                let name: String = script[start..]
                    .chars()
                    .take_while(|c| is_name_char(*c))
                    .collect();
                if is_upper_name(&name) {
                    found.entry(name).or_insert(i);
                }
            }
            _ => {}
        }
        word_start = c.is_ascii_whitespace() || matches!(c, b';' | b'(' | b'|' | b'&');
        i += 1;
    }
}

fn bound_names(line: &str, bound: &mut BTreeSet<String>) {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '(' | ')' | '&' | '|'))
        .filter(|w| !w.is_empty())
        .collect();
    for (index, word) in words.iter().enumerate() {
        if let Some((name, _)) = word.split_once('=')
            && is_upper_name(name)
        {
            bound.insert(name.to_owned());
        }
        let after = words.get(index + 1..).unwrap_or_default();
        match *word {
            "read" | "local" | "declare" | "export" | "readonly" | "typeset" => bound.extend(
                after
                    .iter()
                    .filter(|w| !w.starts_with('-'))
                    .map(|w| w.split('=').next().unwrap_or(w))
                    .filter(|w| is_upper_name(w))
                    .map(|w| (*w).to_owned()),
            ),
            "for" => {
                if let Some(name) = after.first().filter(|w| is_upper_name(w)) {
                    bound.insert((*name).to_owned());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{analyze, sets_errexit};

    #[test]
    fn references_skip_single_quotes_comments_and_escapes() {
        let vars = analyze(
            "echo \"$AZURE_RG\" ${NET_NAME:-x} '$NOT_ME' \\$NOR_ME $lower\n# $COMMENTED\necho \"#$HASHED\"",
        );
        let names: Vec<&str> = vars.referenced.keys().map(String::as_str).collect();
        assert_eq!(names, ["AZURE_RG", "HASHED", "NET_NAME"]);
        assert_eq!(vars.referenced["AZURE_RG"], 6);
    }

    #[test]
    fn bound_names_and_outputs_are_found() {
        let vars = analyze(
            "VNET_ID=$(az network vnet show -o tsv)\nread -r SUBNET_ID <file\nfor NIC in a b; do :; done\nexport FOO=1; local BAR\necho \"[OUTPUT] VNET_ID=$VNET_ID\"",
        );
        let bound: Vec<&str> = vars.bound.iter().map(String::as_str).collect();
        assert_eq!(bound, ["BAR", "FOO", "NIC", "SUBNET_ID", "VNET_ID"]);
        assert!(vars.outputs.contains("VNET_ID"));
    }

    #[test]
    fn errexit_is_recognised_in_its_spellings() {
        assert!(sets_errexit("#!/bin/bash\nset -euo pipefail\naz x"));
        assert!(sets_errexit("set -e"));
        assert!(sets_errexit("  set -o errexit"));
        assert!(!sets_errexit("set -x\nset -o pipefail\necho set -u"));
        assert!(!sets_errexit(
            "az group show; if [ $? -ne 0 ]; then exit 1; fi"
        ));
    }
}
