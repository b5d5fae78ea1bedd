//! Colour on the console: when to use it (`--color auto|always|never`, `NO_COLOR`, whether the
//! stream is a terminal) and how status words, errors and warnings are painted.

use std::borrow::Cow;

/// `--color`: when to colour output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour always, even into a file or pipe (and despite `NO_COLOR`).
    Always,
    /// Colour when the stream is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream: `terminal` says whether it is a terminal, `no_color` and
    /// `term` are the values of `NO_COLOR` and `TERM`.
    pub fn enabled(self, terminal: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => {
                terminal && no_color.is_none_or(str::is_empty) && term.is_none_or(|t| t != "dumb")
            }
        }
    }

    /// Whether to colour a stream that `terminal` says is (or is not) a terminal, reading
    /// `NO_COLOR` and `TERM` from the environment.
    pub fn enabled_for(self, terminal: bool) -> bool {
        let no_color = std::env::var("NO_COLOR").ok();
        let term = std::env::var("TERM").ok();
        self.enabled(terminal, no_color.as_deref(), term.as_deref())
    }
}

/// A colour for a kind of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Headings.
    Bold,
    /// Informational markers (`[*]`).
    Cyan,
    /// Skipped, pending, secondary text.
    Dim,
    /// Success.
    Green,
    /// Failures and errors.
    Red,
    /// Warnings, retries, interrupts.
    Yellow,
}

impl Tone {
    fn code(self) -> &'static str {
        match self {
            Self::Bold => "1",
            Self::Cyan => "36",
            Self::Dim => "2",
            Self::Green => "32",
            Self::Red => "31",
            Self::Yellow => "33",
        }
    }

    /// The tone of an operation status word (`completed`, `failed`, ...), if it is one.
    pub fn of_status(word: &str) -> Option<Self> {
        Some(match word {
            "completed" => Self::Green,
            "failed" | "timed_out" | "blocked" => Self::Red,
            "interrupted" | "running" => Self::Yellow,
            "skipped" | "pending" => Self::Dim,
            _ => return None,
        })
    }
}

/// Paints text with ANSI styles, or leaves it alone when colour is off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Painter {
    enabled: bool,
}

/// Line prefixes of the console and their tones.
const PREFIXES: &[(&str, Tone)] = &[
    ("[v]", Tone::Green),
    ("[x]", Tone::Red),
    ("[!]", Tone::Yellow),
    ("[-]", Tone::Dim),
    ("[*]", Tone::Cyan),
];

/// Words and phrases inside console lines and their tones.
const PHRASES: &[(&str, Tone)] = &[
    ("[ERROR]", Tone::Red),
    ("[WARNING]", Tone::Yellow),
    ("completed successfully", Tone::Green),
    ("timed out", Tone::Red),
    ("failed", Tone::Red),
    ("blocked", Tone::Red),
    ("interrupted", Tone::Yellow),
    ("skipped", Tone::Dim),
];

impl Painter {
    /// A painter that colours when `enabled`.
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    /// Whether this painter colours at all.
    pub fn enabled(self) -> bool {
        self.enabled
    }

