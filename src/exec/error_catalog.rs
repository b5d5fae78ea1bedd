//! The error catalog: text patterns that name the class of a failure and whether to retry it.
//! A built-in catalog is compiled in; a deployment's `errors.yaml` adds entries tried first.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::exec::retry_after;

const BUILTIN: &str = include_str!("errors.yaml");

/// Retry limits used when a `policy: retry` entry leaves them out.
const DEFAULT_LIMITS: RetryLimits = RetryLimits {
    max_attempts: 5,
    backoff: Duration::from_secs(10),
    max_delay: Duration::from_secs(120),
    max_elapsed: None,
};

/// The most attempts an error class may allow.
const MAX_ATTEMPTS: u32 = 100;

/// The longest `backoff`, `max_delay` or `max_elapsed` an error class may set: one day.
const MAX_SECONDS: u64 = 86_400;

/// Why a deployment's error catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CatalogError {
    /// An entry is inconsistent.
    #[error("error catalog `{path}`: entry {index} (`{class}`): {message}")]
    Invalid {
        /// The catalog file.
        path: PathBuf,
        /// 1-based index of the entry.
        index: usize,
        /// The entry's class.
        class: String,
        /// What is wrong.
        message: String,
    },
    /// The file is not a valid catalog.
    #[error("failed to parse error catalog `{path}`")]
    Parse {
        /// The catalog file.
        path: PathBuf,
        /// The YAML error.
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// The file could not be read.
    #[error("failed to read error catalog `{path}`")]
    Read {
        /// The catalog file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// What to do about a failure of a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorPolicy {
    /// Fail at once: retrying cannot help.
    Fail,
    /// Retry within these limits.
    Retry(RetryLimits),
}

/// How far a retryable class may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryLimits {
    /// The most attempts, the first included.
    pub max_attempts: u32,
    /// Base of the exponential backoff.
    pub backoff: Duration,
    /// The longest single backoff wait.
    pub max_delay: Duration,
    /// No retry starts later than this after the first attempt started.
    pub max_elapsed: Option<Duration>,
}

/// One class of failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ErrorEntry {
    /// The class name, e.g. `run_command_conflict`.
    pub class: String,
    /// Texts that identify the class; any one occurring (case-insensitive) in a line matches.
    pub patterns: Vec<String>,
    /// Retry or fail.
    pub policy: ErrorPolicy,
    /// What the user can do about it.
    pub hint: Option<String>,
}

/// The class a failure's output belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Classification {
    /// The class name.
    pub class: String,
    /// Retry or fail.
    pub policy: ErrorPolicy,
    /// What the user can do about it.
    pub hint: Option<String>,
    /// The wait Azure asked for (`Retry-After`, "try again after 'N' seconds"), if any.
    pub retry_after: Option<Duration>,
    /// The (last) line that matched, trimmed.
    pub line: String,
}

/// An ordered list of error classes; the first entry matching a failure's output wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ErrorCatalog {
    entries: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    errors: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    class: String,
    #[serde(rename = "match")]
    patterns: Vec<String>,
    policy: RawPolicy,
    hint: Option<String>,
    max_attempts: Option<u32>,
    backoff: Option<u64>,
    max_delay: Option<u64>,
    max_elapsed: Option<u64>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawPolicy {
    Fail,
    Retry,
}

impl ErrorCatalog {
    /// The catalog compiled into avdeploy (`src/exec/errors.yaml`).
    pub(crate) fn builtin() -> Self {
        // The built-in text is a compile-time constant that a unit test parses.
        Self::parse(BUILTIN, Path::new("<built-in>"))
            .unwrap_or_else(|err| panic!("the built-in error catalog is invalid: {err}"))
    }

