//! Persistent state: the SQLite store, its schema and migrations, and the deployment lock.
