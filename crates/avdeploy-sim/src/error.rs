//! Operational errors of the simulator itself (its store and files), as opposed to the Azure
//! errors it simulates, which are `AzFailure` values (see the `failure` module).

use std::path::PathBuf;

/// An error of the simulator's own machinery.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The simulator's directory could not be created or read.
    #[error("failed to access simulator directory `{path}`")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The fault file could not be read.
    #[error("failed to read fault file `{path}`")]
    FaultFile {
        /// The file named by `AVDEPLOY_SIM_FAULTS_FILE`.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A fault rule could not be parsed.
    #[error("invalid fault rule `{rule}`: {reason}")]
    FaultRule {
        /// The rule as written.
        rule: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An environment variable holds a value the simulator cannot use.
    #[error("invalid value `{value}` for {name}: expected {expected}")]
    Setting {
        /// The variable's name.
        name: &'static str,
        /// Its value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The simulator's SQLite store failed.
    #[error("simulator store `{path}` failed")]
    Store {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored resource is not valid JSON.
    #[error("simulator store holds invalid JSON for `{key}`")]
    Corrupt {
        /// The resource key.
        key: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}
