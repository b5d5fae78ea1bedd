//! The simulated command tree: which command groups and commands exist, what `az <group>` prints
//! (its help, exit 0) and how a word the tree lacks fails (`'X' is misspelled or not recognized
//! by the system.`, exit 2), as the CLI's parser does.

use crate::catalog::FAMILIES;
use crate::failure::AzFailure;

/// Commands answered outside the generic resource families.
pub const SPECIAL_COMMANDS: &[&str] = &[
    "account list",
    "account set",
    "account show",
    "ad group create",
    "ad group delete",
    "ad group list",
    "ad group member add",
    "ad group member check",
    "ad group member list",
    "ad group member remove",
    "ad group show",
    "ad signed-in-user show",
    "ad sp list",
    "ad sp show",
    "ad user show",
    "cloud show",
    "desktopvirtualization hostpool retrieve-registration-token",
    "resource list",
    "rest",
    "role assignment create",
    "role assignment delete",
    "role assignment list",
    "role definition list",
    "storage account keys list",
    "storage share create",
    "storage share delete",
    "storage share exists",
    "storage share show",
    "vm deallocate",
    "vm generalize",
    "vm get-instance-view",
    "vm identity assign",
    "vm identity show",
    "vm restart",
    "vm run-command create",
    "vm run-command delete",
    "vm run-command invoke",
    "vm run-command list",
    "vm run-command show",
    "vm start",
    "vm stop",
];

/// Every full command path the simulator answers.
fn commands() -> impl Iterator<Item = String> {
    let generic = FAMILIES.iter().flat_map(|family| {
        family
            .generic
            .iter()
            .chain(family.extra_verbs)
            .map(move |verb| format!("{} {verb}", family.path))
    });
    generic.chain(SPECIAL_COMMANDS.iter().map(|c| (*c).to_owned()))
}

/// Whether `words` is exactly a simulated command.
pub fn is_command(words: &[String]) -> bool {
    let line = words.join(" ");
    commands().any(|c| c == line)
}

/// What the parser says about `words` when they are not a command: `Ok(help)` for a command
/// group (its help text, exit 0), `Err` for a word the tree does not have.
pub fn not_a_command(words: &[String]) -> Result<String, AzFailure> {
    let all: Vec<Vec<String>> = commands()
        .map(|c| c.split(' ').map(str::to_owned).collect())
        .collect();
    let mut depth = 0;
    while depth < words.len()
        && all
            .iter()
            .any(|c| c.len() > depth && c[..=depth] == words[..=depth])
    {
        depth += 1;
    }
    let prefix = &words[..depth];
    let below: Vec<&String> = all
        .iter()
        .filter(|c| c.len() > depth && c[..depth] == *prefix)
        .map(|c| &c[depth])
        .collect();
    let Some(word) = words.get(depth) else {
        return Ok(group_help(prefix, &below));
    };
    let mut stderr = format!("ERROR: '{word}' is misspelled or not recognized by the system.\n");
    let closest = below
        .iter()
        .map(|c| (ratio(word.as_bytes(), c.as_bytes()), *c))
        .filter(|(score, _)| *score >= 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, candidate)) = closest {
        stderr.push_str(&format!("Did you mean '{candidate}' ?\n"));
    } else if depth == 0 {
        stderr.push_str(
            "If the command is from an extension, please make sure the corresponding extension is \
             installed. To learn more about extensions, please visit \
             'https://learn.microsoft.com/cli/azure/azure-cli-extensions-overview'\n",
        );
    }
    Err(AzFailure { exit: 2, stderr })
}

/// Python's `difflib.SequenceMatcher.ratio`: twice the matched characters (longest common
/// blocks, recursively) over the total length.
fn ratio(a: &[u8], b: &[u8]) -> f64 {
    fn matched(a: &[u8], b: &[u8]) -> usize {
        let (mut best, mut at_a, mut at_b) = (0, 0, 0);
        for i in 0..a.len() {
            for j in 0..b.len() {
                let n = a[i..]
                    .iter()
                    .zip(&b[j..])
                    .take_while(|(x, y)| x == y)
                    .count();
                if n > best {
                    (best, at_a, at_b) = (n, i, j);
                }
            }
        }
        if best == 0 {
            return 0;
        }
        best + matched(&a[..at_a], &b[..at_b]) + matched(&a[at_a + best..], &b[at_b + best..])
    }
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    #[expect(clippy::cast_precision_loss, reason = "command words are short")]
    let score = 2.0 * matched(a, b) as f64 / total as f64;
    score
}

fn group_help(prefix: &[String], below: &[&String]) -> String {
    let mut names: Vec<&str> = below.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = format!(
        "\nGroup\n    az {}\n\nSubgroups and commands:\n",
        prefix.join(" ")
    );
    for name in names {
        out.push_str(&format!("    {name}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn the_first_unknown_word_is_named() {
        let err = not_a_command(&words("network vnet frob")).unwrap_err();
        assert_eq!(err.exit, 2);
        assert_eq!(
            err.stderr,
            "ERROR: 'frob' is misspelled or not recognized by the system.\n"
        );
        let err = not_a_command(&words("network vnet shwo")).unwrap_err();
        assert!(
            err.stderr.contains("Did you mean 'show' ?"),
            "{}",
            err.stderr
        );
        let err = not_a_command(&words("frobnicate now")).unwrap_err();
        assert!(err.stderr.contains("'frobnicate' is misspelled"));
        assert!(err.stderr.contains("extension"));
    }

    #[test]
    fn a_group_prints_its_help() {
        let help = not_a_command(&words("network vnet subnet")).unwrap();
        assert!(help.contains("az network vnet subnet") && help.contains("create"));
    }
}
