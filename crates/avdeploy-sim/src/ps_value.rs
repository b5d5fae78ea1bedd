//! Values on the simulated VM: what the walker knows of a PowerShell value, and the operators on
//! them. `Unknown` stands for anything it cannot compute (a cmdlet's result, a process's exit
//! code); every operation on it is unknown too.

/// A value, or the fact that it is not known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// `$true` / `$false`.
    Bool(bool),
    /// An ordered list (`@(...)`, `a, b`).
    List(Vec<Val>),
    /// A hashtable, keys in insertion order (compared case-insensitively).
    Map(Vec<(String, Val)>),
    /// `$null`.
    Null,
    /// An integer.
    Num(i64),
    /// A string.
    Str(String),
    /// Not known to the simulator.
    Unknown,
}

impl Val {
    /// Whether the value counts as true in a condition; `None` when unknown.
    pub(crate) fn truth(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::List(items) => match items.as_slice() {
                [] => Some(false),
                [one] => one.truth(),
                _ => Some(true),
            },
            Self::Map(_) => Some(true),
            Self::Null => Some(false),
            Self::Num(n) => Some(*n != 0),
            Self::Str(s) => Some(!s.is_empty()),
            Self::Unknown => None,
        }
    }

    /// The value as PowerShell turns it into text; `None` when unknown.
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Self::Bool(true) => Some("True".to_owned()),
            Self::Bool(false) => Some("False".to_owned()),
            Self::List(items) => {
                let texts: Option<Vec<String>> = items.iter().map(Self::text).collect();
                texts.map(|t| t.join(" "))
            }
            Self::Map(_) => Some("System.Collections.Hashtable".to_owned()),
            Self::Null => Some(String::new()),
            Self::Num(n) => Some(n.to_string()),
            Self::Str(s) => Some(s.clone()),
            Self::Unknown => None,
        }
    }

    /// The value as a number, when it is one or a string holding one.
    fn number(&self) -> Option<i64> {
        match self {
            Self::Num(n) => Some(*n),
            Self::Str(s) => s.trim().parse().ok(),
            Self::Bool(b) => Some(i64::from(*b)),
            Self::Null => Some(0),
            _ => None,
        }
    }

    /// `self -eq other` (`case` for `-ceq`); `None` when unknown.
    pub(crate) fn equals(&self, other: &Self, case: bool) -> Option<bool> {
        match (self, other) {
            (Self::Unknown, _) | (_, Self::Unknown) => None,
            (Self::Null, other) | (other, Self::Null) => Some(matches!(other, Self::Null)),
            (Self::Num(a), b) => b.number().map(|b| *a == b),
            (Self::Bool(a), b) => b.truth().map(|b| *a == b),
            (Self::Str(a), b) => {
                let b = b.text()?;
                Some(if case {
                    *a == b
                } else {
                    a.eq_ignore_ascii_case(&b)
                })
            }
            _ => None,
        }
    }

    /// `self` compared with `other` for `-lt`/`-gt`/...; `None` when unknown.
    pub(crate) fn order(&self, other: &Self) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Self::Num(a), b) => b.number().map(|b| a.cmp(&b)),
            (Self::Str(a), b) => {
                let b = b.text()?;
                Some(a.to_lowercase().cmp(&b.to_lowercase()))
            }
            _ => None,
        }
    }

    /// `self + other`.
    pub(crate) fn add(&self, other: &Self) -> Self {
        match (self, other) {
            (Self::Unknown, _) | (_, Self::Unknown) => Self::Unknown,
            (Self::Null, other) => other.clone(),
            (Self::Num(a), b) => b
                .number()
                .and_then(|b| a.checked_add(b))
                .map_or(Self::Unknown, Self::Num),
            (Self::Str(a), b) => b
                .text()
                .map_or(Self::Unknown, |b| Self::Str(format!("{a}{b}"))),
            (Self::List(items), b) => {
                let mut items = items.clone();
                match b {
                    Self::List(more) => items.extend(more.iter().cloned()),
                    other => items.push(other.clone()),
                }
                Self::List(items)
            }
            _ => Self::Unknown,
        }
    }

    /// The items a `foreach` walks: a list's items, nothing for `$null`, else the value itself.
    pub(crate) fn items(&self) -> Vec<Self> {
        match self {
            Self::List(items) => items.clone(),
            Self::Null => Vec::new(),
            other => vec![other.clone()],
        }
    }
}

/// `'{0} and {1}' -f a, b`: `{N}` and `{N:format}` / `{N,width}` replaced by the text of the N-th
/// argument (the format ignored), `{{` and `}}` unescaped; `None` when an argument used is unknown.
pub(crate) fn format(template: &str, args: &[Val]) -> Option<String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut spec = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    spec.push(c);
                }
                let index: usize = spec
                    .split([':', ','])
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .parse()
                    .ok()?;
                out.push_str(&args.get(index).unwrap_or(&Val::Null).text()?);
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// `text -like pattern`: `*` and `?` wildcards, case-insensitive.
pub(crate) fn like(text: &str, pattern: &str) -> bool {
    fn matches(text: &[char], pattern: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) => (0..=text.len()).any(|skip| matches(&text[skip..], rest)),
            Some(('?', rest)) => !text.is_empty() && matches(&text[1..], rest),
            Some((c, rest)) => text.first() == Some(c) && matches(&text[1..], rest),
        }
    }
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    matches(&text, &pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_follows_powershell() {
        let s = |t: &str| Val::Str(t.to_owned());
        assert_eq!(s("MSI").equals(&s("msi"), false), Some(true));
        assert_eq!(s("MSI").equals(&s("msi"), true), Some(false));
        assert_eq!(Val::Num(1618).equals(&s("1618"), false), Some(true));
        assert_eq!(Val::Null.equals(&Val::Unknown, false), None);
        assert_eq!(Val::Null.equals(&s(""), false), Some(false));
        assert_eq!(s("a").add(&Val::Num(1)), s("a1"));
        assert_eq!(Val::Unknown.truth(), None);
    }

    #[test]
    fn format_and_like() {
        let args = [Val::Str("Chrome".into()), Val::Num(3010)];
        assert_eq!(
            format("{0}: exit code {1:N0} {{x}}", &args).as_deref(),
            Some("Chrome: exit code 3010 {x}")
        );
        assert_eq!(format("{0} {1}", &[Val::Unknown]), None);
        assert!(like("RDAgent.msi", "rdagent*.MSI"));
        assert!(!like("x.msix", "*.msi"));
    }
}
