//! The terminal under the progress bars. A terminal echoes Ctrl-C as `^C` where the cursor is,
//! behind the bars' last line, which pushes the bars one line down without their knowing and
//! leaves a stale bar in the scrollback. While bars are drawn, control characters are not
//! echoed (the interrupt itself still works); the setting is restored when the bars go.

/// Keeps control characters from being echoed on the terminal of standard output (where the
/// bars are drawn) until dropped.
#[derive(Debug)]
pub struct QuietControlChars {
    saved: libc::termios,
}

impl QuietControlChars {
    /// Turns off the echo of control characters (`ECHOCTL`) when standard output is a terminal
    /// that echoes them; `None` when there is nothing to change.
    pub fn engage() -> Option<Self> {
        let fd = libc::STDOUT_FILENO;
        // SAFETY: isatty only inspects the descriptor.
        if unsafe { libc::isatty(fd) } != 1 {
            return None;
        }
        // A background job changing the terminal would be stopped by SIGTTOU.
        // SAFETY: both calls only read process and terminal ids.
        if unsafe { libc::tcgetpgrp(fd) != libc::getpgrp() } {
            return None;
        }
        // SAFETY: an all-zero termios is a valid value for tcgetattr to overwrite.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `saved` is a valid termios to write to.
        if unsafe { libc::tcgetattr(fd, &raw mut saved) } != 0 {
            return None;
        }
        if saved.c_lflag & libc::ECHOCTL == 0 {
            return None;
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHOCTL;
        // SAFETY: `quiet` is the terminal's own settings with one flag cleared.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw const quiet) } != 0 {
            return None;
        }
        Some(Self { saved })
    }
}

impl Drop for QuietControlChars {
    fn drop(&mut self) {
        // SAFETY: restores the settings read from the same descriptor.
        unsafe {
            libc::tcsetattr(libc::STDOUT_FILENO, libc::TCSANOW, &raw const self.saved);
        }
    }
}
