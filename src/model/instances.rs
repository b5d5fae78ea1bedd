//! Operation instances and conditions: `for_each:` turns one operation into one instance per
//! item (`<id>@<item>`), `when:` decides at start whether an operation runs.

use crate::base::span::Spanned;
use crate::model::variables::{Destination, RenderError, Variables};

/// The most instances one `for_each` may make.
pub const MAX_ITEMS: usize = 500;

/// The variable holding an instance's item, in its environment and as `{{AVD_ITEM}}`.
pub const ITEM_VARIABLE: &str = "AVD_ITEM";

/// The reason an operation whose `when:` is false is skipped.
pub const WHEN_FALSE: &str = "when: false";

/// Rendered `when:` values that mean false (compared case-insensitively, trimmed).
const FALSE_WORDS: &[&str] = &["", "false", "no", "0", "off"];

/// `for_each:` of an operation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ForEach {
    /// `{ count: "{{N}}" }`: items `1` to `N`.
    Count(Spanned<String>),
    /// `"{{NAMES}}"`: the rendered text split on whitespace.
    Items(Spanned<String>),
}

/// Why the items of a `for_each` cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForEachError {
    /// The count is not a whole number from 1 to [`MAX_ITEMS`].
    #[error("for_each.count must be a whole number from 1 to {MAX_ITEMS}, found `{found}`")]
    Count {
        /// The rendered count.
        found: String,
    },
    /// An item appears twice.
    #[error("for_each item `{item}` appears twice")]
    Duplicate {
        /// The item.
        item: String,
    },
    /// The rendered list is empty.
    #[error("for_each has no items (the rendered list is empty)")]
    Empty,
    /// An item holds characters that cannot name a file.
    #[error(
        "for_each item `{item}` holds characters that cannot be part of an operation id (letters, digits, `.`, `_` and `-` only)"
    )]
    Item {
        /// The item.
        item: String,
    },
    /// A placeholder of the text cannot be substituted.
    #[error("{}", .0.iter().map(RenderError::message).collect::<Vec<_>>().join("; "))]
    Render(Vec<RenderError>),
    /// More items than [`MAX_ITEMS`].
    #[error("for_each makes {found} instances, more than the {MAX_ITEMS} allowed")]
    TooMany {
        /// How many items were found.
        found: usize,
    },
}

impl ForEach {
    /// The text as written.
    pub fn text(&self) -> &Spanned<String> {
        match self {
            Self::Count(text) | Self::Items(text) => text,
        }
    }

    /// Whether `other` is the same `for_each` as written (kind and text, wherever it is).
    pub fn same_as(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.text().value == other.text().value
    }

    /// The items, in order: `1..=N` for a count, the split list otherwise.
    pub fn items(&self, vars: &Variables) -> Result<Vec<String>, ForEachError> {
        let rendered = vars
            .render(&self.text().value, Destination::Value)
            .map_err(ForEachError::Render)?;
        let items: Vec<String> = match self {
            Self::Count(_) => {
                let count = rendered
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_ITEMS).contains(n))
                    .ok_or_else(|| ForEachError::Count {
                        found: rendered.clone(),
                    })?;
                (1..=count).map(|i| i.to_string()).collect()
            }
            Self::Items(_) => rendered.split_whitespace().map(str::to_owned).collect(),
        };
        if items.is_empty() {
            return Err(ForEachError::Empty);
        }
        if items.len() > MAX_ITEMS {
            return Err(ForEachError::TooMany { found: items.len() });
        }
        for (index, item) in items.iter().enumerate() {
            if !is_item(item) {
                return Err(ForEachError::Item { item: item.clone() });
            }
            if items[..index].contains(item) {
                return Err(ForEachError::Duplicate { item: item.clone() });
            }
        }
        Ok(items)
    }
}

/// Whether `item` can be part of an id and a file name: letters, digits, `.`, `_` and `-`,
/// starting with a letter or digit (the rule of operation ids).
fn is_item(item: &str) -> bool {
    item.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && item
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The id of one instance: `<id>@<item>`.
pub fn instance_id(id: &str, item: &str) -> String {
    format!("{id}@{item}")
}

/// An instance id split into the operation id and the item (`None` for a plain id).
pub fn split_instance(id: &str) -> (&str, Option<&str>) {
    match id.split_once('@') {
        Some((op, item)) => (op, Some(item)),
        None => (id, None),
    }
}

/// Whether a rendered `when:` value means the operation runs.
pub fn when_holds(rendered: &str) -> bool {
    let value = rendered.trim();
    !FALSE_WORDS
        .iter()
        .any(|word| value.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::span::Span;
    use crate::model::variables::{Origin, Variable};

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        let mut vars = Variables::default();
        for (name, value) in pairs {
            vars.insert(Variable {
                name: (*name).into(),
                value: (*value).into(),
                secret: false,
                origin: Origin::Config,
                location: None,
            });
        }
        vars
    }

    fn text(value: &str) -> Spanned<String> {
        Spanned::new(value.to_owned(), Span::default())
    }

    #[test]
    fn a_count_makes_numbered_items_within_bounds() {
        let v = vars(&[("N", "3"), ("BIG", "501"), ("ZERO", "0"), ("WORD", "two")]);
        let items = ForEach::Count(text("{{N}}")).items(&v).unwrap();
        assert_eq!(items, ["1", "2", "3"]);
        for bad in ["{{BIG}}", "{{ZERO}}", "{{WORD}}", "-1"] {
            let error = ForEach::Count(text(bad)).items(&v).unwrap_err();
            assert!(
                matches!(error, ForEachError::Count { .. }),
                "{bad}: {error}"
            );
        }
        assert_eq!(
            ForEach::Count(text("500")).items(&v).unwrap().len(),
            MAX_ITEMS
        );
    }

    #[test]
    fn a_list_splits_on_whitespace_and_refuses_bad_items() {
        let v = vars(&[
            ("NAMES", " vm-a  vm-b\tvm-c "),
            ("DUP", "a b a"),
            ("BAD", "a ../b"),
            ("NONE", "  "),
        ]);
        let items = ForEach::Items(text("{{NAMES}}")).items(&v).unwrap();
        assert_eq!(items, ["vm-a", "vm-b", "vm-c"]);
        let error = |t: &str| ForEach::Items(text(t)).items(&v).unwrap_err();
        assert_eq!(
            error("{{DUP}}"),
            ForEachError::Duplicate { item: "a".into() }
        );
        assert_eq!(
            error("{{BAD}}"),
            ForEachError::Item {
                item: "../b".into()
            }
        );
        assert_eq!(error("{{NONE}}"), ForEachError::Empty);
        assert!(matches!(error("{{MISSING}}"), ForEachError::Render(_)));
        let many = (0..=MAX_ITEMS)
            .map(|i| format!("h{i} "))
            .collect::<String>();
        assert_eq!(
            error(&many),
            ForEachError::TooMany {
                found: MAX_ITEMS + 1
            }
        );
    }

    #[test]
    fn when_is_false_only_for_the_false_words() {
        for value in ["", " ", "false", "FALSE", "No", "0", "off", " Off "] {
            assert!(!when_holds(value), "{value:?}");
        }
        for value in ["true", "yes", "1", "on", "enabled", "2"] {
            assert!(when_holds(value), "{value:?}");
        }
    }

    #[test]
    fn instance_ids_split_back() {
        assert_eq!(instance_id("host-create", "2"), "host-create@2");
        assert_eq!(split_instance("host-create@2"), ("host-create", Some("2")));
        assert_eq!(split_instance("host-create"), ("host-create", None));
    }
}
