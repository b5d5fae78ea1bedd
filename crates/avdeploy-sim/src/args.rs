//! The `az` command line taken apart: command words, flags with their values, and the global
//! `--query` / `--output` arguments.

use crate::failure::AzFailure;
use crate::output::OutputFormat;

/// Short options every simulated command accepts, with their long form.
const SHORT_FLAGS: &[(&str, &str)] = &[
    ("-d", "--show-details"),
    ("-e", "--gallery-image-version"),
    ("-g", "--resource-group"),
    ("-h", "--help"),
    ("-i", "--gallery-image-definition"),
    ("-l", "--location"),
    ("-n", "--name"),
    ("-o", "--output"),
    ("-r", "--gallery-name"),
    ("-y", "--yes"),
];

/// Global flags that take no value and change nothing in the simulator.
const QUIET_FLAGS: &[&str] = &["--debug", "--only-show-errors", "--verbose"];

/// A parsed `az` command line.
#[derive(Debug, Clone, Default)]
pub struct AzArgs {
    /// The command words before the first flag (`network vnet subnet create`).
    pub path: Vec<String>,
    /// Flags in their long form with the values that followed them, in order.
    pub flags: Vec<(String, Vec<String>)>,
    /// The `--query` JMESPath expression.
    pub query: Option<String>,
    /// The `--output` format.
    pub output: OutputFormat,
    /// Whether `--help` was given.
    pub help: bool,
}

impl AzArgs {
    /// Parses the arguments after `az`.
    pub fn parse(argv: &[String]) -> Result<Self, AzFailure> {
        let mut args = Self::default();
        let mut i = 0;
        while i < argv.len() && !is_flag(&argv[i]) {
            args.path.push(argv[i].clone());
            i += 1;
        }
        while i < argv.len() {
            let token = &argv[i];
            if !is_flag(token) {
                return Err(AzFailure::usage(&format!(
                    "unrecognized arguments: {token}"
                )));
            }
            let (name, inline) = match token.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
                _ => (token.as_str(), None),
            };
            let name = long_form(name);
            i += 1;
            let mut values: Vec<String> = inline.into_iter().collect();
            if values.is_empty() {
                while i < argv.len() && !is_flag(&argv[i]) {
                    values.push(argv[i].clone());
                    i += 1;
                    if !takes_many(&name) {
                        break;
                    }
                }
            }
            args.absorb(name, values)?;
        }
        Ok(args)
    }

    fn absorb(&mut self, name: String, values: Vec<String>) -> Result<(), AzFailure> {
        match name.as_str() {
            "--query" => self.query = values.into_iter().next(),
            "--output" => {
                let value = values.first().map_or("", String::as_str);
                self.output = OutputFormat::parse(value).ok_or_else(|| {
                    AzFailure::usage(&format!(
                        "az {}: '{value}' is not a valid value for '--output'. Allowed values: \
                         json, jsonc, yaml, yamlc, table, tsv, none.",
                        self.command()
                    ))
                })?;
            }
            "--help" => self.help = true,
            "--subscription" => {}
            _ if QUIET_FLAGS.contains(&name.as_str()) => {}
            _ => self.flags.push((name, values)),
        }
        Ok(())
    }

    /// The first value of a flag (long form, e.g. `--name`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values(name).first().map(String::as_str)
    }

    /// All values of a flag, empty when absent or given without values.
    pub fn values(&self, name: &str) -> &[String] {
        self.flags
            .iter()
            .rev()
            .find(|(flag, _)| flag == name)
            .map_or(&[], |(_, values)| values.as_slice())
    }

    /// Whether a flag was given at all.
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(flag, _)| flag == name)
    }

    /// The first value of a required flag, or the CLI's "arguments are required" error.
    pub fn require(&self, name: &str) -> Result<&str, AzFailure> {
        self.get(name).ok_or_else(|| {
            let short = SHORT_FLAGS
                .iter()
                .find(|(_, long)| *long == name)
                .map_or(String::new(), |(short, _)| format!("/{short}"));
            AzFailure::usage(&format!(
                "the following arguments are required: {name}{short}"
            ))
        })
    }

    /// The command words joined with spaces.
    pub fn command(&self) -> String {
        self.path.join(" ")
    }
}

/// Whether a token is an option rather than a value (`-1` and `-` are values).
fn is_flag(token: &str) -> bool {
    let mut chars = token.chars();
    chars.next() == Some('-')
        && chars
            .next()
            .is_some_and(|c| c == '-' || c.is_ascii_alphabetic())
}

fn long_form(name: &str) -> String {
    SHORT_FLAGS
        .iter()
        .find(|(short, _)| *short == name)
        .map_or_else(|| name.to_owned(), |(_, long)| (*long).to_owned())
}

/// Flags that take a list of values (`nargs='+'` in the real CLI).
fn takes_many(name: &str) -> bool {
    matches!(
        name,
        "--address-prefixes"
            | "--application-group-references"
            | "--destination-address-prefixes"
            | "--delegations"
            | "--destination-port-ranges"
            | "--dns-servers"
            | "--group-ids"
            | "--host-pool-references"
            | "--schedules"
            | "--ids"
            | "--parameters"
            | "--registration-info"
            | "--scripts"
            | "--service-endpoints"
            | "--source-address-prefixes"
            | "--source-port-ranges"
            | "--subnet-prefixes"
            | "--tags"
            | "--target-regions"
            | "--features"
            | "--set"
            | "--add"
            | "--remove"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> AzArgs {
        let argv: Vec<String> = line.split(' ').map(str::to_owned).collect();
        AzArgs::parse(&argv).unwrap()
    }

    #[test]
    fn splits_path_flags_and_globals() {
        let args = parse(
            "network vnet create -g rg -n v1 --address-prefixes 10.0.0.0/16 10.1.0.0/16 --query id -o tsv",
        );
        assert_eq!(args.command(), "network vnet create");
        assert_eq!(args.get("--resource-group"), Some("rg"));
        assert_eq!(args.get("--name"), Some("v1"));
        assert_eq!(args.values("--address-prefixes").len(), 2);
        assert_eq!(args.query.as_deref(), Some("id"));
        assert_eq!(args.output, OutputFormat::Tsv);
    }

    #[test]
    fn boolean_flags_and_inline_values() {
        let args = parse("group delete --name=rg --yes --no-wait");
        assert_eq!(args.get("--name"), Some("rg"));
        assert!(args.has("--yes") && args.has("--no-wait"));
        assert_eq!(args.get("--yes"), None);
    }

    #[test]
    fn single_value_flags_leave_the_rest_unrecognized() {
        let argv: Vec<String> = ["group", "show", "-n", "a", "b"]
            .map(str::to_owned)
            .to_vec();
        let err = AzArgs::parse(&argv).unwrap_err();
        assert_eq!(err.exit, 2);
        assert!(err.stderr.contains("unrecognized arguments: b"));
    }

    #[test]
    fn negative_numbers_are_values() {
        let args = parse("x y --priority -1");
        assert_eq!(args.get("--priority"), Some("-1"));
    }
}