    /// `text` in `tone`.
    pub fn paint<'a>(self, text: &'a str, tone: Tone) -> Cow<'a, str> {
        if !self.enabled || text.is_empty() {
            return Cow::Borrowed(text);
        }
        Cow::Owned(format!("\x1b[{}m{text}\x1b[0m", tone.code()))
    }

    /// A console line with its status marker (`[v]`, `[x]`, ...) and its first status phrase
    /// (`failed`, `[ERROR]`, ...) coloured.
    pub fn console_line<'a>(self, line: &'a str) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(line);
        }
        let (head, rest) = match PREFIXES.iter().find(|(p, _)| line.starts_with(p)) {
            Some((prefix, tone)) => (self.paint(prefix, *tone), &line[prefix.len()..]),
            None => (Cow::Borrowed(""), line),
        };
        let first = PHRASES
            .iter()
            .filter_map(|(phrase, tone)| rest.find(phrase).map(|at| (at, *phrase, *tone)))
            .min_by_key(|(at, ..)| *at);
        let body = match first {
            Some((at, phrase, tone)) => format!(
                "{}{}{}",
                &rest[..at],
                self.paint(phrase, tone),
                &rest[at + phrase.len()..]
            ),
            None => rest.to_owned(),
        };
        Cow::Owned(format!("{head}{body}"))
    }

    /// A row of the `status` table (`  <operation>  <status>  ...`) with its status word
    /// coloured; other lines are returned as they are.
    pub fn status_row<'a>(self, line: &'a str) -> Cow<'a, str> {
        if !self.enabled || !line.starts_with("  ") {
            return Cow::Borrowed(line);
        }
        let body = line.trim_start();
        let Some(id_end) = body.find(' ') else {
            return Cow::Borrowed(line);
        };
        let after_id = &body[id_end..];
        let word_start = after_id.len() - after_id.trim_start().len();
        let word = after_id[word_start..].split(' ').next().unwrap_or_default();
        let Some(tone) = Tone::of_status(word) else {
            return Cow::Borrowed(line);
        };
        let at = line.len() - body.len() + id_end + word_start;
        Cow::Owned(format!(
            "{}{}{}",
            &line[..at],
            self.paint(word, tone),
            &line[at + word.len()..]
        ))
    }

    /// Every line of `text` through `paint_line`, keeping line ends; `text` itself when
    /// colours are off.
    pub fn lines<'a>(
        self,
        text: &'a str,
        paint_line: impl Fn(Self, &str) -> Cow<'_, str>,
    ) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(text);
        }
        text.split_inclusive('\n')
            .map(|line| {
                let (body, end) = match line.strip_suffix('\n') {
                    Some(body) => (body, "\n"),
                    None => (line, ""),
                };
                format!("{}{end}", paint_line(self, body))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ON: Painter = Painter { enabled: true };

    #[test]
    fn auto_colours_only_terminals_without_no_color() {
        let auto = ColorChoice::Auto;
        assert!(auto.enabled(true, None, Some("xterm")));
        assert!(auto.enabled(true, Some(""), None));
        assert!(!auto.enabled(true, Some("1"), None));
        assert!(!auto.enabled(false, None, None));
        assert!(!auto.enabled(true, None, Some("dumb")));
        assert!(ColorChoice::Always.enabled(false, Some("1"), None));
        assert!(!ColorChoice::Never.enabled(true, None, None));
    }

    #[test]
    fn console_lines_colour_their_marker_and_status() {
        assert_eq!(
            ON.console_line("[x] Operation nsg failed (exit code: 1)"),
            "\x1b[31m[x]\x1b[0m Operation nsg \x1b[31mfailed\x1b[0m (exit code: 1)"
        );
        assert_eq!(
            ON.console_line("[nsg] [WARNING] slow"),
            "[nsg] \x1b[33m[WARNING]\x1b[0m slow"
        );
        assert_eq!(
            ON.console_line("Parallel Group: 2 operations"),
            "Parallel Group: 2 operations"
        );
        assert_eq!(
            Painter::new(false).console_line("[x] Operation nsg failed"),
            "[x] Operation nsg failed"
        );
    }

    #[test]
    fn status_rows_colour_the_status_word_only() {
        assert_eq!(
            ON.status_row("  nsg-a  failed       2s  1 attempt  failed: boom"),
            "  nsg-a  \x1b[31mfailed\x1b[0m       2s  1 attempt  failed: boom"
        );
        assert_eq!(ON.status_row("Run 1 (all): failed"), "Run 1 (all): failed");
        assert_eq!(ON.status_row("  nsg-a  bogus"), "  nsg-a  bogus");
        let text = ON.lines("m\n  a  completed\n", Painter::status_row);
        assert_eq!(text, "m\n  a  \x1b[32mcompleted\x1b[0m\n");
    }
}
