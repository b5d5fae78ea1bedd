//! Walking a PowerShell script on the simulated VM: statements in order, into the functions it
//! calls (parameters bound), `try`/`catch`/`finally` and `trap`, both ways of an `if` it can decide
//! (an undecidable condition counts as false, so its `else` runs: the VM takes no error path),
//! loop bodies over known lists item by item, otherwise once. It prints what `Write-Host`,
//! `Write-Output` and bare values print when their text is known, obeys `exit` and `throw`, and
//! records the processes the script starts and the cmdlets that stop or restart the computer. Cmdlets and native programs do nothing.

use std::collections::HashMap;
use std::rc::Rc;

use crate::ps_lex::{Bracket, Item, Node, lex};
use crate::ps_parse::{Function, Keyword, Stmt, split_top, statements};
use crate::ps_value::Val;

/// Statements walked before the simulation gives up (loops run at most their list's length).
const STEP_LIMIT: usize = 200_000;

/// Nested function calls allowed, as PowerShell's own limit is far away but recursion without
/// an end condition the simulator can decide would never stop.
const CALL_DEPTH_LIMIT: usize = 100;

/// Items of a known list a `foreach` walks at most.
const FOREACH_LIMIT: usize = 1_000;

/// A process the script started (`Start-Process`, `msiexec`, `& 'setup.exe'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedProcess {
    /// The program as the script names it.
    pub program: String,
    /// Its arguments as one string, unknown values left as written (`$file`).
    pub arguments: String,
}

/// What walking a script produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walked {
    /// Output lines, in order.
    pub stdout: Vec<String>,
    /// Error text (an uncaught `throw`).
    pub stderr: String,
    /// The exit code.
    pub code: i32,
    /// Processes started, in order.
    pub started: Vec<StartedProcess>,
    /// Cmdlets that act on the computer itself, in order (`Stop-Computer`, `Restart-Computer`),
    /// as the script names them.
    pub computer: Vec<String>,
}

/// How a statement ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Flow {
    Break,
    Continue,
    Exit(i32),
    Next,
    Return(Val),
    Throw(String),
}

/// The walker's state: functions, variable scopes, output sinks.
pub(crate) struct Walker<'a> {
    functions: HashMap<String, Rc<Function>>,
    scopes: Vec<HashMap<String, Val>>,
    sinks: Vec<Vec<Val>>,
    trap: Option<Rc<Vec<Stmt>>>,
    pending: Option<Flow>,
    steps: usize,
    /// Whether unknown values inside strings stay as written (for recorded process arguments).
    pub(crate) lenient: bool,
    out: &'a mut Walked,
}

/// Walks `script`.
pub fn walk(script: &str) -> Walked {
    let mut walked = Walked::default();
    let stmts = statements(&lex(script));
    let mut walker = Walker {
        functions: HashMap::new(),
        scopes: vec![HashMap::new()],
        sinks: Vec::new(),
        trap: None,
        pending: None,
        steps: 0,
        lenient: false,
        out: &mut walked,
    };
    let code = match walker.top(&stmts) {
        Flow::Exit(code) => code,
        Flow::Throw(message) => {
            walker.out.stderr.push_str(&format!("{message}\n"));
            1
        }
        _ => 0,
    };
    walked.code = code;
    walked
}

