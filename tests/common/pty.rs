//! Runs a command on a pseudo-terminal and reads what a user would see: every byte it wrote,
//! and the screen those bytes draw (interpreted by a VT100 emulator).

#![allow(dead_code, reason = "each test file uses part of the helper")]

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Screen rows of the terminal.
pub(crate) const ROWS: u16 = 40;
/// Screen columns of the terminal.
pub(crate) const COLS: u16 = 160;

/// A child process whose standard input, output and error are a pseudo-terminal.
pub(crate) struct Pty {
    child: Child,
    master: std::fs::File,
    output: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Pty {
    /// Starts `cmd` as the leader of a new session whose controlling terminal is the pty.
    pub(crate) fn spawn(mut cmd: Command) -> Self {
        let (master, slave) = open_pty();
        cmd.stdin(Stdio::from(slave.try_clone().expect("dup pty")))
            .stdout(Stdio::from(slave.try_clone().expect("dup pty")))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on the pty");
        // The parent's copies of the slave side went away with `cmd`'s stdio.
        drop(cmd);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reading = master.try_clone().expect("clone pty master");
        let sink = Arc::clone(&output);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Reading fails with EIO once no process holds the slave side any more.
            while let Ok(n) = reading.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("pty output")
                    .extend_from_slice(&buf[..n]);
            }
        });
        Self {
            child,
            master,
            output,
            reader: Some(reader),
        }
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Types `bytes` on the terminal (`b"\x03"` is Ctrl-C).
    pub(crate) fn type_bytes(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("write to the pty");
    }

    /// Every byte written so far.
    pub(crate) fn raw(&self) -> Vec<u8> {
        self.output.lock().expect("pty output").clone()
    }

    /// The screen as drawn so far, one string per row, trailing blanks trimmed.
    pub(crate) fn screen(&self) -> Vec<String> {
        screen_of(&self.raw())
    }

    /// Polls the screen until `check` holds or `limit` passes; the last screen seen either way.
    pub(crate) fn wait_for_screen(
        &self,
        limit: Duration,
        check: impl Fn(&[String]) -> bool,
    ) -> (bool, Vec<String>) {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if check(&screen) {
                return (true, screen);
            }
            if Instant::now() > deadline {
                return (false, screen);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal echoes control characters (`^C`) as typed.
    pub(crate) fn echoes_control_chars(&self) -> bool {
        // SAFETY: an all-zero termios is a valid value for tcgetattr to overwrite.
        let mut settings: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: the master side reports the terminal's settings into `settings`.
        let rc = unsafe { libc::tcgetattr(self.master.as_raw_fd(), &raw mut settings) };
        assert_eq!(rc, 0, "tcgetattr: {}", std::io::Error::last_os_error());
        settings.c_lflag & libc::ECHOCTL != 0
    }

    /// Waits for the process to exit (at most `limit`) and for its last output; returns the
    /// exit code and every byte it wrote.
    pub(crate) fn finish(&mut self, limit: Duration) -> (Option<i32>, Vec<u8>) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the child") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the command did not exit within {limit:?}; screen:\n{}",
                    self.screen().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status.code(), self.raw())
    }
}

/// The screen `bytes` draw on a fresh terminal, one string per row, trailing blanks trimmed.
pub(crate) fn screen_of(bytes: &[u8]) -> Vec<String> {
    let mut parser = vt100::Parser::new(ROWS, COLS, 0);
    parser.process(bytes);
    parser
        .screen()
        .rows(0, COLS)
        .map(|row| row.trim_end().to_owned())
        .collect()
}

/// Whether `bytes` hold an ANSI colour or style sequence (`ESC [ ... m`).
pub(crate) fn has_sgr(bytes: &[u8]) -> bool {
    bytes.windows(2).enumerate().any(|(i, w)| {
        w == b"\x1b[" && {
            let rest = &bytes[i + 2..];
            let params = rest
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';')
                .count();
            rest.get(params) == Some(&b'm')
        }
    })
}

fn open_pty() -> (std::fs::File, OwnedFd) {
    let mut master = -1;
    let mut slave = -1;
    let size = libc::winsize {
        ws_row: ROWS,
        ws_col: COLS,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors it opened; the size is read only.
    let rc = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &raw const size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors are fresh and owned by nothing else.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    }
}
