//! The variables a bash script reads, binds and publishes, found by a bash parser
//! (tree-sitter-bash): `$NAME` and `${NAME...}` reads, names the script sets itself, and the
//! `[OUTPUT] NAME=` lines its `echo` and `printf` commands print; and the commands it runs.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use compact_str::CompactString;
use tree_sitter::{Node, Parser, Tree};

use crate::model::shell_facts::{Mark, Read, ShellFacts};
use crate::model::variables;

/// A name found at a place in the script: a binding or a printed output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The name.
    pub name: String,
    /// Bytes of the script where it is written.
    pub range: Range<usize>,
}

/// What a script does with variables. Only UPPER_SNAKE names are kept: lower-case names are
/// the script's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShellVars {
    /// Names the script reads as `$NAME` or `${NAME...}` (or bare in arithmetic).
    pub referenced: BTreeSet<String>,
    /// Names the script sets itself: `NAME=`, `for`, `select`, `read`, `mapfile`, `printf -v`,
    /// `getopts`, `local`, `declare`, `typeset`, `readonly`, `export`, arithmetic assignment.
    pub bound: BTreeSet<String>,
    /// Names the script publishes with `[OUTPUT] NAME=` in an `echo` or `printf` argument.
    pub outputs: BTreeSet<String>,
    /// Every read, in script order.
    pub reads: Vec<Read>,
    /// Every binding, in script order.
    pub bindings: Vec<Occurrence>,
    /// Every printed `[OUTPUT] NAME=`, in script order.
    pub printed: Vec<Occurrence>,
    /// The name of every command the script runs (`az`, `echo`, ...), wherever it stands.
    pub commands: BTreeSet<String>,
}

/// Analyses a bash script. Parts the parser cannot read are skipped; what it reads is kept.
pub fn analyze(script: &str) -> ShellVars {
    let mut vars = ShellVars::default();
    if let Some(tree) = parse(script) {
        let mut walker = Walker {
            script,
            vars: &mut vars,
        };
        walker.visit(tree.root_node(), false);
    }
    vars
}

/// Analyses `script` once for its operation: what to keep of it, and the names it publishes
/// with `[OUTPUT] NAME=`.
pub fn facts(script: &str) -> (ShellFacts, BTreeSet<String>) {
    let ShellVars {
        bound,
        outputs,
        reads,
        ..
    } = analyze(script);
    let mut open_reads: Vec<Read> = Vec::new();
    let mut first = HashMap::new();
    for read in reads {
        if read.guarded || bound.contains(read.name.as_str()) {
            continue;
        }
        match first.get(&read.name) {
            Some(&index) => {
                let kept: &mut Read = &mut open_reads[index];
                kept.times = kept.times.saturating_add(1);
            }
            None => {
                first.insert(read.name.clone(), open_reads.len());
                open_reads.push(read);
            }
        }
    }
    let bound = bound
        .iter()
        .map(|name| CompactString::from(name.as_str()))
        .collect();
    let placeholders = variables::placeholders(script)
        .iter()
        .map(Mark::from)
        .collect();
    let facts = ShellFacts {
        bound,
        open_reads: open_reads.into(),
        placeholders,
        text_let_go: false,
    };
    (facts, outputs)
}

/// The UPPER_SNAKE names a bash script reads.
pub fn referenced(script: &str) -> BTreeSet<String> {
    analyze(script).referenced
}

/// Whether `name` is UPPER_SNAKE: an upper-case letter or `_`, then upper-case letters, digits
/// and `_`, with at least one letter.
pub fn is_upper_snake(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && name.chars().any(|c| c.is_ascii_uppercase())
}

thread_local! {
    /// One bash parser per thread: making one (and loading the grammar into it) costs more than
    /// parsing a short script.
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn parse(script: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_bash::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(script, None)
    })
}

/// Parameter-expansion operators that say what an unset variable gives.
const GUARDS: &[&str] = &[":-", "-", ":=", "=", ":+", "+"];

