//! Deployment variables: config leaves by path, the `variables:` section, environment overrides,
//! published outputs, secrets, and `{{NAME}}` substitution that refuses to inject code.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::base::diagnostic::Location;
use avdeploy_wire::redact::{self, Redactor};

/// Characters that make a value unsafe to paste into a script.
pub const UNSAFE_CHARS: &[char] = &[
    '\'', '"', '$', '`', '\\', '\n', '\r', ';', '|', '&', '<', '>',
];

/// Environment names a variable must not take: every variable is exported to bash operations,
/// and these change how bash or the loader runs (`BASH_ENV` is sourced, `LD_PRELOAD` is loaded,
/// `PATH` picks the `az` that runs), so a config value could otherwise execute code. Whole
/// families are refused by [`RESERVED_PREFIXES`]; see [`is_reserved`].
pub const RESERVED: &[&str] = &[
    "AZURE_CONFIG_DIR",
    "CDPATH",
    "ENV",
    "GCONV_PATH",
    "GLIBC_TUNABLES",
    "GLOBIGNORE",
    "HOME",
    "HOSTALIASES",
    "IFS",
    "LOCPATH",
    "NLSPATH",
    "PATH",
    "PROMPT_COMMAND",
    "PS4",
    "SHELL",
    "SHELLOPTS",
];

/// Families of environment names a variable must not take: the dynamic loader's (`LD_AUDIT`,
/// `LD_LIBRARY_PATH`, ...), bash's own (`BASH_ENV`, `BASH_XTRACEFD`, exported functions
/// `BASH_FUNC_*`), Python's (`az` is Python: `PYTHONPATH`, `PYTHONHOME`, ...), and avdeploy's
/// (`AVDEPLOY_*` settings, such as the simulator's fault injection).
pub const RESERVED_PREFIXES: &[&str] = &["AVDEPLOY_", "BASH", "LD_", "PYTHON"];

/// Whether `name` is an environment name that changes how operations run: one of [`RESERVED`]
/// or of a [`RESERVED_PREFIXES`] family.
pub fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
        || RESERVED_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// Where a variable's value came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "from")]
pub enum Origin {
    /// A leaf of config.yaml.
    Config,
    /// An environment variable of the same name.
    Environment,
    /// Published by an operation with `[OUTPUT]`.
    Output(String),
    /// The item of a `for_each` instance (`AVD_ITEM`).
    Item,
    /// The `variables:` section.
    Section,
}

/// One variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// UPPER_SNAKE name.
    pub name: String,
    /// The resolved value.
    pub value: String,
    /// Whether it is redacted everywhere.
    pub secret: bool,
    /// Where the value came from.
    pub origin: Origin,
    /// Where it is defined in the files, when it is.
    pub location: Option<Location>,
}

/// All variables of a deployment, by name.
#[derive(Clone, Debug, Default)]
pub struct Variables {
    vars: BTreeMap<String, Variable>,
    /// Outputs published by instances (`<id>@<item>`), by item: what an instance of the same
    /// item reads in place of the value published last.
    by_item: BTreeMap<String, BTreeMap<String, Variable>>,
}

impl Variables {
    /// Adds or replaces a variable.
    pub fn insert(&mut self, variable: Variable) {
        self.vars.insert(variable.name.clone(), variable);
    }

