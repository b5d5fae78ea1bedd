//! One `az` command run to its end within a time limit, with what it printed on each stream.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How an `az` command ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit code; `None` when it did not end within the limit (it was killed) or was
    /// killed by a signal.
    pub code: Option<i32>,
    /// Whether it ran past the limit.
    pub timed_out: bool,
    /// What it printed on standard output.
    pub stdout: String,
    /// What it printed on standard error.
    pub stderr: String,
}

impl Finished {
    /// Whether it exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs `command` (standard input closed) and waits for it, killing it after `limit`.
pub fn run(mut command: Command, limit: Duration) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;
    let readers = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .map(|stream| {
        stream.map(|mut stream| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stream.read_to_string(&mut text);
                text
            })
        })
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let [stdout, stderr] =
        readers.map(|reader| reader.and_then(|r| r.join().ok()).unwrap_or_default());
    Ok(Finished {
        code: status.and_then(|status| status.code()),
        timed_out: status.is_none(),
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_kept_apart_and_a_hung_command_is_killed() {
        let mut command = Command::new("bash");
        command.args(["-c", "echo out; echo err >&2; exit 3"]);
        let finished = run(command, Duration::from_secs(30)).unwrap();
        assert_eq!(
            (
                finished.code,
                finished.stdout.as_str(),
                finished.stderr.as_str()
            ),
            (Some(3), "out\n", "err\n")
        );
        let mut command = Command::new("sleep");
        command.arg("30");
        let finished = run(command, Duration::from_millis(100)).unwrap();
        assert!(finished.timed_out && !finished.success());
    }
}
