//! Decodes config.yaml's `avdeploy:` section (engine settings, never variables) into
//! [`Settings`]; unknown keys are findings with the closest key suggested.

use crate::base::span::Spanned;
use crate::load::decode::Decoder;
use crate::load::node::{Node, NodeKind};
use crate::model::settings::Settings;
use crate::model::shell::ShellMode;
use crate::model::variables;

/// The config.yaml key holding engine settings.
pub const SECTION: &str = "avdeploy";

/// The key listing variables the environment may override by their own name. Decoded with the
/// variables (see `config`), whose values it decides; known here so that it is no unknown key.
pub const ENV_OVERRIDES: &str = "env_overrides";

const KEYS: &[&str] = &[ENV_OVERRIDES, "shell"];

/// The settings under config.yaml's `avdeploy:` key (defaults when it is absent or null).
pub fn decode(decoder: &mut Decoder<'_>, root: &Node) -> Settings {
    let Some(section) = root.get(SECTION).filter(|n| !n.is_null()) else {
        return Settings::default();
    };
    // Unknown keys get their own finding below, which says which variable name they are not.
    let written: Vec<&str> = match &section.kind {
        NodeKind::Map(entries) => entries.iter().filter_map(|(k, _)| k.as_str()).collect(),
        _ => Vec::new(),
    };
    let Some(fields) = decoder.fields(section, SECTION, &written) else {
        return Settings::default();
    };
    if let NodeKind::Map(entries) = &section.kind {
        for (key, _) in entries {
            if let Some(name) = key.as_str().filter(|name| !KEYS.contains(name)) {
                unknown_key(decoder, key, name);
            }
        }
    }
    Settings {
        shell: shell_mode(decoder, fields.get("shell"), SECTION),
    }
}

/// An unknown key of the section: the closest known key, and a reminder that the section's keys
/// are never variables (an `AVDEPLOY_*` engine variable is read from the environment only).
fn unknown_key(decoder: &mut Decoder<'_>, key: &Node, name: &str) {
    let closest = match crate::base::text::closest(name, KEYS.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? "),
        None => format!("known keys: {}; ", crate::base::text::code_list(KEYS)),
    };
    let variable = variables::path_name(&[SECTION, name]);
    decoder.error(
        "unknown-key",
        key,
        format!("unknown key `{name}` in {SECTION}"),
        format!(
            "{closest}keys of `{SECTION}:` are engine settings, never variables: this key does not define variable `{variable}`"
        ),
    );
}

/// A `shell:` value (`strict` or `plain`) found under `what`; `None` when absent or invalid
/// (an invalid one is a finding).
pub fn shell_mode(
    decoder: &mut Decoder<'_>,
    node: Option<&Node>,
    what: &str,
) -> Option<Spanned<ShellMode>> {
    let value = decoder.string(node?, &format!("{what}.shell"))?;
    if let Some((_, mode)) = ShellMode::CHOICES
        .iter()
        .find(|(name, _)| *name == value.value)
    {
        return Some(Spanned::new(*mode, value.span));
    }
    decoder.push(
        crate::base::diagnostic::Diagnostic::error(
            "unknown-choice",
            decoder.at_span(value.span),
            format!("unknown {what}.shell `{}`", value.value),
        )
        .with_help(
            "use `strict` (set -eo pipefail, the default) or `plain` (no shell options, as the bash engine ran scripts)",
        ),
    );
    None
}