    /// The variable called `name`.
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.vars.get(name)
    }

    /// The variable called `name`, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Variable> {
        self.vars.get_mut(name)
    }

    /// Every variable, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Variable> {
        self.vars.values()
    }

    /// Every variable name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }

    /// Records a value published by an operation; secret when its name says so. A reserved name
    /// (see [`is_reserved`]) is ignored: it would change how later operations run. A value
    /// published by an instance (`<id>@<item>`) is also kept for the instances of that item.
    pub fn insert_output(&mut self, operation: &str, name: &str, value: &str) {
        if is_reserved(name) {
            return;
        }
        let variable = Variable {
            name: name.to_owned(),
            value: value.to_owned(),
            secret: redact::is_secret_name(name),
            origin: Origin::Output(operation.to_owned()),
            location: None,
        };
        if let (_, Some(item)) = crate::model::instances::split_instance(operation) {
            self.by_item
                .entry(item.to_owned())
                .or_default()
                .insert(name.to_owned(), variable.clone());
        }
        self.insert(variable);
    }

    /// The variables an instance of `item` sees: its item's outputs over the others, and
    /// `AVD_ITEM`. Without an item, the variables as they are.
    pub fn for_item(&self, item: Option<&str>) -> std::borrow::Cow<'_, Self> {
        let Some(item) = item else {
            return std::borrow::Cow::Borrowed(self);
        };
        let mut vars = self.clone();
        for variable in self
            .by_item
            .get(item)
            .into_iter()
            .flat_map(BTreeMap::values)
        {
            vars.insert(variable.clone());
        }
        vars.insert(Variable {
            name: crate::model::instances::ITEM_VARIABLE.to_owned(),
            value: item.to_owned(),
            secret: false,
            origin: Origin::Item,
            location: None,
        });
        std::borrow::Cow::Owned(vars)
    }

    /// The secret variables.
    pub fn secrets(&self) -> impl Iterator<Item = &Variable> {
        self.iter().filter(|v| v.secret)
    }

    /// The secret values, for redacting generated scripts.
    pub fn secret_values(&self) -> Vec<String> {
        self.secrets().map(|v| v.value.clone()).collect()
    }

    /// A redactor for every secret value.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(self.secrets().map(|v| v.value.clone()))
    }

    /// `(name, value)` pairs to export to an operation's environment.
    pub fn environment(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect()
    }

    /// Substitutes every `{{NAME}}` in `text`. With `Destination::Script` the value is pasted into a
    /// script, so secrets and values with unsafe characters are refused.
    pub fn render(&self, text: &str, context: Destination) -> Result<String, Vec<RenderError>> {
        let mut out = String::with_capacity(text.len());
        let mut errors = Vec::new();
        let mut last = 0;
        for placeholder in placeholders(text) {
            out.push_str(&text[last..placeholder.range.start]);
            last = placeholder.range.end;
            match self.check(&placeholder, context) {
                Ok(value) => out.push_str(value),
                Err(error) => errors.push(error),
            }
        }
        out.push_str(&text[last..]);
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The value for one placeholder, or why it cannot be substituted.
    pub fn check(
        &self,
        placeholder: &Placeholder,
        context: Destination,
    ) -> Result<&str, RenderError> {
        let error = |kind| RenderError {
            name: placeholder.name.clone(),
            range: placeholder.range.clone(),
            kind,
        };
        let Some(variable) = self.get(&placeholder.name) else {
            return Err(error(RenderErrorKind::Unknown));
        };
        if context != Destination::Value {
            if variable.secret && context == Destination::Script {
                return Err(error(RenderErrorKind::Secret));
            }
            if let Some(c) = variable.value.chars().find(|c| UNSAFE_CHARS.contains(c)) {
                return Err(error(RenderErrorKind::Unsafe(c)));
            }
        }
        Ok(&variable.value)
    }
}

/// Where a substituted value ends up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Destination {
    /// Pasted into PowerShell sent to a VM: only safe values; secrets allowed because the
    /// on-disk copy is redacted and the script travels to `az` in memory.
    PowerShell,
    /// Pasted into a script's text: only safe, non-secret values.
    Script,
    /// A name or a value the engine quotes itself (locks, VM names, generated PowerShell).
    Value,
}

/// Why a placeholder cannot be substituted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderErrorKind {
    /// The value is secret: scripts get it from the environment only.
    Secret,
    /// No such variable.
    Unknown,
    /// The value holds a character that would change the script.
    Unsafe(char),
}

/// A placeholder that cannot be substituted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    /// The variable name.
    pub name: String,
    /// Byte range of `{{NAME}}` in the text.
    pub range: Range<usize>,
    /// Why.
    pub kind: RenderErrorKind,
}

impl RenderError {
    /// One sentence for users.
    pub fn message(&self) -> String {
        let name = &self.name;
        match self.kind {
            RenderErrorKind::Secret => {
                format!("secret `{name}` cannot be written into a script")
            }
            RenderErrorKind::Unknown => format!("unknown variable `{name}`"),
            RenderErrorKind::Unsafe(c) => {
                format!("the value of `{name}` contains {c:?}, which is unsafe in a script")
            }
        }
    }

    /// How to fix it.
    pub fn help(&self, known: &[&str]) -> String {
        let name = &self.name;
        match self.kind {
            RenderErrorKind::Unknown => {
                match crate::base::text::closest(name, known.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "define it in config.yaml or its `variables:` section".to_owned(),
                }
            }
            _ => format!(
                "use the environment variable instead: \"${name}\" in bash, or pass it as a value the engine quotes"
            ),
        }
    }
}

/// A `{{NAME}}` in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// The variable name, trimmed.
    pub name: String,
    /// Byte range of the whole placeholder.
    pub range: Range<usize>,
}

/// Every `{{NAME}}` in `text`, in order.
pub fn placeholders(text: &str) -> Vec<Placeholder> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = find_pair(text, from, '{') {
        let Some(len) = find_pair(text, start + 2, '}').map(|end| end - start - 2) else {
            break;
        };
        let end = start + 2 + len + 2;
        let name = text[start + 2..end - 2].trim();
        if is_name(name) {
            found.push(Placeholder {
                name: name.to_owned(),
                range: start..end,
            });
            from = end;
        } else {
            from = start + 2;
        }
    }
    found
}

