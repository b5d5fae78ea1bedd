//! Commands on the simulated VM: the script's own functions (arguments bound by name and
//! position), `Write-Host`/`Write-Output`, `Start-Process` and native programs (recorded as
//! started), `Stop-Computer`/`Restart-Computer` (recorded), `Join-Path`. Every other command does nothing and returns an unknown value.

use crate::ps_lex::{Item, Node};
use crate::ps_value::Val;
use crate::ps_walk::{Flow, Walker};

/// One argument of a command: `-Name value`, `-Switch`, or a positional value.
enum Arg {
    Named(String, Vec<Item>),
    Positional(Vec<Item>),
    Switch(String),
}

/// Splits arguments into values: each value is an item with the unspaced items after it, and
/// values joined by `,` form one list argument.
fn args(items: &[Item]) -> Vec<Arg> {
    let mut terms: Vec<Vec<Item>> = Vec::new();
    for item in items {
        let joins = !item.spaced
            || matches!(&item.node, Node::Op(op) if op == ",")
            || terms
                .last()
                .and_then(|t| t.last())
                .is_some_and(|i| matches!(&i.node, Node::Op(op) if op == ","));
        match terms.last_mut() {
            Some(term) if joins => term.push(item.clone()),
            _ => terms.push(vec![item.clone()]),
        }
    }
    let mut out = Vec::new();
    let mut terms = terms.into_iter().peekable();
    while let Some(term) = terms.next() {
        let name = match term.as_slice() {
            [
                Item {
                    node: Node::Word(w),
                    ..
                },
            ] if w.starts_with('-') && w.len() > 1 && w[1..].parse::<f64>().is_err() => {
                Some(w[1..].trim_end_matches(':').to_ascii_lowercase())
            }
            _ => None,
        };
        let Some(name) = name else {
            out.push(Arg::Positional(term));
            continue;
        };
        let value_follows = terms.peek().is_some_and(|next| {
            !matches!(next.as_slice(), [Item { node: Node::Word(w), .. }] if w.starts_with('-') && w.len() > 1 && w[1..].parse::<f64>().is_err())
        });
        if value_follows {
            out.push(Arg::Named(name, terms.next().unwrap_or_default()));
        } else {
            out.push(Arg::Switch(name));
        }
    }
    out
}

impl Walker<'_> {
    /// Runs the command `name` with its argument items.
    pub(crate) fn command(&mut self, name: &str, items: &[Item]) -> Flow {
        let lower = name.to_ascii_lowercase();
        if let Some(function) = self.function(&lower) {
            return self.call_function(&function, items);
        }
        match lower.as_str() {
            "write-host" => {
                let text = self.joined(items);
                if let Some(text) = text {
                    self.print(&Val::Str(text));
                }
            }
            "write-output" | "echo" | "write" => {
                for arg in args(items) {
                    if let Arg::Positional(term) = arg {
                        let value = self.expr(&term);
                        self.emit(value);
                    }
                }
            }
            "start-process" | "saps" | "start" => self.start_process(items),
            "stop-computer" | "restart-computer" => {
                self.record_computer(name);
                self.emit(Val::Unknown);
            }
            "join-path" => {
                let value = self.join_path(items);
                self.emit(value);
            }
            _ if is_program(&lower) => {
                let arguments = self.lenient_text(items);
                self.record(name.to_owned(), arguments);
            }
            _ => self.emit(Val::Unknown),
        }
        Flow::Next
    }

    fn call_function(&mut self, function: &crate::ps_parse::Function, items: &[Item]) -> Flow {
        let mut named = Vec::new();
        let mut positional = Vec::new();
        for arg in args(items) {
            match arg {
                Arg::Named(name, term) => {
                    let value = self.expr(&term);
                    named.push((name, value));
                }
                Arg::Switch(name) => named.push((name, Val::Bool(true))),
                Arg::Positional(term) => {
                    let value = self.expr(&term);
                    positional.push(value);
                }
            }
        }
        match self.call(function, named, positional) {
            Flow::Return(value) => {
                self.emit(value);
                Flow::Next
            }
            other => other,
        }
    }

    /// The text of the positional arguments (and `-Object`) joined by spaces, other named ones
    /// (`-ForegroundColor`, `-Separator`) skipped; `None` when one is unknown.
    fn joined(&mut self, items: &[Item]) -> Option<String> {
        let mut texts = Vec::new();
        for arg in args(items) {
            match arg {
                Arg::Positional(term) => texts.push(self.expr(&term).text()?),
                Arg::Named(name, term) if name == "object" => {
                    texts.push(self.expr(&term).text()?);
                }
                _ => {}
            }
        }
        Some(texts.join(" "))
    }

    fn start_process(&mut self, items: &[Item]) {
        let mut program = None;
        let mut arguments = None;
        let mut positional = Vec::new();
        for arg in args(items) {
            match arg {
                Arg::Named(name, term) if "filepath".starts_with(&name) => program = Some(term),
                Arg::Named(name, term) if name == "args" || "argumentlist".starts_with(&name) => {
                    arguments = Some(term);
                }
                Arg::Positional(term) => positional.push(term),
                _ => {}
            }
        }
        let mut positional = positional.into_iter();
        let Some(program) = program.or_else(|| positional.next()) else {
            return;
        };
        let arguments = arguments.or_else(|| positional.next()).unwrap_or_default();
        let program = self.lenient_value(&program);
        let arguments = self.lenient_value(&arguments);
        self.record(program, arguments);
        self.emit(Val::Unknown);
    }

    fn join_path(&mut self, items: &[Item]) -> Val {
        let mut parts = Vec::new();
        for arg in args(items) {
            match arg {
                Arg::Named(_, term) | Arg::Positional(term) => parts.push(self.expr(&term)),
                Arg::Switch(_) => {}
            }
        }
        match parts.as_slice() {
            [Val::Str(path), Val::Str(child)] => Val::Str(format!(
                "{}\\{}",
                path.trim_end_matches(['\\', '/']),
                child.trim_start_matches(['\\', '/'])
            )),
            _ => Val::Unknown,
        }
    }
}

/// Whether a command name is a program rather than a cmdlet: a path, or a file with a program's
/// extension, or one of Windows' programs scripts call by bare name (`msiexec`, `shutdown`).
fn is_program(name: &str) -> bool {
    name == "msiexec"
        || name == "shutdown"
        || name.contains('\\')
        || [".exe", ".msi", ".cmd", ".bat", ".com"]
            .iter()
            .any(|ext| name.ends_with(ext))
}
