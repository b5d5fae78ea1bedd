//! What an operation keeps of its bash script, analysed once when the operation is loaded
//! (`model::shell_vars` makes it): the names the script binds, and its reads that it does not
//! provide itself, which the deployment must.

use std::ops::Range;

use compact_str::CompactString;

use crate::model::variables::Placeholder;

/// One read of a variable. Names are kept inline (a name of up to 24 bytes takes no
/// allocation) and positions in 32 bits: a large deployment holds several per operation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Read {
    /// The variable's name.
    pub name: CompactString,
    /// Where the read starts in the script: at its `$`.
    start: u32,
    /// Where the read ends in the script: at the end of the expansion.
    end: u32,
    /// Whether the read says what happens when the variable is unset (`${NAME:-x}`, `${NAME-}`,
    /// `${NAME:=x}`, `${NAME:+x}`), so an unset variable is expected.
    pub guarded: bool,
    /// How many times the script reads the name this way: the facts keep the first read of
    /// each name only.
    pub times: u32,
}

impl Read {
    /// A read of `name` at the bytes `range` of the script (a script is at most a few MiB, far
    /// below `u32::MAX`, the most a position holds).
    pub fn new(name: &str, range: Range<usize>, guarded: bool) -> Self {
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            name: CompactString::from(name),
            start: small(range.start),
            end: small(range.end),
            guarded,
            times: 1,
        }
    }

    /// The bytes of the script from the `$` to the end of the expansion.
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A `{{NAME}}` of a script, where it is written.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mark {
    /// The variable name.
    pub name: CompactString,
    start: u32,
    end: u32,
}

impl Mark {
    /// The placeholder as substitution and its checks take it.
    pub fn placeholder(&self) -> Placeholder {
        Placeholder {
            name: self.name.to_string(),
            range: self.start as usize..self.end as usize,
        }
    }
}

impl From<&Placeholder> for Mark {
    fn from(placeholder: &Placeholder) -> Self {
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            name: CompactString::from(placeholder.name.as_str()),
            start: small(placeholder.range.start),
            end: small(placeholder.range.end),
        }
    }
}

/// The names a bash script binds, its reads that it does not provide itself (neither guarded
/// nor bound by it) and its `{{NAME}}` placeholders: all that validation needs of it, so the
/// text itself can be let go in a large deployment (see [`ShellFacts::text_let_go`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShellFacts {
    /// Names the script sets itself, sorted (a list: most scripts bind one or two, and a set's
    /// node would be ten times their size).
    pub bound: Box<[CompactString]>,
    /// The first unguarded read of each name the script does not set, in script order, with
    /// how many times it is read.
    pub open_reads: Box<[Read]>,
    /// The script's `{{NAME}}` placeholders, in order.
    pub placeholders: Box<[Mark]>,
    /// Whether the operation's script text was let go once loaded (it is read again from the
    /// operation file when a finding quotes it): set by loads for commands that only check.
    #[serde(skip)]
    pub text_let_go: bool,
}
