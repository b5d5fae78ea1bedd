//! Fingerprints in state: what the latest completed attempt of each operation ran, and the
//! adoption of a first fingerprint for attempts recorded before fingerprints existed.

use std::collections::HashMap;

use rusqlite::params;

use crate::model::fingerprint::Fingerprint;
use crate::state::db::StateDb;
use crate::state::error::StateError;

/// The schema version that brought fingerprints.
const FINGERPRINT_VERSION: i64 = 5;

/// The latest attempt of each operation that started, in the runs that count; `?1` is
/// [`StateDb::live_from`].
const LATEST_COMPLETED: &str = "
    SELECT a.id, a.operation, a.fingerprint FROM attempts a
    WHERE a.status = 'completed'
      AND a.run_id IN (SELECT id FROM runs WHERE seq >= ?1)
      AND a.id = (SELECT MAX(b.id) FROM attempts b
                  WHERE b.operation = a.operation
                    AND b.status NOT IN ('blocked', 'skipped', 'pending'))";

impl StateDb {
    /// Every completed operation (see [`StateDb::completed_operations`]) with the fingerprint of
    /// its latest completed attempt; `None` for attempts recorded before fingerprints existed.
    pub fn completed_fingerprints(
        &self,
    ) -> Result<HashMap<String, Option<Fingerprint>>, StateError> {
        let action = "read the fingerprints of completed operations";
        let sql = if self.version >= FINGERPRINT_VERSION {
            LATEST_COMPLETED.to_owned()
        } else {
            LATEST_COMPLETED.replace("a.fingerprint", "NULL")
        };
        let live = self.live_from()?;
        let mut stmt = self.conn.prepare(&sql).map_err(StateError::sql(action))?;
        let rows = stmt
            .query_map([live], |row| {
                Ok((row.get::<_, String>(1)?, row.get::<_, Option<String>>(2)?))
            })
            .map_err(StateError::sql(action))?;
        rows.map(|row| {
            row.map(|(operation, text)| {
                (operation, text.as_deref().and_then(Fingerprint::from_json))
            })
        })
        .collect::<Result<_, _>>()
        .map_err(StateError::sql(action))
    }

    /// Stores `fingerprint` on the latest completed attempt of `operation` when that attempt
    /// has none: an operation completed before fingerprints existed counts as up to date with
    /// what it would run now, and later runs compare against that.
    pub fn adopt_fingerprints(&self, adopted: &[(String, Fingerprint)]) -> Result<(), StateError> {
        let action = "record the first fingerprints of operations completed before";
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StateError::sql(action))?;
        let live = self.live_from()?;
        for (operation, fingerprint) in adopted {
            tx.execute(
                &format!(
                    "UPDATE attempts SET fingerprint = ?2
                     WHERE fingerprint IS NULL AND id IN (
                         SELECT id FROM ({LATEST_COMPLETED}) WHERE operation = ?3)"
                ),
                params![live, fingerprint.to_json(), operation],
            )
            .map_err(StateError::sql(action))?;
        }
        tx.commit().map_err(StateError::sql(action))
    }
}
