//! Unified diffs of whole files (for `migrate --dry-run`), from a longest-common-subsequence of
//! their lines.

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// Past this many line pairs the diff shows the whole file replaced rather than compute the
/// table (deployment files are far smaller).
const MAX_CELLS: usize = 16_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    Same(usize, usize),
    Removed(usize),
    Added(usize),
}

/// The unified diff turning `old` into `new`, with `path` in the headers; empty when equal.
pub(crate) fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let script = edit_script(&a, &b);
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    for hunk in hunks(&script) {
        let lines = &script[hunk.clone()];
        let (a_start, b_start) = starts(&script, hunk.start);
        let a_len = lines
            .iter()
            .filter(|l| !matches!(l, Line::Added(_)))
            .count();
        let b_len = lines
            .iter()
            .filter(|l| !matches!(l, Line::Removed(_)))
            .count();
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(a_start, a_len),
            range(b_start, b_len)
        ));
        for line in lines {
            let (sign, text) = match *line {
                Line::Same(i, _) => (' ', a[i]),
                Line::Removed(i) => ('-', a[i]),
                Line::Added(j) => ('+', b[j]),
            };
            out.push(sign);
            out.push_str(text);
            if !text.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

fn range(start: usize, len: usize) -> String {
    // A unified diff numbers lines from 1; an empty range names the line before it.
    let first = if len == 0 { start } else { start + 1 };
    format!("{first},{len}")
}

/// The 0-based line numbers in `a` and `b` where script entry `at` starts.
fn starts(script: &[Line], at: usize) -> (usize, usize) {
    let mut a = 0;
    let mut b = 0;
    for line in &script[..at] {
        match line {
            Line::Same(..) => {
                a += 1;
                b += 1;
            }
            Line::Removed(_) => a += 1,
            Line::Added(_) => b += 1,
        }
    }
    (a, b)
}

/// The ranges of `script` shown: each change with its context, touching ranges merged.
fn hunks(script: &[Line]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (index, line) in script.iter().enumerate() {
        if matches!(line, Line::Same(..)) {
            continue;
        }
        let start = index.saturating_sub(CONTEXT);
        let end = (index + 1 + CONTEXT).min(script.len());
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => out.push(start..end),
        }
    }
    out
}

fn edit_script(a: &[&str], b: &[&str]) -> Vec<Line> {
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        return (0..a.len())
            .map(Line::Removed)
            .chain((0..b.len()).map(Line::Added))
            .collect();
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(Line::Same(i, j));
            i += 1;
            j += 1;
        } else if i < a.len()
            && (j == b.len() || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])
        {
            out.push(Line::Removed(i));
            i += 1;
        } else {
            out.push(Line::Added(j));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn an_insertion_is_shown_with_three_lines_of_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nb\nc\nd\nX\ne\nf\ng\n";
        assert_eq!(
            unified("f.yaml", old, new),
            "--- a/f.yaml\n+++ b/f.yaml\n@@ -2,6 +2,7 @@\n b\n c\n d\n+X\n e\n f\n g\n"
        );
    }

    #[test]
    fn a_replacement_and_a_missing_final_newline_are_marked() {
        let diff = unified("f", "one\ntwo", "one\n2");
        assert_eq!(
            diff,
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n one\n-two\n\\ No newline at end of file\n+2\n\\ No newline at end of file\n"
        );
        assert_eq!(unified("f", "same\n", "same\n"), "");
    }

    #[test]
    fn distant_changes_make_separate_hunks() {
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new: String = (0..20)
            .map(|i| match i {
                2 => "two\n".to_owned(),
                17 => "seventeen\n".to_owned(),
                _ => format!("{i}\n"),
            })
            .collect();
        let diff = unified("f", &old, &new);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
    }
}
