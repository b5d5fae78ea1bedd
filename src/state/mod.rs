//! Persistent state: the SQLite store, its schema and migrations, and the deployment lock.

pub mod db;
pub mod destroyed;
pub mod error;
pub mod fingerprints;
pub mod history;
pub mod lock_file;
pub mod migrate;
pub mod query;
pub mod recorder;
pub mod records;
pub mod resume;
pub mod schema;

pub use db::StateDb;
pub use destroyed::Destruction;
pub use error::StateError;
pub use lock_file::{DeploymentLock, LockError};
pub use recorder::Recorder;
pub use records::{OperationSummary, PublishedOutput, RunRecord};
pub use resume::{ResumePlan, resume_plan};
