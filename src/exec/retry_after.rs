//! Reads the wait Azure asks for from error text: a `Retry-After` header or
//! "Please try again after 'N' seconds".

use std::time::Duration;

/// The last wait requested in `text`, if any.
pub(crate) fn parse(text: &str) -> Option<Duration> {
    let lower = text.to_lowercase();
    ["try again after", "retry-after", "retry after"]
        .iter()
        .flat_map(|needle| {
            lower
                .match_indices(needle)
                .filter_map(|(at, found)| {
                    seconds_after(&lower[at + found.len()..]).map(|s| (at, s))
                })
                .collect::<Vec<_>>()
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, seconds)| Duration::from_secs(seconds))
}

/// The number at the start of `rest`, after at most a few separators (`: '"=` and blanks).
fn seconds_after(rest: &str) -> Option<u64> {
    let skipped = rest
        .chars()
        .take(4)
        .take_while(|c| matches!(c, ' ' | ':' | '\'' | '"' | '='))
        .count();
    let digits: String = rest[skipped..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_azure_phrasings() {
        let secs = |n| Some(Duration::from_secs(n));
        assert_eq!(parse("Please try again after '17' seconds."), secs(17));
        assert_eq!(parse("Retry-After: 30"), secs(30));
        assert_eq!(parse("{\"Retry-After\": \"5\"}"), secs(5));
        assert_eq!(parse("try again after 1 second"), secs(1));
        assert_eq!(
            parse("retry after '2' then try again after '9' seconds"),
            secs(9)
        );
    }

    #[test]
    fn ignores_text_without_a_number() {
        assert_eq!(parse("please try again after some time"), None);
        assert_eq!(parse("no hint here"), None);
    }
}