/// Commands that set the variables they name, with their options that take an argument.
const BINDING_COMMANDS: &[(&str, &str)] = &[
    ("read", "adinNptu"),
    ("mapfile", "dnOsuCc"),
    ("readarray", "dnOsuCc"),
    ("getopts", ""),
];

/// Node kinds that arithmetic is made of; anything else inside it (a `$( )`, a loop body) is not.
const ARITHMETIC_PARTS: &[&str] = &[
    "binary_expression",
    "number",
    "parenthesized_expression",
    "postfix_expression",
    "subscript",
    "ternary_expression",
    "unary_expression",
    "variable_assignment",
    "variable_name",
    "word",
];

/// Operators that assign in arithmetic.
const ARITHMETIC_ASSIGNMENTS: &[&str] = &[
    "=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=",
];

struct Walker<'s, 'v> {
    script: &'s str,
    vars: &'v mut ShellVars,
}

impl Walker<'_, '_> {
    fn text(&self, node: Node<'_>) -> &str {
        &self.script[node.byte_range()]
    }

    fn visit(&mut self, node: Node<'_>, arithmetic: bool) {
        match node.kind() {
            "simple_expansion" => self.simple_expansion(node),
            "expansion" => self.expansion(node),
            "variable_assignment" => self.assignment(node),
            "for_statement" => self.bind_field(node, "variable"),
            "declaration_command" => self.declaration(node),
            "command" => self.command(node),
            "variable_name" | "word" if arithmetic => self.arithmetic_name(node, node),
            "subscript" if arithmetic => {
                if let Some(name) = named_child(node, "variable_name") {
                    self.arithmetic_name(name, node);
                }
            }
            _ => {}
        }
        let opens = opens_arithmetic(node);
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if !self.handled(node, child) {
                let inside = (arithmetic || opens) && ARITHMETIC_PARTS.contains(&child.kind());
                self.visit(child, inside);
            }
        }
    }

    /// Children already read by their parent's handler, so not visited again.
    fn handled(&self, parent: Node<'_>, child: Node<'_>) -> bool {
        match parent.kind() {
            "simple_expansion" | "expansion" => {
                child.kind() == "variable_name" || child.kind() == "subscript"
            }
            "variable_assignment" | "for_statement" | "declaration_command" => {
                child.kind() == "variable_name"
            }
            "subscript" => child.kind() == "variable_name",
            _ => false,
        }
    }

    fn simple_expansion(&mut self, node: Node<'_>) {
        let Some(name) = named_child(node, "variable_name") else {
            return;
        };
        self.read(node, name, false);
    }

    fn expansion(&mut self, node: Node<'_>) {
        let mut cursor = node.walk();
        let mut name = None;
        let mut guarded = false;
        for (index, child) in node.children(&mut cursor).enumerate() {
            let is_operator = u32::try_from(index)
                .ok()
                .and_then(|i| node.field_name_for_child(i))
                == Some("operator");
            match child.kind() {
                "variable_name" if name.is_none() => name = Some(child),
                "subscript" if name.is_none() => {
                    name = named_child(child, "variable_name");
                    // The index of an array read is read too.
                    let mut inner = child.walk();
                    for part in child.children(&mut inner) {
                        if part.kind() != "variable_name" {
                            self.visit(part, true);
                        }
                    }
                }
                kind if is_operator && name.is_some() && GUARDS.contains(&kind) => {
                    guarded = true;
                }
                _ => {}
            }
            if is_operator && name.is_some() {
                break;
            }
        }
        if let Some(name) = name {
            self.read(node, name, guarded);
        }
    }

    fn read(&mut self, expansion: Node<'_>, name: Node<'_>, guarded: bool) {
        let text = self.text(name).to_owned();
        if !is_upper_snake(&text) {
            return;
        }
        // Anonymous tokens of tree-sitter-bash may start at the blank before them: the read
        // starts at its `$`.
        let head = &self.script[expansion.start_byte()..name.start_byte()];
        let start = head
            .rfind('$')
            .map_or(name.start_byte(), |i| expansion.start_byte() + i);
        self.vars.referenced.insert(text.clone());
        self.vars
            .reads
            .push(Read::new(&text, start..expansion.end_byte(), guarded));
    }

    fn bind(&mut self, node: Node<'_>) {
        let text = self.text(node).to_owned();
        if !is_upper_snake(&text) {
            return;
        }
        self.vars.bound.insert(text.clone());
        self.vars.bindings.push(Occurrence {
            name: text,
            range: node.byte_range(),
        });
    }

    fn bind_field(&mut self, node: Node<'_>, field: &str) {
        if let Some(name) = node.child_by_field_name(field)
            && name.kind() == "variable_name"
        {
            self.bind(name);
        }
    }

    fn assignment(&mut self, node: Node<'_>) {
        match node.child_by_field_name("name") {
            Some(name) if name.kind() == "variable_name" => self.bind(name),
            Some(subscript) if subscript.kind() == "subscript" => {
                if let Some(name) = named_child(subscript, "variable_name") {
                    self.bind(name);
                }
            }
            _ => {}
        }
    }

    fn declaration(&mut self, node: Node<'_>) {
        let mut cursor = node.walk();
        let names: Vec<Node<'_>> = node
            .children(&mut cursor)
            .filter(|child| child.kind() == "variable_name")
            .collect();
        for name in names {
            self.bind(name);
        }
    }

    fn command(&mut self, node: Node<'_>) {
        let Some(name) = node.child_by_field_name("name") else {
            return;
        };
        let command = self.text(name).to_owned();
        self.vars.commands.insert(command.clone());
        let mut cursor = node.walk();
        let arguments: Vec<Node<'_>> = node
            .children_by_field_name("argument", &mut cursor)
            .collect();
        match command.as_str() {
            "echo" | "printf" => self.printed_outputs(&command, &arguments),
            _ => {}
        }
        if command == "printf" {
            self.printf_target(&arguments);
        }
        if let Some((_, with_value)) = BINDING_COMMANDS.iter().find(|(c, _)| *c == command) {
            self.binding_arguments(&command, with_value, &arguments);
        }
    }

    /// `read`, `mapfile`, `readarray` and `getopts` set the names among their arguments.
    fn binding_arguments(&mut self, command: &str, with_value: &str, arguments: &[Node<'_>]) {
        let mut names = Vec::new();
        let mut pending = None;
        for &argument in arguments {
            let text = self.text(argument);
            if let Some(letter) = pending.take() {
                // `read -a NAME` names the array it sets; other options take a plain value.
                if letter == 'a' {
                    names.push(argument);
                }
                continue;
            }
            if let Some(flags) = text.strip_prefix('-').filter(|f| !f.is_empty()) {
                // An option that takes a value takes the next word unless it is attached (`-d,`).
                pending = flags
                    .char_indices()
                    .find(|(_, c)| with_value.contains(*c))
                    .filter(|(at, c)| at + c.len_utf8() == flags.len())
                    .map(|(_, c)| c);
                continue;
            }
            names.push(argument);
        }
        let names: Vec<Node<'_>> = match command {
            // `getopts optstring name` sets only its second word.
            "getopts" => names.get(1).copied().into_iter().collect(),
            "mapfile" | "readarray" => names.last().copied().into_iter().collect(),
            _ => names,
        };
        for name in names.into_iter().filter(|n| n.kind() == "word") {
            self.bind(name);
        }
    }

    /// `printf -v NAME` sets `NAME`.
    fn printf_target(&mut self, arguments: &[Node<'_>]) {
        let Some(position) = arguments.iter().position(|a| self.text(*a) == "-v") else {
            return;
        };
        if let Some(&name) = arguments.get(position + 1)
            && name.kind() == "word"
        {
            self.bind(name);
        }
    }

    /// `[OUTPUT] NAME=` in the literal start of an `echo` argument or a `printf` format.
    fn printed_outputs(&mut self, command: &str, arguments: &[Node<'_>]) {
        let candidates: Vec<Node<'_>> = if command == "printf" {
            arguments
                .iter()
                .copied()
                .skip_while(|a| self.text(*a).starts_with('-'))
                .take(1)
                .collect()
        } else {
            arguments.to_vec()
        };
        for argument in candidates {
            let mut literal = Literal::default();
            self.literal_prefix(argument, &mut literal);
            for (name, range) in literal.outputs() {
                self.vars.outputs.insert(name.clone());
                self.vars.printed.push(Occurrence { name, range });
            }
        }
    }

    /// Appends the literal text at the start of a word, up to its first expansion.
    fn literal_prefix(&self, node: Node<'_>, literal: &mut Literal) -> bool {
        match node.kind() {
            "word" | "string_content" => {
                literal.push(self.text(node), node.start_byte());
                true
            }
            "raw_string" => {
                let text = self.text(node);
                let inner = text
                    .strip_prefix('\'')
                    .and_then(|t| t.strip_suffix('\''))
                    .unwrap_or(text);
                literal.push(inner, node.start_byte() + 1);
                true
            }
            "string" | "concatenation" => {
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if child.kind() == "\"" {
                        continue;
                    }
                    if !self.literal_prefix(child, literal) {
                        return false;
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// A bare name in arithmetic (`$(( COUNT + 1 ))`, `(( N = 2 ))`) reads or sets a variable.
    /// `position` is the operand: the name itself, or the `NAME[i]` it is part of.
    fn arithmetic_name(&mut self, node: Node<'_>, position: Node<'_>) {
        let text = self.text(node);
        if !is_upper_snake(text) {
            return;
        }
        let parent = position.parent();
        let assigned = parent.is_some_and(|p| {
            let operator = p.child_by_field_name("operator").map(|o| o.kind());
            match p.kind() {
                "binary_expression" => {
                    p.child_by_field_name("left") == Some(position)
                        && operator.is_some_and(|o| ARITHMETIC_ASSIGNMENTS.contains(&o))
                }
                "postfix_expression" | "unary_expression" => {
                    operator.is_some_and(|o| o == "++" || o == "--")
                }
                _ => false,
            }
        });
        if assigned {
            self.bind(node);
            return;
        }
        let read = Read::new(text, node.byte_range(), false);
        self.vars.referenced.insert(read.name.to_string());
        self.vars.reads.push(read);
    }
}

/// Whether `node` starts arithmetic, where bare names are variables.
fn opens_arithmetic(node: Node<'_>) -> bool {
    match node.kind() {
        "arithmetic_expansion" | "c_style_for_statement" => true,
        "compound_statement" => node.child(0).is_some_and(|c| c.kind() == "(("),
        _ => false,
    }
}

fn named_child<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).find(|c| c.kind() == kind)
}

/// Literal text gathered from the pieces of a word, with where each piece starts in the script.
#[derive(Default)]
struct Literal {
    text: String,
    /// (offset in `text`, offset in the script) of each piece.
    pieces: Vec<(usize, usize)>,
}

impl Literal {
    fn push(&mut self, text: &str, script_offset: usize) {
        self.pieces.push((self.text.len(), script_offset));
        self.text.push_str(text);
    }

    fn script_offset(&self, offset: usize) -> usize {
        let (start, script) = self
            .pieces
            .iter()
            .rev()
            .find(|(start, _)| *start <= offset)
            .copied()
            .unwrap_or((0, 0));
        script + offset - start
    }

    /// `NAME` of every `[OUTPUT] NAME=` in the text, with its range in the script.
    fn outputs(&self) -> Vec<(String, Range<usize>)> {
        const MARKER: &str = "[OUTPUT]";
        let mut found = Vec::new();
        for (at, _) in self.text.match_indices(MARKER) {
            let rest = &self.text[at + MARKER.len()..];
            let name_start = at + MARKER.len() + (rest.len() - rest.trim_start().len());
            let name: String = self.text[name_start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let after = &self.text[name_start + name.len()..];
            if after.starts_with('=') && crate::model::variables::is_name(&name) {
                let start = self.script_offset(name_start);
                found.push((name.clone(), start..start + name.len()));
            }
        }
        found
    }
}

#[cfg(test)]
#[path = "shell_vars_tests.rs"]
mod tests;
