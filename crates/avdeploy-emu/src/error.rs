//! The emulator's operational errors: certificates, sockets, files and settings.

use std::path::PathBuf;

/// Why the emulator could not start or keep its state.
#[derive(Debug, thiserror::Error)]
pub enum EmuError {
    /// The socket on 127.0.0.1 could not be opened.
    #[error("failed to listen on 127.0.0.1")]
    Bind {
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The per-run certificate authority or server certificate could not be made.
    #[error("failed to create the emulator's certificates")]
    Certificate {
        /// The underlying error.
        #[source]
        source: rcgen::Error,
    },
    /// The store file is not the JSON the emulator writes.
    #[error("the emulator's store `{path}` is not valid")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// A file of the state directory could not be read or written.
    #[error("failed to access `{path}`")]
    File {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The server's thread or runtime could not be started.
    #[error("failed to start the emulator's runtime")]
    Runtime {
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An `AVDEPLOY_SIM_*` setting is invalid.
    #[error("invalid simulator setting")]
    Setting {
        /// The underlying error.
        #[source]
        source: avdeploy_sim::SimError,
    },
    /// The TLS configuration was refused.
    #[error("failed to configure TLS")]
    Tls {
        /// The underlying error.
        #[source]
        source: rustls::Error,
    },
}