/// Where the first `cc` (`{{` or `}}`) at or after byte `from` of `text` starts: a search for
/// the one character, which is quick, then a look at the next.
fn find_pair(text: &str, from: usize, c: char) -> Option<usize> {
    let mut at = from;
    loop {
        let found = at + text.get(at..)?.find(c)?;
        if text[found + 1..].starts_with(c) {
            return Some(found);
        }
        at = found + 1;
    }
}

/// Whether `name` is a variable name: letters, digits and underscores, not starting with a digit.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The UPPER_SNAKE variable name of a config path: `azure.resource_group` → `AZURE_RESOURCE_GROUP`.
pub fn path_name(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|segment| {
            segment
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str, bool)]) -> Variables {
        let mut vars = Variables::default();
        for (name, value, secret) in pairs {
            vars.insert(Variable {
                name: (*name).into(),
                value: (*value).into(),
                secret: *secret,
                origin: Origin::Config,
                location: None,
            });
        }
        vars
    }

    #[test]
    fn finds_placeholders_with_spaces() {
        let found = placeholders("a {{ X }} b {{Y_2}} {{not a name}} {{");
        let names: Vec<_> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["X", "Y_2"]);
        assert_eq!(found[0].range, 2..9);
    }

    #[test]
    fn renders_safe_values_and_refuses_unsafe_secret_and_unknown() {
        let vars = vars(&[
            ("RG", "rg-avd", false),
            ("EVIL", "x; rm -rf /", false),
            ("PW", "p", true),
        ]);
        assert_eq!(
            vars.render("-g {{RG}}", Destination::Script).unwrap(),
            "-g rg-avd"
        );
        let errors = vars
            .render("{{EVIL}} {{PW}} {{NOPE}}", Destination::Script)
            .unwrap_err();
        let kinds: Vec<_> = errors.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                RenderErrorKind::Unsafe(';'),
                RenderErrorKind::Secret,
                RenderErrorKind::Unknown
            ]
        );
        assert_eq!(
            vars.render("{{EVIL}}", Destination::Value).unwrap(),
            "x; rm -rf /"
        );
    }

    #[test]
    fn names_config_paths_in_upper_snake() {
        assert_eq!(
            path_name(&["azure", "resource_group"]),
            "AZURE_RESOURCE_GROUP"
        );
        assert_eq!(
            path_name(&["session-hosts", "vm.size"]),
            "SESSION_HOSTS_VM_SIZE"
        );
    }

    #[test]
    fn whole_families_of_names_are_reserved() {
        for name in [
            "LD_AUDIT",
            "LD_LIBRARY_PATH",
            "PYTHONPATH",
            "PYTHONHOME",
            "GCONV_PATH",
            "BASH_XTRACEFD",
            "BASH_FUNC_az%%",
            "BASH_ENV",
            "AVDEPLOY_SIM_FAULTS",
            "PATH",
        ] {
            assert!(is_reserved(name), "{name}");
        }
        for name in [
            "AZURE_RESOURCE_GROUP",
            "LDAP_SERVER",
            "PYTHON",
            "APP_PATH",
            "AVD_X",
        ] {
            assert_eq!(is_reserved(name), name == "PYTHON", "{name}");
        }
    }

    #[test]
    fn an_instance_reads_the_outputs_of_its_own_item() {
        let mut vars = Variables::default();
        vars.insert_output("host-create@1", "HOST_ID", "id-1");
        vars.insert_output("host-create@2", "HOST_ID", "id-2");
        vars.insert_output("pool", "POOL", "p");
        let one = vars.for_item(Some("1"));
        assert_eq!(
            one.render("{{HOST_ID}} {{AVD_ITEM}} {{POOL}}", Destination::Value)
                .unwrap(),
            "id-1 1 p"
        );
        let two = vars.for_item(Some("2"));
        assert_eq!(
            two.render("{{HOST_ID}}", Destination::Value).unwrap(),
            "id-2"
        );
        let plain = vars.for_item(None);
        assert_eq!(
            plain.render("{{HOST_ID}}", Destination::Value).unwrap(),
            "id-2"
        );
        assert!(plain.get("AVD_ITEM").is_none());
    }

    #[test]
    fn outputs_with_reserved_names_are_ignored() {
        let mut vars = Variables::default();
        vars.insert_output("op", "PATH", "/tmp/evil");
        vars.insert_output("op", "LD_AUDIT", "/tmp/evil.so");
        vars.insert_output("op", "VNET_ID", "/subscriptions/x");
        assert!(vars.get("PATH").is_none());
        assert!(vars.get("LD_AUDIT").is_none());
        assert_eq!(
            vars.get("VNET_ID").map(|v| v.value.as_str()),
            Some("/subscriptions/x")
        );
    }
}
