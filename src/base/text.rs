//! Small text helpers shared by messages: suggestions, plurals, durations and lists.

use std::time::Duration;

/// The candidate closest to `word`, if one is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// `count` followed by `word`, with an `s` when it is not one: `1 operation`, `3 operations`.
pub(crate) fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// A duration as people read it, the one format of every command: `45s`, `2m05s` or `1h02m`.
pub(crate) fn duration(duration: Duration) -> String {
    Readable(duration).to_string()
}

/// A duration written as [`duration`] writes it, without a string of its own: for text made
/// in bulk.
pub(crate) struct Readable(pub Duration);

impl std::fmt::Display for Readable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.as_secs();
        match secs {
            0..60 => write!(f, "{secs}s"),
            60..3600 => write!(f, "{}m{:02}s", secs / 60, secs % 60),
            _ => write!(f, "{}h{:02}m", secs / 3600, (secs % 3600) / 60),
        }
    }
}

/// Items quoted in backticks and joined with commas: `` `a`, `b` ``.
pub(crate) fn code_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|item| format!("`{}`", item.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `requires a, b (not completed)`.
pub(crate) fn blocked_text(missing: &[String]) -> String {
    format!("requires {} (not completed)", missing.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_words() {
        assert_eq!(
            closest("timout", ["timeout", "expected", "type"]),
            Some("timeout")
        );
        assert_eq!(closest("zzz", ["timeout", "expected"]), None);
    }

    #[test]
    fn formats_durations_and_plurals() {
        assert_eq!(duration(Duration::from_secs(45)), "45s");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
        assert_eq!(duration(Duration::from_secs(3720)), "1h02m");
        assert_eq!(duration(Duration::from_secs(0)), "0s");
        assert_eq!(duration(Duration::from_secs(120)), "2m00s");
        assert_eq!(plural(1, "stage"), "1 stage");
        assert_eq!(plural(2, "stage"), "2 stages");
        assert_eq!(code_list(&["a", "b"]), "`a`, `b`");
    }
}
