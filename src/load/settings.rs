//! Decodes config.yaml's `avdeploy:` section (engine settings, never variables) into
//! [`Settings`]; unknown keys are findings with the closest key suggested.

use crate::base::span::Spanned;
use crate::load::decode::Decoder;
use crate::load::node::Node;
use crate::model::settings::Settings;
use crate::model::shell::ShellMode;

/// The config.yaml key holding engine settings.
pub const SECTION: &str = "avdeploy";

const KEYS: &[&str] = &["shell"];

/// The settings under config.yaml's `avdeploy:` key (defaults when it is absent or null).
pub fn decode(decoder: &mut Decoder<'_>, root: &Node) -> Settings {
    let Some(section) = root.get(SECTION).filter(|n| !n.is_null()) else {
        return Settings::default();
    };
    let Some(fields) = decoder.fields(section, SECTION, KEYS) else {
        return Settings::default();
    };
    Settings {
        shell: shell_mode(decoder, fields.get("shell"), SECTION),
    }
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
