//! Brings a state database up to the current schema, one numbered migration at a time, each in
//! its own transaction. The version lives in SQLite's `user_version`.

use std::path::Path;

use rusqlite::Connection;

use crate::state::error::StateError;
use crate::state::schema::{MIGRATIONS, current_version};

/// The schema version recorded in the database (0 for a new, empty file).
pub fn schema_version(conn: &Connection) -> Result<i64, StateError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(StateError::sql("read the schema version"))
}

/// Applies every migration newer than the database's version.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StateError> {
    let found = schema_version(conn)?;
    check_not_newer(found, path)?;
    for (index, script) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
        if version <= found {
            continue;
        }
        let action = format!("migrate the schema to version {version}");
        let tx = conn.transaction().map_err(StateError::sql(&*action))?;
        tx.execute_batch(script)
            .and_then(|()| tx.pragma_update(None, "user_version", version))
            .and_then(|()| tx.commit())
            .map_err(StateError::sql(action))?;
    }
    Ok(())
}

/// Refuses a database written by a newer avdeploy.
pub fn check_not_newer(found: i64, path: &Path) -> Result<(), StateError> {
    if found > current_version() {
        return Err(StateError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: current_version(),
        });
    }
    Ok(())
}