    /// The built-in catalog with the entries of the deployment's `path` tried first.
    pub(crate) fn with_file(path: &Path) -> Result<Self, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut catalog = Self::parse(&text, path)?;
        catalog.entries.extend(Self::builtin().entries);
        Ok(catalog)
    }

    /// Parses catalog YAML; `path` names it in errors.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, CatalogError> {
        let raw: RawCatalog =
            serde_saphyr::from_str(text).map_err(|source| CatalogError::Parse {
                path: path.to_owned(),
                source: Box::new(source),
            })?;
        let entries = raw
            .errors
            .into_iter()
            .enumerate()
            .map(|(index, entry)| {
                entry_from_raw(entry).map_err(|(class, message)| CatalogError::Invalid {
                    path: path.to_owned(),
                    index: index + 1,
                    class,
                    message,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// The class of the failure whose output is `text`, if an entry matches.
    pub(crate) fn classify(&self, text: &str) -> Option<Classification> {
        let lines: Vec<(&str, String)> = text
            .lines()
            .map(|line| (line, line.to_lowercase()))
            .collect();
        self.entries.iter().find_map(|entry| {
            let patterns: Vec<String> = entry.patterns.iter().map(|p| p.to_lowercase()).collect();
            let (line, _) = lines
                .iter()
                .rev()
                .find(|(_, lower)| patterns.iter().any(|p| lower.contains(p.as_str())))?;
            Some(Classification {
                class: entry.class.clone(),
                policy: entry.policy,
                hint: entry.hint.clone(),
                retry_after: retry_after::parse(text),
                line: line.trim().to_owned(),
            })
        })
    }
}

fn entry_from_raw(raw: RawEntry) -> Result<ErrorEntry, (String, String)> {
    let fail = |message: &str| (raw.class.clone(), message.to_owned());
    if raw.class.trim().is_empty() {
        return Err(fail("`class` is empty"));
    }
    if raw.patterns.is_empty() || raw.patterns.iter().any(|p| p.trim().is_empty()) {
        return Err(fail("`match` needs at least one non-empty text"));
    }
    let has_limits = raw.max_attempts.is_some()
        || raw.backoff.is_some()
        || raw.max_delay.is_some()
        || raw.max_elapsed.is_some();
    let policy = match raw.policy {
        RawPolicy::Fail if has_limits => {
            return Err(fail(
                "`max_attempts`, `backoff`, `max_delay` and `max_elapsed` need `policy: retry`",
            ));
        }
        RawPolicy::Fail => ErrorPolicy::Fail,
        RawPolicy::Retry => {
            let limits = RetryLimits {
                max_attempts: raw.max_attempts.unwrap_or(DEFAULT_LIMITS.max_attempts),
                backoff: raw
                    .backoff
                    .map_or(DEFAULT_LIMITS.backoff, Duration::from_secs),
                max_delay: raw
                    .max_delay
                    .map_or(DEFAULT_LIMITS.max_delay, Duration::from_secs),
                max_elapsed: raw.max_elapsed.map(Duration::from_secs),
            };
            if !(2..=MAX_ATTEMPTS).contains(&limits.max_attempts) {
                return Err(fail(&format!(
                    "`max_attempts` of a retry policy must be between 2 and {MAX_ATTEMPTS}"
                )));
            }
            for (key, value) in [
                ("backoff", raw.backoff),
                ("max_delay", raw.max_delay),
                ("max_elapsed", raw.max_elapsed),
            ] {
                if value.is_some_and(|seconds| seconds > MAX_SECONDS) {
                    return Err(fail(&format!(
                        "`{key}` must be at most {MAX_SECONDS} seconds (one day)"
                    )));
                }
            }
            ErrorPolicy::Retry(limits)
        }
    };
    Ok(ErrorEntry {
        class: raw.class,
        patterns: raw.patterns,
        policy,
        hint: raw.hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(text: &str) -> Option<String> {
        ErrorCatalog::builtin().classify(text).map(|c| c.class)
    }

    #[test]
    fn builtin_parses_and_knows_the_azure_texts() {
        let conflict = "ERROR: (Conflict) Run command extension execution is in progress. \
                        Please wait for completion before invoking a run command.";
        assert_eq!(class_of(conflict).as_deref(), Some("run_command_conflict"));
        assert_eq!(
            class_of("ERROR: Please run 'az login' to setup account.").as_deref(),
            Some("az_login_required")
        );
        assert_eq!(
            class_of("(RetryableErrorDueToAnotherOperation) x").as_deref(),
            Some("another_operation_in_progress")
        );
        assert_eq!(
            class_of("(RetryableError) x").as_deref(),
            Some("retryable_error")
        );
        assert_eq!(
            class_of("(QuotaExceeded) cores").as_deref(),
            Some("quota_exceeded")
        );
        assert_eq!(class_of("something else entirely"), None);
    }

    #[test]
    fn classification_carries_policy_hint_line_and_retry_after() {
        let text = "starting\nERROR: (SubscriptionRequestsThrottled) Number of requests exceeded. \
                    Please try again after '7' seconds.\n";
        let found = ErrorCatalog::builtin().classify(text).unwrap();
        assert_eq!(found.class, "throttled");
        assert!(matches!(found.policy, ErrorPolicy::Retry(_)));
        assert!(found.hint.is_some());
        assert_eq!(found.retry_after, Some(Duration::from_secs(7)));
        assert!(
            found
                .line
                .starts_with("ERROR: (SubscriptionRequestsThrottled)")
        );
    }

    #[test]
    fn deployment_entries_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("errors.yaml");
        let yaml = "errors:\n  - class: my_conflict\n    match: [\"Run command extension\"]\n    \
                    policy: fail\n    hint: \"ours\"\n";
        std::fs::write(&path, yaml).unwrap();
        let catalog = ErrorCatalog::with_file(&path).unwrap();
        let found = catalog
            .classify("Run command extension execution is in progress")
            .unwrap();
        assert_eq!(found.class, "my_conflict");
        assert_eq!(found.policy, ErrorPolicy::Fail);
        assert_eq!(
            catalog.classify("(PrincipalNotFound)").unwrap().class,
            "principal_not_found"
        );
    }

    #[test]
    fn invalid_catalogs_are_refused() {
        let path = Path::new("errors.yaml");
        let limits_on_fail =
            "errors:\n  - class: a\n    match: [x]\n    policy: fail\n    backoff: 3\n";
        assert!(matches!(
            ErrorCatalog::parse(limits_on_fail, path),
            Err(CatalogError::Invalid { index: 1, .. })
        ));
        let no_pattern = "errors:\n  - class: a\n    match: []\n    policy: retry\n";
        assert!(matches!(
            ErrorCatalog::parse(no_pattern, path),
            Err(CatalogError::Invalid { .. })
        ));
        let unknown_key =
            "errors:\n  - class: a\n    match: [x]\n    policy: retry\n    tries: 3\n";
        assert!(matches!(
            ErrorCatalog::parse(unknown_key, path),
            Err(CatalogError::Parse { .. })
        ));
        assert!(matches!(
            ErrorCatalog::with_file(Path::new("/nonexistent/errors.yaml")),
            Err(CatalogError::Read { .. })
        ));
    }

    #[test]
    fn limits_out_of_range_are_refused() {
        let entry = |limits: &str| {
            format!("errors:\n  - class: c\n    match: [x]\n    policy: retry\n{limits}")
        };
        for (limits, expected) in [
            (
                "    max_delay: 18446744073709551615\n",
                "`max_delay` must be at most 86400",
            ),
            ("    backoff: 86401\n", "`backoff` must be at most 86400"),
            (
                "    max_elapsed: 100000000\n",
                "`max_elapsed` must be at most",
            ),
            ("    max_attempts: 4000000000\n", "between 2 and 100"),
        ] {
            let error = ErrorCatalog::parse(&entry(limits), Path::new("errors.yaml")).unwrap_err();
            assert!(error.to_string().contains(expected), "{limits}: {error}");
        }
        assert!(ErrorCatalog::parse(&entry("    max_delay: 86400\n"), Path::new("e")).is_ok());
    }
}
