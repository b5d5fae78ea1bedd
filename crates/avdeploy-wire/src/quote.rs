//! Putting values into PowerShell safely: single-quoted literals, one-line display text, and the
//! forms a secret takes inside a generated script (for redaction).

use crate::redact::Redactor;

/// Characters PowerShell treats as a single quote: the ASCII one and U+2018 to U+201B.
const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// A single-quoted PowerShell string literal holding exactly `value`, whatever it contains.
///
/// Inside single quotes PowerShell expands nothing (`$`, backtick, `$(...)` stay literal); the
/// only special characters are the quotes themselves, which are doubled. Newlines stay literal.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    out.push_str(&escape(value));
    out.push('\'');
    out
}

/// A PowerShell expression on one line whose value is exactly `value`: [`quote`] when `value`
/// has no line break, else quoted pieces joined with `[char]10` / `[char]13`, in parentheses.
///
/// Generated scripts use it for every value, so each of their lines is one the generator wrote:
/// a value can never start a line of code, a marker or a here-string terminator.
pub fn literal(value: &str) -> String {
    if !value.contains(['\n', '\r']) {
        return quote(value);
    }
    let mut parts = vec!["''".to_owned()];
    let mut piece = String::new();
    for c in value.chars() {
        if c == '\n' || c == '\r' {
            if !piece.is_empty() {
                parts.push(quote(&piece));
                piece.clear();
            }
            parts.push(format!("[char]{}", u32::from(c)));
        } else {
            piece.push(c);
        }
    }
    if !piece.is_empty() {
        parts.push(quote(&piece));
    }
    format!("({})", parts.join(" + "))
}

/// The body of [`quote`]: `value` with every single-quote character doubled.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if SINGLE_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out
}

/// `value` as one line of display text: control characters (newlines, tabs, ...) become spaces,
/// so a name can never start a new output line or forge a marker.
pub fn one_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A quoted one-line display text: `quote(one_line(text))`.
pub fn quote_line(text: &str) -> String {
    quote(&one_line(text))
}

/// Every form a secret value can take inside a generated script: as is, escaped inside a quoted
/// literal, and as one-line display text. Add them all to a [`Redactor`] before showing a script.
pub fn secret_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned(), escape(value), one_line(value)];
    forms.push(escape(&forms[2]));
    if value.contains(['\n', '\r']) {
        forms.extend(value.lines().filter(|line| line.len() >= 4).map(escape));
    }
    forms.sort();
    forms.dedup();
    forms
}

/// `script` with every form of every secret replaced by `***`.
pub fn redact_script(script: &str, secrets: &[String]) -> String {
    let redactor = Redactor::new(secrets.iter().flat_map(|s| secret_forms(s)));
    redactor.redact(script).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_doubles_every_single_quote_kind() {
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(
            quote("\u{2018}\u{201A}\u{201B}"),
            "'\u{2018}\u{2018}\u{201A}\u{201A}\u{201B}\u{201B}'"
        );
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn quote_leaves_expansion_characters_alone() {
        assert_eq!(quote("$(whoami) `n \"x\""), "'$(whoami) `n \"x\"'");
    }

    #[test]
    fn literal_keeps_line_breaks_out_of_the_script_lines() {
        assert_eq!(literal("a'b"), "'a''b'");
        assert_eq!(literal("a\r\nb"), "('' + 'a' + [char]13 + [char]10 + 'b')");
        assert_eq!(literal("\n"), "('' + [char]10)");
    }

    #[test]
    fn one_line_removes_line_breaks() {
        assert_eq!(one_line("a\r\n[OUTPUT] X=1\tb"), "a  [OUTPUT] X=1 b");
    }

    #[test]
    fn redact_script_masks_the_escaped_form() {
        let script = format!("$p = {}\nWrite-Host 'x'", quote("pa's$w"));
        let redacted = redact_script(&script, &["pa's$w".to_owned()]);
        assert_eq!(redacted, "$p = '***'\nWrite-Host 'x'");
    }
}
