//! The request log `<state_dir>/requests.jsonl`: one line per request served, with its method,
//! path, api-version, status and duration, and the `az` command that sent it.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::error::EmuError;
use crate::exchange::Request;

/// The log's file name inside the state directory.
pub const REQUESTS_FILE: &str = "requests.jsonl";

/// An open request log (appended to, never truncated: runs follow one another).
#[derive(Debug)]
pub(crate) struct RequestsLog {
    path: PathBuf,
    file: File,
}

impl RequestsLog {
    /// Opens the log of `dir` for appending.
    pub(crate) fn open(dir: &Path) -> Result<Self, EmuError> {
        let path = dir.join(REQUESTS_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| EmuError::File {
                path: path.clone(),
                source,
            })?;
        Ok(Self { path, file })
    }

    /// Appends the record of one exchange; a failed write is reported, not fatal.
    pub(crate) fn record(&mut self, request: &Request, status: u16, ms: u128) {
        let mut line = json!({
            "time": avdeploy_sim::clock::iso_now(),
            "method": request.method,
            "path": request.path,
            "api-version": request.api_version(),
            "status": status,
            "ms": ms,
        });
        if let Some(command) = request.header("CommandName") {
            line["command"] = json!(command);
        }
        if let Err(e) = writeln!(self.file, "{line}") {
            eprintln!(
                "avdeploy emulator: failed to append to `{}`: {e}",
                self.path.display()
            );
        }
    }
}
