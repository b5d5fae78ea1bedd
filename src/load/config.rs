//! Decodes config.yaml into variables: every scalar leaf by its UPPER_SNAKE path, the
//! `variables:` section (with `{{...}}` references, cycles reported), `secrets:`, and
//! environment overrides (`AVDEPLOY_VAR_<NAME>`, and `avdeploy.env_overrides`). The `avdeploy:`
//! section holds engine settings, not variables (see [`crate::load::settings`]).

use std::collections::{BTreeMap, HashSet};

use crate::base::diagnostic::Diagnostic;
use crate::load::decode::Decoder;
use crate::load::node::{Node, NodeKind};
use crate::load::settings;
use crate::model::variables::{self, Origin, Variable, Variables};
use avdeploy_wire::redact;

/// Reads an environment variable; injected so tests and benchmarks control the environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

const KEY_HELP: &str = "keys name variables, so they are plain words such as `resource_group`";

/// The prefix of the environment variables that override a config value: the value of
/// `AZURE_LOCATION` comes from `AVDEPLOY_VAR_AZURE_LOCATION` when that is set.
pub const OVERRIDE_PREFIX: &str = "AVDEPLOY_VAR_";

/// Which environment variables may override which variables.
struct Overrides<'a> {
    env: EnvLookup<'a>,
    /// Variables the environment may override by their own name (`avdeploy.env_overrides`).
    by_name: HashSet<String>,
    /// Secret names (`secrets:`): they come from the environment by their own name too.
    secrets: &'a HashSet<String>,
}

impl Overrides<'_> {
    /// The environment's value for variable `name`: `AVDEPLOY_VAR_<NAME>`, else `<NAME>` itself
    /// when `name` is a secret or listed in `avdeploy.env_overrides`.
    fn value(&self, name: &str) -> Option<String> {
        (self.env)(&format!("{OVERRIDE_PREFIX}{name}")).or_else(|| {
            let by_name = self.by_name.contains(name)
                || self.secrets.contains(name)
                || redact::is_secret_name(name);
            by_name.then(|| (self.env)(name)).flatten()
        })
    }
}

/// Builds the variables of a deployment from its config.yaml tree.
pub fn variables(decoder: &mut Decoder<'_>, root: &Node, env: EnvLookup<'_>) -> Variables {
    let mut vars = Variables::default();
    let NodeKind::Map(entries) = &root.kind else {
        if !root.is_null() {
            decoder.error(
                "wrong-type",
                root,
                "config.yaml must be a mapping",
                "write `section:` lines with `key: value` pairs indented under them",
            );
        }
        return vars;
    };
    let secrets = secret_names(decoder, root);
    let overrides = Overrides {
        env,
        by_name: env_overrides(decoder, root),
        secrets: &secrets,
    };
    for (key, value) in entries {
        match key.as_str() {
            Some("variables" | "secrets" | settings::SECTION) => {}
            Some(name) => flatten(decoder, &mut vars, &mut vec![name.to_owned()], value),
            None => decoder.error(
                "wrong-type",
                key,
                "keys of config.yaml must be strings",
                KEY_HELP,
            ),
        }
    }
    // Config leaves are overridden before the section is resolved, so that section values
    // built from them see the override; then the section's own names may be overridden too.
    override_from_environment(&mut vars, &overrides);
    if let Some(section) = root.get("variables").filter(|n| !n.is_null()) {
        section_variables(decoder, &mut vars, section);
    }
    override_from_environment(&mut vars, &overrides);
    check_env_overrides(decoder, root, &vars);
    for name in collect_names(&vars) {
        let var = vars.get_mut(&name).expect("name comes from the map");
        var.secret = redact::is_secret_name(&name) || secrets.contains(&name);
    }
    vars
}

/// Replaces each variable's value with the environment's (see [`Overrides::value`]).
fn override_from_environment(vars: &mut Variables, overrides: &Overrides<'_>) {
    for name in collect_names(vars) {
        if let Some(value) = overrides.value(&name)
            && let Some(var) = vars.get_mut(&name)
        {
            var.value = value;
            var.origin = Origin::Environment;
        }
    }
}

