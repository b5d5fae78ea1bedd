//! Destructions: a completed `destroy` run marks the deployment destroyed. Runs before it belong
//! to what was destroyed: their completions and outputs no longer count, so the next `run`
//! starts from nothing.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use crate::model::module::DESTROY_TARGET;
use crate::state::db::{StateDb, format_time, parse_time};
use crate::state::error::StateError;

/// The schema version that records destructions.
const SINCE_VERSION: i64 = 2;

/// The latest destruction of the deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destruction {
    /// The `destroy` run that took the deployment down.
    pub run_id: String,
    /// When it was marked destroyed.
    pub destroyed_at: DateTime<Utc>,
}

impl StateDb {
    /// Marks the deployment destroyed by the run `run_id` (which must be recorded). The
    /// destruction starts with the first of the `destroy` runs that lead to it without another
    /// run in between (a destroy that failed, then was resumed), so their teardown rows stay.
    pub fn mark_destroyed(&self, run_id: &str, now: DateTime<Utc>) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT INTO destructions (run_id, run_seq, destroyed_at)
                 SELECT r.id, COALESCE((SELECT MIN(d.seq) FROM runs d
                               WHERE d.target = ?3 AND d.seq <= r.seq AND d.seq > (
                                   SELECT COALESCE(MAX(o.seq), 0) FROM runs o
                                   WHERE o.target <> ?3 AND o.seq < r.seq)), r.seq), ?2
                 FROM runs r WHERE r.id = ?1",
                rusqlite::params![run_id, format_time(now), DESTROY_TARGET],
            )
            .map(drop)
            .map_err(StateError::sql("mark the deployment destroyed"))
    }

    /// The latest destruction, if the deployment was ever destroyed.
    pub fn destruction(&self) -> Result<Option<Destruction>, StateError> {
        if self.version < SINCE_VERSION {
            return Ok(None);
        }
        let action = "read the latest destruction";
        let row = self
            .conn
            .query_row(
                "SELECT run_id, destroyed_at FROM destructions ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(StateError::sql(action))?;
        row.map(|(run_id, at)| {
            Ok(Destruction {
                run_id,
                destroyed_at: parse_time(&at)?,
            })
        })
        .transpose()
    }

    /// The `seq` of the first run that counts: the latest `destroy` run (whose teardown rows
    /// stay visible), or 0 when the deployment was never destroyed.
    pub(crate) fn live_from(&self) -> Result<i64, StateError> {
        if self.version < SINCE_VERSION {
            return Ok(0);
        }
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(run_seq), 0) FROM destructions",
                [],
                |row| row.get(0),
            )
            .map_err(StateError::sql("read the latest destruction"))
    }
}