impl Walker<'_> {
    /// The script's top level: an uncaught `throw` runs the `trap`, if any, then goes on.
    fn top(&mut self, stmts: &[Stmt]) -> Flow {
        for stmt in stmts {
            match self.statement(stmt) {
                Flow::Throw(message) => match self.trap.clone() {
                    Some(trap) => match self.block(&trap) {
                        Flow::Exit(code) => return Flow::Exit(code),
                        Flow::Throw(again) => return Flow::Throw(again),
                        _ => {}
                    },
                    None => return Flow::Throw(message),
                },
                Flow::Exit(code) => return Flow::Exit(code),
                _ => {}
            }
        }
        Flow::Next
    }

    /// Runs statements until one does not end normally.
    pub(crate) fn block(&mut self, stmts: &[Stmt]) -> Flow {
        for stmt in stmts {
            let flow = self.statement(stmt);
            if flow != Flow::Next {
                return flow;
            }
        }
        Flow::Next
    }

    fn statement(&mut self, stmt: &Stmt) -> Flow {
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            return Flow::Throw(format!("simulation stopped after {STEP_LIMIT} statements"));
        }
        let flow = match stmt {
            Stmt::Flow(keyword, items) => self.flow(*keyword, items),
            Stmt::Foreach {
                var,
                collection,
                body,
            } => self.foreach(var, collection, body),
            Stmt::Function(function) => {
                self.functions
                    .insert(function.name.clone(), Rc::new(function.clone()));
                Flow::Next
            }
            Stmt::If {
                branches,
                otherwise,
            } => self.conditional(branches, otherwise.as_deref()),
            Stmt::Loop { condition, body } => {
                let runs = condition
                    .as_ref()
                    .is_none_or(|c| self.expr(c).truth() == Some(true));
                if runs {
                    loop_end(self.block(body))
                } else {
                    Flow::Next
                }
            }
            Stmt::Simple(items) => self.simple(items),
            Stmt::Trap(body) => {
                self.trap = Some(Rc::new(body.clone()));
                Flow::Next
            }
            Stmt::Try {
                body,
                catch,
                finally,
            } => self.try_statement(body, catch.as_deref(), finally.as_deref()),
        };
        match self.pending.take() {
            Some(pending) if flow == Flow::Next => pending,
            _ => flow,
        }
    }

    fn flow(&mut self, keyword: Keyword, items: &[Item]) -> Flow {
        match keyword {
            Keyword::Break => Flow::Break,
            Keyword::Continue => Flow::Continue,
            Keyword::Exit => match self.expr(items) {
                Val::Null => Flow::Exit(0),
                value => Flow::Exit(
                    value
                        .text()
                        .and_then(|t| t.trim().parse().ok())
                        .unwrap_or(1),
                ),
            },
            Keyword::Return => Flow::Return(self.expr(items)),
            Keyword::Throw => Flow::Throw(
                self.expr(items)
                    .text()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "ScriptHalted".to_owned()),
            ),
        }
    }

    fn conditional(
        &mut self,
        branches: &[(Vec<Item>, Vec<Stmt>)],
        otherwise: Option<&[Stmt]>,
    ) -> Flow {
        for (condition, body) in branches {
            if self.expr(condition).truth() == Some(true) {
                return self.block(body);
            }
        }
        otherwise.map_or(Flow::Next, |body| self.block(body))
    }

    fn foreach(&mut self, var: &str, collection: &[Item], body: &[Stmt]) -> Flow {
        let items = match self.expr(collection) {
            Val::Unknown => vec![Val::Unknown],
            value => value.items(),
        };
        for item in items.into_iter().take(FOREACH_LIMIT) {
            self.assign(var, item);
            match self.block(body) {
                Flow::Break => break,
                Flow::Next | Flow::Continue => {}
                other => return other,
            }
        }
        Flow::Next
    }

    fn try_statement(
        &mut self,
        body: &[Stmt],
        catch: Option<&[Stmt]>,
        finally: Option<&[Stmt]>,
    ) -> Flow {
        let mut flow = self.block(body);
        if let (Flow::Throw(_), Some(handler)) = (&flow, catch) {
            self.assign("_", Val::Unknown);
            flow = self.block(handler);
        }
        if let Some(finally) = finally {
            let after = self.block(finally);
            if after != Flow::Next {
                return after;
            }
        }
        flow
    }

    /// An assignment, a pipeline, a command or an expression statement.
    pub(crate) fn simple(&mut self, items: &[Item]) -> Flow {
        let segments = split_top(items, |n| matches!(n, Node::Op(op) if op == "|"));
        if segments.len() > 1 {
            // Only the first command of a pipeline runs; its output feeds the rest, never stdout.
            let first = segments[0].to_vec();
            let _ = self.collect(|walker| walker.simple(&first));
            return Flow::Next;
        }
        if let Some(flow) = self.assignment(items) {
            return flow;
        }
        match items.first().map(|i| &i.node) {
            Some(Node::Word(name)) if is_command_name(name) => self.command(name, &items[1..]),
            Some(Node::Op(op)) if op == "&" || op == "." => self.call_operator(&items[1..]),
            Some(_) => {
                let value = self.expr(items);
                self.emit(value);
                Flow::Next
            }
            None => Flow::Next,
        }
    }

    fn assignment(&mut self, items: &[Item]) -> Option<Flow> {
        let eq = items
            .iter()
            .position(|i| matches!(&i.node, Node::Op(op) if op == "=" || op == "+="))?;
        let target = items[..eq]
            .iter()
            .position(|i| matches!(i.node, Node::Var(_)))?;
        let Node::Var(name) = &items[target].node else {
            return None;
        };
        let rhs = &items[eq + 1..];
        let value = match rhs.first().map(|i| &i.node) {
            Some(Node::Word(word)) if is_command_name(word) => {
                let rhs = rhs.to_vec();
                self.collect(|walker| walker.simple(&rhs))
            }
            _ => self.expr(rhs),
        };
        let append = matches!(&items[eq].node, Node::Op(op) if op == "+=");
        match &items[target + 1..eq] {
            [] => {
                let value = if append {
                    self.variable(name).add(&value)
                } else {
                    value
                };
                self.assign(name, value);
            }
            [
                Item {
                    node: Node::Group(Bracket::Square, index),
                    spaced: false,
                },
            ] => {
                let key = self.expr(index).text();
                self.set_key(name, key, value);
            }
            _ => {}
        }
        Some(Flow::Next)
    }

    fn call_operator(&mut self, items: &[Item]) -> Flow {
        let Some((target, args)) = items.split_first() else {
            return Flow::Next;
        };
        match self.term(std::slice::from_ref(target)).text() {
            Some(name) if self.functions.contains_key(&name.to_ascii_lowercase()) => {
                self.command(&name, args)
            }
            Some(program) => {
                let arguments = self.lenient_text(args);
                self.record(program, arguments);
                Flow::Next
            }
            None => Flow::Next,
        }
    }

    /// Runs `f` with its output collected instead of printed; returns that output as a value.
    /// An `exit` or `throw` inside is kept for the statement being walked.
    pub(crate) fn collect(&mut self, f: impl FnOnce(&mut Self) -> Flow) -> Val {
        self.sinks.push(Vec::new());
        let flow = f(self);
        let mut output = self.sinks.pop().unwrap_or_default();
        match flow {
            Flow::Exit(_) | Flow::Throw(_) => self.pending = Some(flow),
            Flow::Return(value) if value != Val::Null => output.push(value),
            _ => {}
        }
        match output.len() {
            0 => Val::Null,
            1 => output.remove(0),
            _ => Val::List(output),
        }
    }

    /// Sends a value to the output: the innermost collector, else stdout (when its text is known).
    pub(crate) fn emit(&mut self, value: Val) {
        if let Some(sink) = self.sinks.last_mut() {
            sink.push(value);
            return;
        }
        self.print(&value);
    }

    /// Prints a value on stdout, a list one item per line; nothing when unknown.
    pub(crate) fn print(&mut self, value: &Val) {
        match value {
            Val::Null | Val::Unknown => {}
            Val::List(items) => items.iter().for_each(|item| self.print(item)),
            other => {
                if let Some(text) = other.text() {
                    self.out.stdout.extend(text.lines().map(str::to_owned));
                }
            }
        }
    }

    /// Records a started process.
    pub(crate) fn record(&mut self, program: String, arguments: String) {
        self.out.started.push(StartedProcess { program, arguments });
    }

    /// Records a cmdlet that acts on the computer itself (`Stop-Computer`).
    pub(crate) fn record_computer(&mut self, cmdlet: &str) {
        self.out.computer.push(cmdlet.to_owned());
    }

    /// `items` as argument words joined by spaces, unknown variables left as written.
    pub(crate) fn lenient_text(&mut self, items: &[Item]) -> String {
        let was = std::mem::replace(&mut self.lenient, true);
        let words: Vec<String> = items
            .iter()
            .filter(|item| !matches!(item.node, Node::Op(_)))
            .map(
                |item| match (self.term(std::slice::from_ref(item)).text(), &item.node) {
                    (Some(text), _) => text,
                    (None, Node::Var(name)) => format!("${name}"),
                    (None, _) => String::new(),
                },
            )
            .collect();
        self.lenient = was;
        words.join(" ").trim().to_owned()
    }

    /// The text of one argument value (`"/i $file"`, `'/a', '/b'`), unknown variables left as
    /// written.
    pub(crate) fn lenient_value(&mut self, items: &[Item]) -> String {
        let was = std::mem::replace(&mut self.lenient, true);
        let value = self.expr(items);
        self.lenient = was;
        value.text().unwrap_or_else(|| self.lenient_text(items))
    }

    /// Calls a function with bound arguments; its value is its output.
    pub(crate) fn call(
        &mut self,
        function: &Function,
        named: Vec<(String, Val)>,
        positional: Vec<Val>,
    ) -> Flow {
        if self.scopes.len() > CALL_DEPTH_LIMIT {
            return Flow::Throw("The script failed due to call depth overflow.".to_owned());
        }
        self.scopes.push(HashMap::new());
        let mut positional = positional.into_iter();
        for param in &function.params {
            let value = match named
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&param.name))
            {
                Some((_, value)) => value.clone(),
                None if param.switch => Val::Bool(false),
                None => match positional.next() {
                    Some(value) => value,
                    None if param.default.is_empty() => Val::Null,
                    None => self.expr(&param.default),
                },
            };
            self.assign(&param.name, value);
        }
        let flow = self.block(&function.body);
        self.scopes.pop();
        match flow {
            Flow::Return(Val::Null) | Flow::Break | Flow::Continue => Flow::Next,
            other => other,
        }
    }

    /// A defined function, by lower-case name.
    pub(crate) fn function(&self, name: &str) -> Option<Rc<Function>> {
        self.functions.get(name).cloned()
    }

    /// A variable's value in the innermost scope holding it.
    pub(crate) fn lookup(&self, name: &str) -> Option<Val> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| scope.get(name).cloned())
    }

    /// Sets a variable: `$script:`/`$global:` names in the script scope, others in the current one.
    pub(crate) fn assign(&mut self, name: &str, value: Val) {
        let (global, bare) = scoped(name);
        let scope = if global { 0 } else { self.scopes.len() - 1 };
        self.scopes[scope].insert(bare.to_owned(), value);
    }

    fn set_key(&mut self, name: &str, key: Option<String>, value: Val) {
        let (_, bare) = scoped(name);
        let Some(scope) = self.scopes.iter_mut().rev().find(|s| s.contains_key(bare)) else {
            return;
        };
        let Some(key) = key else {
            scope.insert(bare.to_owned(), Val::Unknown);
            return;
        };
        if let Some(Val::Map(map)) = scope.get_mut(bare) {
            match map.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&key)) {
                Some(entry) => entry.1 = value,
                None => map.push((key, value)),
            }
        }
    }
}

/// `break` and `continue` end at the loop that sees them.
fn loop_end(flow: Flow) -> Flow {
    match flow {
        Flow::Break | Flow::Continue => Flow::Next,
        other => other,
    }
}

/// Whether a variable name targets the script scope, and the name without its scope.
fn scoped(name: &str) -> (bool, &str) {
    match name.split_once(':') {
        Some(("script" | "global", bare)) => (true, bare),
        Some(("local" | "private", bare)) => (false, bare),
        _ => (false, name),
    }
}

/// Whether a word at the start of a statement names a command (not a number or an operator).
pub(crate) fn is_command_name(word: &str) -> bool {
    !word.starts_with('-') && !word.starts_with('.') && word.parse::<i64>().is_err()
}
