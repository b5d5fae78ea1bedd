//! Parallel blocks that would run Windows Installer at the same time (the seed's "Bad: parallel
//! MSI installations"): only one MSI install can run on a machine, the other gets 1618.

use super::spec::Block;

/// Pairs of parallel blocks (in declared order) that both start an MSI install: their code, outside
/// comments, mentions `msiexec`, or both `Start-Process` (or its alias `saps`) and a `.msi` file.
pub fn msi_conflicts(blocks: &[Block]) -> Vec<(String, String)> {
    let installers: Vec<&Block> = blocks
        .iter()
        .filter(|block| block.parallel && starts_msi_install(&block.content))
        .collect();
    let mut pairs = Vec::new();
    for (index, first) in installers.iter().enumerate() {
        for second in &installers[index + 1..] {
            pairs.push((first.name.clone(), second.name.clone()));
        }
    }
    pairs
}

/// Whether PowerShell code appears to start an MSI install.
fn starts_msi_install(content: &str) -> bool {
    let code = strip_comments(content).to_ascii_lowercase();
    let starts_process = code.contains("start-process") || has_word(&code, "saps");
    code.contains("msiexec") || (starts_process && mentions_msi_file(&code))
}

/// `.msi` not followed by a letter or digit (so `.msix` and `.msi_backup` do not count).
fn mentions_msi_file(code: &str) -> bool {
    code.match_indices(".msi").any(|(at, _)| {
        code[at + 4..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_')
    })
}

/// Whether `word` occurs delimited by non-word characters.
fn has_word(code: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    code.match_indices(word).any(|(at, _)| {
        let before = code[..at].chars().next_back().is_none_or(|c| !is_word(c));
        let after = code[at + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_word(c));
        before && after
    })
}

/// `content` without `<# ... #>` block comments and `#` line comments (a `#` at the start of a
/// line or after whitespace). Strings are not parsed: this is a heuristic for a warning.
fn strip_comments(content: &str) -> String {
    let mut rest = content;
    let mut code = String::with_capacity(content.len());
    while let Some(start) = rest.find("<#") {
        code.push_str(&rest[..start]);
        rest = rest[start..]
            .find("#>")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    code.push_str(rest);
    code.lines()
        .map(|line| {
            let cut = line
                .char_indices()
                .find(|&(at, c)| {
                    c == '#'
                        && line[..at]
                            .chars()
                            .next_back()
                            .is_none_or(char::is_whitespace)
                })
                .map_or(line.len(), |(at, _)| at);
            &line[..cut]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(name: &str, parallel: bool, content: &str) -> Block {
        Block {
            name: name.to_owned(),
            parallel,
            content: content.to_owned(),
            ..Block::default()
        }
    }

    #[test]
    fn two_parallel_msi_blocks_conflict() {
        let blocks = [
            block(
                "chrome",
                true,
                "Start-Process msiexec.exe -ArgumentList '/i chrome.msi /qn' -Wait",
            ),
            block(
                "adobe",
                true,
                "Start-Process -FilePath 'C:\\t\\Reader.MSI' -Wait",
            ),
            block("vdot", true, "& .\\Windows_VDOT.ps1 -AcceptEula"),
            block("late", false, "msiexec /i late.msi /qn"),
        ];
        assert_eq!(
            msi_conflicts(&blocks),
            [("chrome".to_owned(), "adobe".to_owned())]
        );
    }

    #[test]
    fn comments_msix_and_unrelated_processes_do_not_count() {
        let blocks = [
            block("a", true, "# msiexec /i x.msi\nStart-Process app.msix"),
            block(
                "b",
                true,
                "<# Start-Process x.msi #>\nStart-Process notepad.exe",
            ),
            block("c", true, "Copy-Item x.msi C:\\t\\x.msi"),
            block("d", true, "saps 'x.msi'"),
        ];
        assert!(msi_conflicts(&blocks).is_empty());
        assert!(starts_msi_install(&blocks[3].content));
    }
}
