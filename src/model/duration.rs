//! How long an operation is expected to take, when it times out, and how it reports liveness.

use std::time::Duration;

/// The duration class of an operation (`duration.type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DurationKind {
    /// Seconds to a few minutes; heartbeat every 10 s.
    Fast,
    /// A few minutes; heartbeat every 30 s.
    #[default]
    Normal,
    /// Long waits (VM creation, sysprep); heartbeat every 60 s.
    Wait,
}

impl DurationKind {
    /// The names accepted in YAML; `SLOW` from old documents means `WAIT`.
    pub const NAMES: [&'static str; 4] = ["FAST", "NORMAL", "WAIT", "SLOW"];

    /// Parses a YAML name.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "FAST" => Some(Self::Fast),
            "NORMAL" => Some(Self::Normal),
            "WAIT" | "SLOW" => Some(Self::Wait),
            _ => None,
        }
    }

    /// How often a running operation of this kind reports that it is still running.
    pub fn heartbeat(self) -> Duration {
        Duration::from_secs(match self {
            Self::Fast => 10,
            Self::Normal => 30,
            Self::Wait => 60,
        })
    }
}

/// `duration:` of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Durations {
    /// Expected seconds.
    pub expected: u64,
    /// Seconds after which the operation is killed.
    pub timeout: u64,
    /// The duration class.
    #[serde(rename = "type")]
    pub kind: DurationKind,
}

impl Default for Durations {
    fn default() -> Self {
        Self {
            expected: 60,
            timeout: 600,
            kind: DurationKind::Normal,
        }
    }
}

impl Durations {
    /// Expected duration.
    pub fn expected(&self) -> Duration {
        Duration::from_secs(self.expected)
    }

    /// Timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}
