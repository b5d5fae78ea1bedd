//! Reporters: turn engine events into console lines, progress bars, JSONL records and state.
