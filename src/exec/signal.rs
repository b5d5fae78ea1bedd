//! Ctrl-C (SIGINT) and SIGTERM for the scheduler: the first asks running operations to finish,
//! the second asks to kill them.

use std::sync::atomic::{AtomicU32, Ordering};

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// An interrupt, counted across SIGINT and SIGTERM together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interrupt {
    /// The first: start nothing new, wait for running operations.
    First,
    /// The second (and every later one): kill running operations.
    Second,
}

/// Installing the signal handlers failed.
#[derive(Debug, thiserror::Error)]
#[error("failed to install the {signal} handler")]
pub(crate) struct SignalError {
    /// `SIGINT` or `SIGTERM`.
    signal: &'static str,
    /// The I/O error.
    #[source]
    source: std::io::Error,
}

/// Installs SIGINT and SIGTERM handlers and returns the interrupts as they arrive. Must be called
/// inside a Tokio runtime; the handlers stay installed while the receiver lives.
pub(crate) fn interrupts() -> Result<mpsc::UnboundedReceiver<Interrupt>, SignalError> {
    let install = |kind: SignalKind, name: &'static str| {
        signal(kind).map_err(|source| SignalError {
            signal: name,
            source,
        })
    };
    let mut sigint = install(SignalKind::interrupt(), "SIGINT")?;
    let mut sigterm = install(SignalKind::terminate(), "SIGTERM")?;
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut count = 0u32;
        loop {
            tokio::select! {
                Some(()) = sigint.recv() => {}
                Some(()) = sigterm.recv() => {}
                else => break,
            }
            count += 1;
            let interrupt = if count == 1 {
                Interrupt::First
            } else {
                Interrupt::Second
            };
            if sender.send(interrupt).is_err() {
                break;
            }
        }
    });
    Ok(receiver)
}

/// SIGINT and SIGTERM counted while this guard lives, for work done before the runtime's
/// handlers exist (stopping what a dead engine left running); the previous handling of both
/// signals comes back when it is dropped.
pub(crate) struct EarlyInterrupts {
    previous: [(libc::c_int, libc::sigaction); 2],
}

/// Interrupts received while an [`EarlyInterrupts`] guard lived.
static EARLY_COUNT: AtomicU32 = AtomicU32::new(0);

extern "C" fn count_early(_signal: libc::c_int) {
    EARLY_COUNT.fetch_add(1, Ordering::SeqCst);
}

impl EarlyInterrupts {
    /// Starts counting (from zero).
    pub(crate) fn install() -> Self {
        EARLY_COUNT.store(0, Ordering::SeqCst);
        let previous = [libc::SIGINT, libc::SIGTERM].map(|signal| {
            // SAFETY: sigaction(2) with a zeroed struct, an empty mask and a handler that only
            // touches an atomic, which is async-signal-safe.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = count_early as *const () as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(signal, &action, &mut old);
                (signal, old)
            }
        });
        Self { previous }
    }

    /// How many interrupts arrived so far.
    pub(crate) fn count(&self) -> u32 {
        EARLY_COUNT.load(Ordering::SeqCst)
    }
}

impl Drop for EarlyInterrupts {
    fn drop(&mut self) {
        for (signal, old) in &self.previous {
            // SAFETY: restores the action saved by `install`.
            unsafe { libc::sigaction(*signal, old, std::ptr::null_mut()) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn counts_sigint_and_sigterm_together() {
        let mut receiver = interrupts().unwrap();
        let raise = |signal| {
            // SAFETY: raise(3) only delivers a signal to this process, whose handler is installed.
            unsafe { libc::raise(signal) };
        };
        raise(libc::SIGTERM);
        let first = tokio::time::timeout(Duration::from_secs(10), receiver.recv()).await;
        assert_eq!(first.unwrap(), Some(Interrupt::First));
        raise(libc::SIGINT);
        let second = tokio::time::timeout(Duration::from_secs(10), receiver.recv()).await;
        assert_eq!(second.unwrap(), Some(Interrupt::Second));
    }
}
