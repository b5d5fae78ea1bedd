//! Secret redaction: every secret value is replaced by `***` before text reaches a log, a state
//! row, an artifact or the console.

use std::borrow::Cow;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Replaces known secret values in text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Secret values, longest first so that a secret containing another is masked whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these secret values, and the forms they take inside JSON text (see
    /// [`encoded_forms`]); empty values are ignored.
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .flat_map(|v| encoded_forms(&v).into_iter().chain([v]))
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// Adds one more secret value (for example an `[OUTPUT]` whose name marks it as secret).
    pub fn add(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        for form in encoded_forms(value).into_iter().chain([value.to_owned()]) {
            if !self.secrets.contains(&form) {
                self.secrets.push(form);
            }
        }
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` with every secret value replaced by [`MASK`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
        out
    }
}

/// The other spellings of `value` inside JSON strings, as `az` and JSON encoders write them:
/// quotes, backslashes and control characters escaped, optionally `/` as `\/` and every
/// non-ASCII character as `\uXXXX`. Only forms that differ from `value` are returned.
pub fn encoded_forms(value: &str) -> Vec<String> {
    let escaped = json_escaped(value);
    let ascii: String = escaped
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                let mut units = [0u16; 2];
                c.encode_utf16(&mut units)
                    .iter()
                    .map(|unit| format!("\\u{unit:04x}"))
                    .collect()
            }
        })
        .collect();
    let mut forms = vec![
        escaped.clone(),
        escaped.replace('/', "\\/"),
        ascii.replace('/', "\\/"),
        ascii,
    ];
    forms.retain(|form| form != value && !form.is_empty());
    forms.sort();
    forms.dedup();
    forms
}

/// `value` as written inside a JSON string: `"` and `\` escaped, control characters as `\n`,
/// `\t`, ... or `\u00XX` (what serde_json, Python's json and `az` write).
fn json_escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Whether a variable name marks a secret: it contains `PASSWORD`, `SECRET` or `TOKEN`
/// (case-insensitive).
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["PASSWORD", "SECRET", "TOKEN"]
        .iter()
        .any(|word| upper.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence_longest_first() {
        let redactor = Redactor::new(["abc".to_owned(), "abcdef".to_owned(), String::new()]);
        assert_eq!(redactor.redact("x abcdef y abc"), "x *** y ***");
        assert!(matches!(redactor.redact("clean"), Cow::Borrowed(_)));
    }

    #[test]
    fn masks_the_json_escaped_forms_of_a_secret() {
        let redactor = Redactor::new([r#"p"a\ss/é"#.to_owned()]);
        for text in [
            r#"{"message": "p\"a\\ss/é"}"#,
            r#"{"message": "p\"a\\ss\/é"}"#,
            r#"{"message": "p\"a\\ss/\u00e9"}"#,
            r#"raw p"a\ss/é"#,
        ] {
            let masked = redactor.redact(text);
            assert!(masked.contains("***"), "{text} -> {masked}");
            assert!(
                !masked.contains("ss/") && !masked.contains(r"ss\/"),
                "{text} -> {masked}"
            );
        }
        let mut added = Redactor::default();
        added.add("tab\there");
        assert_eq!(added.redact(r#"{"v":"tab\there"}"#), r#"{"v":"***"}"#);
    }

    #[test]
    fn recognises_secret_names() {
        assert!(is_secret_name("SESSION_HOSTS_ADMIN_PASSWORD"));
        assert!(is_secret_name("client_secret"));
        assert!(is_secret_name("REGISTRATION_TOKEN"));
        assert!(!is_secret_name("AZURE_LOCATION"));
    }
}
