//! The unit tasks of a run, owned by one `JoinSet`: a unit that panics is reported as a failure
//! of its operation, with the panic message, instead of vanishing and leaving the run waiting
//! for it forever.

use std::collections::HashMap;
use std::future::Future;

use tokio::task::{Id, JoinError, JoinSet};

/// The running unit tasks, each known by the index of its planned operation.
pub(crate) struct Units<T> {
    tasks: JoinSet<T>,
    indices: HashMap<Id, usize>,
}

impl<T: Send + 'static> Units<T> {
    /// No task yet.
    pub(crate) fn new() -> Self {
        Self {
            tasks: JoinSet::new(),
            indices: HashMap::new(),
        }
    }

    /// Starts `task` for the planned operation `index`.
    pub(crate) fn spawn(&mut self, index: usize, task: impl Future<Output = T> + Send + 'static) {
        let handle = self.tasks.spawn(task);
        self.indices.insert(handle.id(), index);
    }

    /// The next task to end: its operation's index and its value, or why it did not return one
    /// (its panic message). `None` once no task is left.
    pub(crate) async fn next(&mut self) -> Option<(usize, Result<T, String>)> {
        loop {
            let (id, result) = match self.tasks.join_next_with_id().await? {
                Ok((id, value)) => (id, Ok(value)),
                Err(error) => (error.id(), Err(failure(error))),
            };
            if let Some(index) = self.indices.remove(&id) {
                return Some((index, result));
            }
        }
    }
}

/// The panic message of a task that panicked, or why else it ended without a value.
fn failure(error: JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|message| (*message).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned()),
        Err(error) => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_is_reported_with_its_index_and_message() {
        let mut units = Units::new();
        units.spawn(3, async { panic!("boom at {}", 3) });
        units.spawn(7, async { 42 });
        let mut ended = [units.next().await.unwrap(), units.next().await.unwrap()];
        ended.sort_by_key(|(index, _)| *index);
        assert_eq!(ended[0], (3, Err("boom at 3".to_owned())));
        assert_eq!(ended[1], (7, Ok(42)));
        assert!(units.next().await.is_none());
    }

    #[tokio::test]
    async fn a_static_panic_message_is_kept() {
        let mut units: Units<()> = Units::new();
        units.spawn(0, async { panic!("static message") });
        assert_eq!(
            units.next().await,
            Some((0, Err("static message".to_owned())))
        );
    }
}
