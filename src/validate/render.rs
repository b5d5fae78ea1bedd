//! Renders findings for people (source snippets with carets, via annotate-snippets) and for
//! programs (JSON).

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use crate::base::diagnostic::{Diagnostic, Label, Location, Severity};
use crate::base::source::Sources;

/// Renders findings as source snippets; `color` adds ANSI styles.
pub fn human(sources: &Sources, diagnostics: &[Diagnostic], color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&renderer.render(&[group(sources, diagnostic)]));
        out.push_str("\n\n");
    }
    out.push_str(&summary(diagnostics));
    out.push('\n');
    out
}

/// `2 errors, 1 warning`, or `no findings`.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    match (errors, warnings) {
        (0, 0) => "no findings".to_owned(),
        _ => format!(
            "{}, {}",
            crate::base::text::plural(errors, "error"),
            crate::base::text::plural(warnings, "warning")
        ),
    }
}

fn group<'a>(sources: &'a Sources, diagnostic: &'a Diagnostic) -> Group<'a> {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code);
    let primary_file = diagnostic.location.file;
    let (same_file, other_files): (Vec<&Label>, Vec<&Label>) = diagnostic
        .labels
        .iter()
        .partition(|label| label.location.file == primary_file && label.location.span.is_some());
    let mut group = title.element(snippet(sources, diagnostic.location, &same_file));
    for label in other_files {
        group = group.element(labelled(sources, label));
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    group
}

/// The snippet of the primary location, with the labels that point into the same file.
fn snippet<'a>(
    sources: &'a Sources,
    location: Location,
    labels: &[&'a Label],
) -> annotate_snippets::Element<'a> {
    let source = sources.get(location.file);
    let path = source.path.to_string_lossy().into_owned();
    let Some(span) = location.span.filter(|&span| source.quotes(span)) else {
        return Origin::path(path).into();
    };
    let mut snippet = Snippet::source(source.text())
        .path(path)
        .fold(true)
        .annotation(AnnotationKind::Primary.span(span.range()));
    for label in labels {
        if let Some(span) = label.location.span.filter(|&span| source.quotes(span)) {
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(span.range())
                    .label(label.message.as_str()),
            );
        }
    }
    snippet.into()
}

/// A snippet of its own for a label in another file.
fn labelled<'a>(sources: &'a Sources, label: &'a Label) -> annotate_snippets::Element<'a> {
    let source = sources.get(label.location.file);
    let path = source.path.to_string_lossy().into_owned();
    match label.location.span.filter(|&span| source.quotes(span)) {
        Some(span) => Snippet::source(source.text())
            .path(path)
            .fold(true)
            .annotation(
                AnnotationKind::Context
                    .span(span.range())
                    .label(label.message.as_str()),
            )
            .into(),
        None => Origin::path(path).into(),
    }
}

/// The `validate --json` document.
#[derive(Debug, serde::Serialize)]
pub struct Report<'a> {
    /// Bumped when fields change meaning.
    pub format_version: u32,
    /// Whether there are no errors.
    pub valid: bool,
    /// Error count.
    pub errors: usize,
    /// Warning count.
    pub warnings: usize,
    /// The findings.
    pub diagnostics: Vec<JsonDiagnostic<'a>>,
}

/// One finding in JSON.
#[derive(Debug, serde::Serialize)]
pub struct JsonDiagnostic<'a> {
    /// Stable code.
    pub code: &'a str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong.
    pub message: &'a str,
    /// The file, relative to the deployment folder.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// How to fix it.
    pub help: Option<&'a str>,
    /// Other places involved (the first of two duplicates, the other operation on a VM).
    pub labels: Vec<JsonLabel<'a>>,
}

/// A secondary place of a finding in JSON.
#[derive(Debug, serde::Serialize)]
pub struct JsonLabel<'a> {
    /// What is there.
    pub message: &'a str,
    /// The file, relative to the deployment folder.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

/// Builds the JSON report.
pub fn json<'a>(sources: &Sources, diagnostics: &'a [Diagnostic]) -> Report<'a> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    Report {
        format_version: 1,
        valid: errors == 0,
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                message: &d.message,
                file: file_name(sources, d.location),
                line: d.location.span.map(|s| s.start.line()),
                column: d.location.span.map(|s| s.start.col()),
                help: d.help.as_deref(),
                labels: d
                    .labels
                    .iter()
                    .map(|label| JsonLabel {
                        message: &label.message,
                        file: file_name(sources, label.location),
                        line: label.location.span.map(|s| s.start.line()),
                        column: label.location.span.map(|s| s.start.col()),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn file_name(sources: &Sources, location: Location) -> String {
    sources
        .get(location.file)
        .path
        .to_string_lossy()
        .into_owned()
}
