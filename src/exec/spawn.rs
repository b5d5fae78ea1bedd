//! How an attempt's process starts, behind one seam: [`Spawn`] hands supervision a
//! [`Started`] process (its exit, its output lines, a signal to its group). The engine starts
//! [`Bash`]; its unit tests start stand-ins that run on the tokio clock, so that scheduling,
//! retries and timeouts can be checked on virtual time.

use std::future::Future;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use crate::exec::attempt_log::Stream;
use crate::exec::unit::UnitSpec;
use crate::exec::unix::{GroupSignal, signal_group};

/// `bash` as found on the engine's PATH once, so that each spawn does not search PATH again;
/// plain `bash` (searched at spawn) when it is not found.
fn bash() -> &'static std::path::Path {
    static BASH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BASH.get_or_init(|| {
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join("bash"))
            .find(|path| path.is_file())
            .unwrap_or_else(|| "bash".into())
    })
}

/// Starts the process of one attempt.
pub(crate) trait Spawn: Send + Sync {
    /// Starts the process for `spec`.
    fn spawn(&self, spec: &UnitSpec) -> std::io::Result<Started>;
}

/// The exit of a started process: its exit code (128 + signal when a signal ended it).
pub(crate) type Exit = Pin<Box<dyn Future<Output = std::io::Result<Option<i32>>> + Send>>;

/// A started process as supervision sees it.
pub(crate) struct Started {
    /// The process id, also its process group id.
    pub pid: u32,
    /// Resolves when the leader has exited.
    pub exit: Exit,
    /// Its output lines; the channel closes when no process holds the output open.
    pub lines: UnboundedReceiver<(Stream, String)>,
    /// The tasks reading the output, aborted once the process group is gone.
    pub readers: Vec<JoinHandle<()>>,
    /// Sends a signal to the whole process group.
    pub signal: Box<dyn Fn(GroupSignal) + Send + Sync>,
}

/// Runs each attempt as `bash <script>`, the leader of a new process group.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bash;

impl Spawn for Bash {
    fn spawn(&self, spec: &UnitSpec) -> std::io::Result<Started> {
        let mut child = Command::new(bash())
            .arg(&spec.script)
            .current_dir(&spec.cwd)
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()?;
        let pid = child.id().unwrap_or_default();
        let (line_tx, lines) = mpsc::unbounded_channel();
        let readers = [
            child
                .stdout
                .take()
                .map(|out| read_lines(out, Stream::Stdout, line_tx.clone())),
            child
                .stderr
                .take()
                .map(|err| read_lines(err, Stream::Stderr, line_tx.clone())),
        ];
        Ok(Started {
            pid,
            exit: Box::pin(async move { child.wait().await.map(exit_code_of) }),
            lines,
            readers: readers.into_iter().flatten().collect(),
            signal: Box::new(move |signal| {
                signal_group(pid, signal);
            }),
        })
    }
}

fn read_lines<R>(
    reader: R,
    stream: Stream,
    lines: UnboundedSender<(Stream, String)>,
) -> JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut reader = BufReader::new(reader);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer);
                    let line = line.trim_end_matches(['\n', '\r']).to_owned();
                    if lines.send((stream, line)).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

fn exit_code_of(status: ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
}
