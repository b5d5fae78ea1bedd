//! Finds the VM a bash-engine style `az vm run-command invoke` command targets.

use crate::base::span::Spanned;

/// The `--resource-group` and `--name` of a run-command command line, as `{{VAR}}` templates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandTarget {
    /// The VM name.
    pub vm: Option<Spanned<String>>,
    /// The resource group.
    pub resource_group: Option<Spanned<String>>,
}

/// Reads `--resource-group/-g` and `--name/-n` from an `az vm run-command invoke` command.
/// `$VAR` and `${VAR}` become `{{VAR}}` so they resolve like any variable.
pub fn from_command(command: &Spanned<String>) -> CommandTarget {
    let words = words(&command.value);
    let value_of = |flags: &[&str]| {
        words
            .windows(2)
            .find(|pair| flags.contains(&pair[0].as_str()))
            .map(|pair| Spanned::new(shell_vars_to_placeholders(&pair[1]), command.span))
    };
    if !words
        .windows(3)
        .any(|w| w[0] == "vm" && w[1] == "run-command")
    {
        return CommandTarget::default();
    }
    CommandTarget {
        vm: value_of(&["--name", "-n"]),
        resource_group: value_of(&["--resource-group", "-g"]),
    }
}

/// Splits a command into words, honouring single and double quotes and backslash-newlines.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') if chars.peek() == Some(&'\n') => {
                chars.next();
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// `$NAME` and `${NAME}` as `{{NAME}}`.
fn shell_vars_to_placeholders(word: &str) -> String {
    let mut out = String::new();
    let mut rest = word;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, used) = match after.strip_prefix('{') {
            Some(inner) => match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..len], len)
            }
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
        } else {
            out.push_str(&format!("{{{{{name}}}}}"));
            rest = &after[used..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_bash_engine_command() {
        let command = Spanned::new(
            "az vm run-command invoke \\\n  --resource-group \"$AZURE_RESOURCE_GROUP\" \\\n  --name \"${TEMP_VM}\" --command-id RunPowerShellScript --scripts \"@x.ps1\"".to_owned(),
            Default::default(),
        );
        let target = from_command(&command);
        assert_eq!(
            target.resource_group.unwrap().value,
            "{{AZURE_RESOURCE_GROUP}}"
        );
        assert_eq!(target.vm.unwrap().value, "{{TEMP_VM}}");
    }

    #[test]
    fn ignores_other_commands() {
        let command = Spanned::new("az vm create -g rg -n vm".to_owned(), Default::default());
        assert_eq!(from_command(&command), CommandTarget::default());
    }
}
