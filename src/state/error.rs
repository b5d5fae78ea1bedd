//! Errors of the state layer: opening, migrating, reading and writing the SQLite database.

use std::path::PathBuf;

/// Something went wrong with the state database.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The state folder could not be created.
    #[error("failed to create state folder `{path}`")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer avdeploy with a schema this one does not know.
    #[error(
        "state database `{path}` has schema version {found}, newer than the {supported} this avdeploy knows; upgrade avdeploy"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The version found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The database path is not a regular file (a folder, for example).
    #[error("state database `{path}` is not a file; move it away to start from scratch")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The database file could not be inspected or set aside.
    #[error("cannot {action} state database `{path}`")]
    File {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Opening the database failed.
    #[error("failed to open state database `{path}`")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored value could not be understood.
    #[error("state database holds an invalid {what}: `{value}`")]
    InvalidValue {
        /// What kind of value (for example "operation status").
        what: &'static str,
        /// The stored text.
        value: String,
    },
    /// The disk holding the database is full. The write that hit it was recorded in the space
    /// the store keeps in reserve for this moment, so state still tells the truth.
    #[error(
        "the disk holding state database `{path}` is full (the last event was recorded in reserved space)"
    )]
    DiskFull {
        /// The database file.
        path: PathBuf,
        /// The SQLite error of the first try.
        #[source]
        source: rusqlite::Error,
    },
    /// A query or write failed.
    #[error("failed to {action} in the state database")]
    Sql {
        /// What was being done, as a verb phrase ("record the start of run `x`").
        action: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
}

impl StateError {
    /// Wraps a SQLite error with the action that failed.
    pub(crate) fn sql(action: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Self {
        let action = action.into();
        move |source| Self::Sql { action, source }
    }
}
