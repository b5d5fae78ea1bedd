//! What an operation keeps of its bash script, analysed once when the operation is loaded
//! (`model::shell_vars` makes it): the names the script binds, and its reads that it does not
//! provide itself, which the deployment must.

use std::ops::Range;

/// One read of a variable.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Read {
    /// The variable's name.
    pub name: String,
    /// Bytes of the script from the `$` to the end of the expansion.
    pub range: Range<usize>,
    /// Whether the read says what happens when the variable is unset (`${NAME:-x}`, `${NAME-}`,
    /// `${NAME:=x}`, `${NAME:+x}`), so an unset variable is expected.
    pub guarded: bool,
}

/// The names a bash script binds, and its reads that it does not provide itself (neither
/// guarded nor bound by it).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShellFacts {
    /// Names the script sets itself, sorted (a list: most scripts bind one or two, and a set's
    /// node would be ten times their size).
    pub bound: Vec<String>,
    /// Unguarded reads of names the script does not set, in script order.
    pub open_reads: Vec<Read>,
}
