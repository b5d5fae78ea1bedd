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
    /// A redactor for these secret values; empty values are ignored.
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// Adds one more secret value (for example an `[OUTPUT]` whose name marks it as secret).
    pub fn add(&mut self, value: &str) {
        if !value.is_empty() && !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_owned());
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
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
    fn recognises_secret_names() {
        assert!(is_secret_name("SESSION_HOSTS_ADMIN_PASSWORD"));
        assert!(is_secret_name("client_secret"));
        assert!(is_secret_name("REGISTRATION_TOKEN"));
        assert!(!is_secret_name("AZURE_LOCATION"));
    }
}
