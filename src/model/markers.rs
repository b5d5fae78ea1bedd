//! Marker lines operations print (`[START]`, `[PROGRESS]`, `[OUTPUT] NAME=value`, ...): the
//! structured part of an operation's output.

/// A recognised marker line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `[ERROR] message`.
    Error(String),
    /// `[INFO] message`.
    Info(String),
    /// `[OUTPUT] NAME=value`: a value published for later operations.
    Output {
        /// The variable name.
        name: String,
        /// The value, exactly as printed.
        value: String,
    },
    /// `[PROGRESS] message`.
    Progress(String),
    /// `[START] message`.
    Start(String),
    /// `[SUCCESS] message`.
    Success(String),
    /// `[VALIDATE] message`.
    Validate(String),
    /// `[WARNING] message`.
    Warning(String),
}

impl Marker {
    /// The marker name without brackets, as used in events: `START`, `PROGRESS`, `OUTPUT`...
    pub fn name(&self) -> &'static str {
        match self {
            Self::Error(_) => "ERROR",
            Self::Info(_) => "INFO",
            Self::Output { .. } => "OUTPUT",
            Self::Progress(_) => "PROGRESS",
            Self::Start(_) => "START",
            Self::Success(_) => "SUCCESS",
            Self::Validate(_) => "VALIDATE",
            Self::Warning(_) => "WARNING",
        }
    }

    /// The text after the marker; `None` for `[OUTPUT]`, which carries a name and value.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Error(m)
            | Self::Info(m)
            | Self::Progress(m)
            | Self::Start(m)
            | Self::Success(m)
            | Self::Validate(m)
            | Self::Warning(m) => Some(m),
            Self::Output { .. } => None,
        }
    }
}

/// The marker on `line`, if the line (after leading blanks) starts with one.
///
/// An `[OUTPUT]` line whose name is not a valid variable name (`[A-Za-z_][A-Za-z0-9_]*`) or that
/// has no `=` is not a marker.
pub fn parse(line: &str) -> Option<Marker> {
    let line = line.trim_start().trim_end_matches(['\r', '\n']);
    let rest = line.strip_prefix('[')?;
    let (name, text) = rest.split_once(']')?;
    let message = text.strip_prefix(' ').unwrap_or(text).to_owned();
    Some(match name {
        "ERROR" => Marker::Error(message),
        "INFO" => Marker::Info(message),
        "OUTPUT" => return parse_output(&message),
        "PROGRESS" => Marker::Progress(message),
        "START" => Marker::Start(message),
        "SUCCESS" => Marker::Success(message),
        "VALIDATE" => Marker::Validate(message),
        "WARNING" => Marker::Warning(message),
        _ => return None,
    })
}

fn parse_output(text: &str) -> Option<Marker> {
    let (name, value) = text.trim_start().split_once('=')?;
    let name = name.trim_end();
    is_variable_name(name).then(|| Marker::Output {
        name: name.to_owned(),
        value: value.to_owned(),
    })
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_marker() {
        assert_eq!(parse("[START] go"), Some(Marker::Start("go".into())));
        assert_eq!(
            parse("  [PROGRESS] 3/5"),
            Some(Marker::Progress("3/5".into()))
        );
        assert_eq!(parse("[VALIDATE] ok"), Some(Marker::Validate("ok".into())));
        assert_eq!(
            parse("[SUCCESS] done\r"),
            Some(Marker::Success("done".into()))
        );
        assert_eq!(parse("[ERROR] bad"), Some(Marker::Error("bad".into())));
        assert_eq!(parse("[WARNING] hm"), Some(Marker::Warning("hm".into())));
        assert_eq!(parse("[INFO]"), Some(Marker::Info(String::new())));
    }

    #[test]
    fn output_needs_a_name_and_an_equals_sign() {
        assert_eq!(
            parse("[OUTPUT] VNET_ID=/subscriptions/x=y"),
            Some(Marker::Output {
                name: "VNET_ID".into(),
                value: "/subscriptions/x=y".into()
            })
        );
        assert_eq!(
            parse("[OUTPUT] EMPTY="),
            Some(Marker::Output {
                name: "EMPTY".into(),
                value: String::new()
            })
        );
        assert_eq!(parse("[OUTPUT] no value"), None);
        assert_eq!(parse("[OUTPUT] 1BAD=x"), None);
        assert_eq!(parse("[OUTPUT] A-B=x"), None);
    }

    #[test]
    fn other_lines_are_not_markers() {
        assert_eq!(parse("plain text"), None);
        assert_eq!(parse("[DEBUG] x"), None);
        assert_eq!(parse("x [ERROR] y"), None);
        assert_eq!(parse("[ERROR"), None);
        assert_eq!(Marker::Progress(String::new()).name(), "PROGRESS");
    }
}