/// The names listed under `avdeploy.env_overrides`. They are read here, not with the other
/// settings, because they decide the variables' values; `settings` knows the key.
fn env_overrides(decoder: &mut Decoder<'_>, root: &Node) -> HashSet<String> {
    let Some(node) = root
        .get(settings::SECTION)
        .and_then(|section| section.get(settings::ENV_OVERRIDES))
        .filter(|n| !n.is_null())
    else {
        return HashSet::new();
    };
    let what = format!("{}.{}", settings::SECTION, settings::ENV_OVERRIDES);
    decoder
        .list(node, &what)
        .iter()
        .filter_map(|item| decoder.string(item, &what))
        .map(|name| name.value)
        .collect()
}

/// Each name of `avdeploy.env_overrides` must be a variable of the deployment.
fn check_env_overrides(decoder: &mut Decoder<'_>, root: &Node, vars: &Variables) {
    let Some(list) = root
        .get(settings::SECTION)
        .and_then(|section| section.get(settings::ENV_OVERRIDES))
    else {
        return;
    };
    let NodeKind::Seq(items) = &list.kind else {
        return;
    };
    for item in items {
        let Some(name) = item.as_str() else { continue };
        if vars.get(name).is_some() {
            continue;
        }
        let help = match crate::base::text::closest(name, vars.names()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => "list names of config.yaml's variables, such as `AZURE_LOCATION`".to_owned(),
        };
        decoder.error(
            "unknown-variable",
            item,
            format!("`{name}` in avdeploy.env_overrides is not a variable of this deployment"),
            help,
        );
    }
}

fn collect_names(vars: &Variables) -> Vec<String> {
    vars.names().map(str::to_owned).collect()
}

fn secret_names(decoder: &mut Decoder<'_>, root: &Node) -> HashSet<String> {
    let Some(node) = root.get("secrets").filter(|n| !n.is_null()) else {
        return HashSet::new();
    };
    decoder
        .list(node, "secrets")
        .iter()
        .filter_map(|item| decoder.string(item, "an entry of secrets"))
        .map(|name| name.value)
        .collect()
}

fn flatten(decoder: &mut Decoder<'_>, vars: &mut Variables, path: &mut Vec<String>, node: &Node) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                let Some(name) = key.as_str() else {
                    decoder.error(
                        "wrong-type",
                        key,
                        "keys of config.yaml must be strings",
                        KEY_HELP,
                    );
                    continue;
                };
                path.push(name.to_owned());
                flatten(decoder, vars, path, value);
                path.pop();
            }
        }
        NodeKind::Seq(items) if items.iter().all(|item| item.as_str().is_some()) => {
            let joined: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
            define(decoder, vars, path, node, joined.join(" "));
        }
        NodeKind::Seq(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                flatten(decoder, vars, path, item);
                path.pop();
            }
        }
        NodeKind::Scalar { text, .. } => define(decoder, vars, path, node, text.clone()),
        NodeKind::Null => define(decoder, vars, path, node, String::new()),
    }
}

fn define(
    decoder: &mut Decoder<'_>,
    vars: &mut Variables,
    path: &[String],
    node: &Node,
    value: String,
) {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    let name = variables::path_name(&segments);
    if let Some(existing) = vars.get(&name) {
        let mut diagnostic = Diagnostic::error(
            "duplicate-variable",
            decoder.at(node),
            format!(
                "`{}` and another config path both become variable `{name}`",
                path.join(".")
            ),
        )
        .with_help("rename one of the keys: `-`, `.` and `_` all become `_` in variable names");
        if let Some(location) = existing.location {
            diagnostic = diagnostic.with_label(location, "first defined here");
        }
        decoder.push(diagnostic);
        return;
    }
    vars.insert(Variable {
        name,
        value,
        secret: false,
        origin: Origin::Config,
        location: Some(decoder.at(node)),
    });
}

/// The `variables:` section: values may reference any variable with `{{NAME}}`.
fn section_variables(decoder: &mut Decoder<'_>, vars: &mut Variables, section: &Node) {
    let NodeKind::Map(entries) = &section.kind else {
        decoder.error(
            "wrong-type",
            section,
            "`variables` must be a mapping of NAME: value",
            "write one `NAME: \"value\"` per line under `variables:`",
        );
        return;
    };
    let mut raw: BTreeMap<String, (String, &Node, &Node)> = BTreeMap::new();
    for (key, value) in entries {
        let Some(name) = key.as_str() else { continue };
        if !variables::is_name(name) {
            decoder.error(
                "invalid-variable-name",
                key,
                format!("`{name}` is not a variable name"),
                "use letters, digits and _, not starting with a digit, e.g. `IMAGE_VERSION`",
            );
            continue;
        }
        let Some(text) = decoder.string(value, &format!("variables.{name}")) else {
            continue;
        };
        raw.insert(name.to_owned(), (text.value, key, value));
    }
    let mut resolver = Resolver {
        raw: &raw,
        vars,
        done: BTreeMap::new(),
        stack: Vec::new(),
    };
    for name in raw.keys() {
        resolver.resolve(decoder, name);
    }
    let done = resolver.done;
    for (name, value) in done {
        let (_, key, _) = raw[&name];
        vars.insert(Variable {
            name,
            value: value.unwrap_or_default(),
            secret: false,
            origin: Origin::Section,
            location: Some(decoder.at(key)),
        });
    }
}

struct Resolver<'r, 'n> {
    raw: &'r BTreeMap<String, (String, &'n Node, &'n Node)>,
    vars: &'r Variables,
    done: BTreeMap<String, Option<String>>,
    stack: Vec<String>,
}

impl Resolver<'_, '_> {
    /// The resolved value of a section variable; `None` when it is part of a cycle.
    fn resolve(&mut self, decoder: &mut Decoder<'_>, name: &str) -> Option<String> {
        if let Some(done) = self.done.get(name) {
            return done.clone();
        }
        if let Some(start) = self.stack.iter().position(|n| n == name) {
            let mut cycle = self.stack[start..].to_vec();
            cycle.push(name.to_owned());
            let (_, key, _) = self.raw[name];
            decoder.push(
                Diagnostic::error(
                    "variable-cycle",
                    decoder.at(key),
                    format!(
                        "variables refer to each other in a cycle: {}",
                        cycle.join(" -> ")
                    ),
                )
                .with_help("break the cycle by giving one of them a literal value"),
            );
            return None;
        }
        self.stack.push(name.to_owned());
        let (text, _, node) = &self.raw[name];
        let mut out = String::new();
        let mut last = 0;
        let mut ok = true;
        for placeholder in variables::placeholders(text) {
            out.push_str(&text[last..placeholder.range.start]);
            last = placeholder.range.end;
            let value = if self.raw.contains_key(&placeholder.name) {
                self.resolve(decoder, &placeholder.name)
            } else {
                self.vars.get(&placeholder.name).map(|v| v.value.clone())
            };
            match value {
                Some(value) => out.push_str(&value),
                None if self.raw.contains_key(&placeholder.name) => {
                    ok = false;
                    out.push_str(&text[placeholder.range.clone()]);
                }
                None => {
                    let known: Vec<&str> = self
                        .vars
                        .names()
                        .chain(self.raw.keys().map(String::as_str))
                        .collect();
                    let help = match crate::base::text::closest(
                        &placeholder.name,
                        known.iter().copied(),
                    ) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => "define it in config.yaml or its `variables:` section".to_owned(),
                    };
                    decoder.push(
                        Diagnostic::error(
                            "unknown-variable",
                            decoder.at(node),
                            format!(
                                "unknown variable `{}` in variables.{name}",
                                placeholder.name
                            ),
                        )
                        .with_help(help),
                    );
                    out.push_str(&text[placeholder.range.clone()]);
                }
            }
        }
        out.push_str(&text[last..]);
        self.stack.pop();
        let value = ok.then_some(out);
        if self.done.contains_key(name) {
            return self.done[name].clone();
        }
        self.done.insert(name.to_owned(), value.clone());
        value
    }
}
