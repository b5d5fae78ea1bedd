//! Expressions on the simulated VM: literals, variables, `+`, `-f`, comparisons, `-and`/`-or`,
//! `-not`, casts, lists, hashtables, a few members (`.Keys`, `.Count`, `.Trim()`), and
//! expandable strings. What it cannot compute is [`Val::Unknown`].

use crate::ps_lex::{Bracket, Item, Node, lex};
use crate::ps_parse::{split_top, statements};
use crate::ps_value::{Val, format, like};
use crate::ps_walk::{Walker, is_command_name};

/// Variables PowerShell sets itself, unknown to the simulator.
const AUTOMATIC: &[&str] = &[
    "_",
    "args",
    "error",
    "host",
    "input",
    "lastexitcode",
    "matches",
    "pid",
    "psitem",
    "psscriptroot",
    "pscommandpath",
    "psversiontable",
    "pwd",
    "home",
    "profile",
    "?",
];

fn word(item: &Item) -> Option<&str> {
    match &item.node {
        Node::Word(w) => Some(w),
        _ => None,
    }
}

fn is_op(item: &Item, op: &str) -> bool {
    matches!(&item.node, Node::Op(o) if o == op)
}

fn is_word(item: &Item, words: &[&str]) -> bool {
    word(item).is_some_and(|w| words.iter().any(|x| w.eq_ignore_ascii_case(x)))
}

/// The index of the first top-level item (after the first) that `at` accepts.
fn first(items: &[Item], at: impl Fn(&Item) -> bool) -> Option<usize> {
    items.iter().skip(1).position(at).map(|i| i + 1)
}

/// The index of the last such item.
fn last(items: &[Item], at: impl Fn(&Item) -> bool) -> Option<usize> {
    (1..items.len()).rev().find(|&i| at(&items[i]))
}

const LOGICAL: &[&str] = &["-and", "-or", "-xor"];
const COMPARISON: &[&str] = &[
    "-eq",
    "-ne",
    "-ieq",
    "-ine",
    "-ceq",
    "-cne",
    "-lt",
    "-gt",
    "-le",
    "-ge",
    "-ilt",
    "-igt",
    "-ile",
    "-ige",
    "-contains",
    "-notcontains",
    "-icontains",
    "-inotcontains",
    "-in",
    "-notin",
    "-like",
    "-notlike",
    "-ilike",
    "-inotlike",
    "-match",
    "-notmatch",
    "-cmatch",
    "-cnotmatch",
    "-imatch",
    "-replace",
    "-creplace",
    "-split",
    "-join",
    "-is",
    "-isnot",
    "-as",
];

impl Walker<'_> {
    /// The value of an expression.
    pub(crate) fn expr(&mut self, items: &[Item]) -> Val {
        let items = trim_ends(items);
        if items.is_empty() {
            return Val::Null;
        }
        if let Some(at) = first(items, |i| is_word(i, LOGICAL)) {
            let op = word(&items[at]).unwrap_or_default().to_ascii_lowercase();
            let left = self.expr(&items[..at]).truth();
            let right = self.expr(&items[at + 1..]).truth();
            return logical(&op, left, right);
        }
        if let Some(at) = first(items, |i| is_word(i, COMPARISON)) {
            let op = word(&items[at]).unwrap_or_default().to_ascii_lowercase();
            let left = self.expr(&items[..at]);
            let right = self.expr(&items[at + 1..]);
            return compare(&op, &left, &right);
        }
        if let Some(at) = last(items, |i| is_op(i, "+") || is_word(i, &["-"])) {
            let left = self.expr(&items[..at]);
            let right = self.expr(&items[at + 1..]);
            if is_op(&items[at], "+") {
                return left.add(&right);
            }
            return match (left, right) {
                (Val::Num(a), Val::Num(b)) => a.checked_sub(b).map_or(Val::Unknown, Val::Num),
                _ => Val::Unknown,
            };
        }
        if let Some(at) = first(items, |i| is_word(i, &["-f"])) {
            let template = self.expr(&items[..at]).text();
            let args = self.expr(&items[at + 1..]).items();
            return template
                .and_then(|t| format(&t, &args))
                .map_or(Val::Unknown, Val::Str);
        }
        if is_word(&items[0], &["-not"]) || is_op(&items[0], "!") {
            return match self.expr(&items[1..]).truth() {
                Some(b) => Val::Bool(!b),
                None => Val::Unknown,
            };
        }
        if items.iter().any(|i| is_op(i, ",")) {
            let parts = split_top(items, |n| matches!(n, Node::Op(o) if o == ","));
            return Val::List(parts.into_iter().map(|p| self.expr(p)).collect());
        }
        self.unary(items)
    }

    /// Casts, then one value with its members.
    fn unary(&mut self, items: &[Item]) -> Val {
        if let [
            Item {
                node: Node::Group(Bracket::Square, inner),
                ..
            },
            rest @ ..,
        ] = items
            && !rest.is_empty()
            && !rest.first().is_some_and(|i| is_op(i, "::"))
        {
            let target = inner
                .iter()
                .find_map(word)
                .unwrap_or_default()
                .to_ascii_lowercase();
            return cast(&target, self.unary(rest));
        }
        if items.len() > 1 && items[1..].iter().any(|i| i.spaced) {
            // Values side by side without an operator this evaluator knows (`$a * 2`): only a
            // command with arguments has a value here.
            return match &items[0].node {
                Node::Word(name) if is_command_name(name) => self.command_value(items),
                _ => Val::Unknown,
            };
        }
        self.term(items)
    }

    /// One value followed by unspaced members, indexes and method calls.
    pub(crate) fn term(&mut self, items: &[Item]) -> Val {
        let Some((head, rest)) = items.split_first() else {
            return Val::Null;
        };
        let mut value = self.primary(&head.node);
        let mut rest = rest.iter().peekable();
        while let Some(item) = rest.next() {
            value = match &item.node {
                Node::Word(member) if member.starts_with('.') => {
                    let call = rest
                        .next_if(|i| matches!(i.node, Node::Group(Bracket::Paren, _)))
                        .is_some();
                    member_of(&value, &member[1..], call)
                }
                Node::Group(Bracket::Square, index) => {
                    let index = self.expr(index);
                    index_of(&value, &index)
                }
                _ => Val::Unknown,
            };
        }
        value
    }

    fn primary(&mut self, node: &Node) -> Val {
        match node {
            Node::Word(w) => w
                .parse::<i64>()
                .map_or_else(|_| Val::Str(w.clone()), Val::Num),
            Node::Var(name) => self.variable(name),
            Node::Str {
                text,
                expand: false,
            } => Val::Str(text.clone()),
            Node::Str { text, expand: true } => self.expand(text),
            Node::Group(Bracket::Paren, inner) => self.statement_value(inner),
            Node::Group(Bracket::SubExpression, inner) => self.statement_value(inner),
            Node::Group(Bracket::Array, inner) => match self.statement_value(inner) {
                Val::List(items) => Val::List(items),
                Val::Null => Val::List(Vec::new()),
                other => Val::List(vec![other]),
            },
            Node::Group(Bracket::Hash, inner) => self.hashtable(inner),
            _ => Val::Unknown,
        }
    }

    /// A variable's value: `$true`, `$false`, `$null`, assigned ones; automatic and environment
    /// variables are unknown, others `$null` as in PowerShell.
    pub(crate) fn variable(&self, name: &str) -> Val {
        let bare = name.split_once(':').map_or(name, |(scope, rest)| {
            if matches!(scope, "script" | "global" | "local" | "private") {
                rest
            } else {
                name
            }
        });
        match bare {
            "true" => return Val::Bool(true),
            "false" => return Val::Bool(false),
            "null" => return Val::Null,
            _ => {}
        }
        if let Some(value) = self.lookup(bare) {
            return value;
        }
        if bare.contains(':') || AUTOMATIC.contains(&bare) || self.lenient {
            return Val::Unknown;
        }
        Val::Null
    }

    /// `"..."` with `$name`, `${name}` and `$(...)` expanded; unknown pieces make it unknown,
    /// except in lenient mode where they stay as written.
    fn expand(&mut self, text: &str) -> Val {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        let mut at = 0;
        while at < chars.len() {
            let c = chars[at];
            if c == '`' && chars.get(at + 1) == Some(&'$') {
                out.push('$');
                at += 2;
                continue;
            }
            if c != '$' {
                out.push(c);
                at += 1;
                continue;
            }
            let start = at;
            let value = if chars.get(at + 1) == Some(&'(') {
                let mut depth = 0;
                let mut end = at + 1;
                while end < chars.len() {
                    match chars[end] {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    end += 1;
                    if depth == 0 {
                        break;
                    }
                }
                let inner: String = chars[at + 2..end.saturating_sub(1).max(at + 2)]
                    .iter()
                    .collect();
                at = end;
                self.statement_value(&lex(&inner))
            } else {
                let mut end = at + 1;
                let braced = chars.get(end) == Some(&'{');
                let mut name = String::new();
                if braced {
                    end += 1;
                    while end < chars.len() && chars[end] != '}' {
                        name.push(chars[end]);
                        end += 1;
                    }
                    end += 1;
                } else {
                    while end < chars.len()
                        && (chars[end].is_alphanumeric()
                            || chars[end] == '_'
                            || (chars[end] == ':'
                                && !name.contains(':')
                                && chars.get(end + 1).is_some_and(|c| c.is_alphanumeric())))
                    {
                        name.push(chars[end]);
                        end += 1;
                    }
                }
                at = end;
                if name.is_empty() {
                    out.push('$');
                    continue;
                }
                self.variable(&name.to_lowercase())
            };
            match value.text() {
                Some(text) => out.push_str(&text),
                None if self.lenient => out.extend(&chars[start..at]),
                None => return Val::Unknown,
            }
        }
        Val::Str(out)
    }

    fn hashtable(&mut self, inner: &[Item]) -> Val {
        let mut map = Vec::new();
        for stmt in split_top(inner, |n| matches!(n, Node::End)) {
            let Some(eq) = stmt.iter().position(|i| is_op(i, "=")) else {
                continue;
            };
            let key = match self.term(&stmt[..eq]).text() {
                Some(key) => key,
                None => return Val::Unknown,
            };
            let value = self.expr(&stmt[eq + 1..]);
            map.push((key, value));
        }
        Val::Map(map)
    }

    /// The value of a group's content: one expression, or statements whose output is collected.
    pub(crate) fn statement_value(&mut self, inner: &[Item]) -> Val {
        let has_statements = inner.iter().any(|i| i.node == Node::End)
            || inner.first().is_some_and(|i| {
                word(i).is_some_and(|w| !w.starts_with('-') && w.parse::<i64>().is_err())
            });
        if !has_statements {
            return self.expr(inner);
        }
        let stmts = statements(inner);
        self.collect(|walker| walker.block(&stmts))
    }

    /// The output of a command used as a value (`(Test-Path x)`, `$x = Get-Thing`).
    fn command_value(&mut self, items: &[Item]) -> Val {
        let items = items.to_vec();
        self.collect(|walker| walker.simple(&items))
    }
}

fn trim_ends(items: &[Item]) -> &[Item] {
    let start = items
        .iter()
        .position(|i| i.node != Node::End)
        .unwrap_or(items.len());
    let end = items
        .iter()
        .rposition(|i| i.node != Node::End)
        .map_or(start, |i| i + 1);
    &items[start..end]
}

fn logical(op: &str, left: Option<bool>, right: Option<bool>) -> Val {
    let known = |value: Option<bool>| value.map_or(Val::Unknown, Val::Bool);
    match op {
        "-and" => match (left, right) {
            (Some(false), _) | (_, Some(false)) => Val::Bool(false),
            (Some(true), Some(true)) => Val::Bool(true),
            _ => Val::Unknown,
        },
        "-or" => match (left, right) {
            (Some(true), _) | (_, Some(true)) => Val::Bool(true),
            (Some(false), Some(false)) => Val::Bool(false),
            _ => Val::Unknown,
        },
        _ => known(left.zip(right).map(|(a, b)| a != b)),
    }
}

fn compare(op: &str, left: &Val, right: &Val) -> Val {
    use std::cmp::Ordering::{Greater, Less};
    let op = op
        .strip_prefix("-i")
        .map_or_else(|| op.to_owned(), |rest| format!("-{rest}"));
    let known = |value: Option<bool>| value.map_or(Val::Unknown, Val::Bool);
    let contains = |list: &Val, item: &Val| -> Option<bool> {
        let mut unknown = false;
        for candidate in list.items() {
            match candidate.equals(item, false) {
                Some(true) => return Some(true),
                None => unknown = true,
                Some(false) => {}
            }
        }
        (!unknown).then_some(false)
    };
    let not = |value: Option<bool>| value.map(|b| !b);
    if matches!(left, Val::List(_)) && !op.contains("contains") {
        return Val::Unknown;
    }
    match op.as_str() {
        "-eq" => known(left.equals(right, false)),
        "-ne" => known(not(left.equals(right, false))),
        "-ceq" => known(left.equals(right, true)),
        "-cne" => known(not(left.equals(right, true))),
        "-lt" => known(left.order(right).map(|o| o == Less)),
        "-gt" => known(left.order(right).map(|o| o == Greater)),
        "-le" => known(left.order(right).map(|o| o != Greater)),
        "-ge" => known(left.order(right).map(|o| o != Less)),
        "-contains" => known(contains(left, right)),
        "-notcontains" => known(not(contains(left, right))),
        "-in" => known(contains(right, left)),
        "-notin" => known(not(contains(right, left))),
        "-like" | "-notlike" => match (left.text(), right.text()) {
            (Some(text), Some(pattern)) if !matches!(left, Val::Unknown) => {
                Val::Bool(like(&text, &pattern) == (op == "-like"))
            }
            _ => Val::Unknown,
        },
        _ => Val::Unknown,
    }
}

fn cast(target: &str, value: Val) -> Val {
    match (target, value) {
        (_, Val::Unknown) => Val::Unknown,
        ("void", _) => Val::Null,
        ("string", value) => value.text().map_or(Val::Unknown, Val::Str),
        ("int" | "long" | "int32" | "int64", Val::Num(n)) => Val::Num(n),
        ("int" | "long" | "int32" | "int64", Val::Str(s)) => {
            s.trim().parse().map_or(Val::Unknown, Val::Num)
        }
        ("bool", value) => value.truth().map_or(Val::Unknown, Val::Bool),
        ("char", Val::Num(n)) => u32::try_from(n)
            .ok()
            .and_then(char::from_u32)
            .map_or(Val::Unknown, |c| Val::Str(c.to_string())),
        ("ordered" | "hashtable" | "array" | "object[]" | "string[]", value) => value,
        ("int[]", value) => Val::List(value.items()),
        _ => Val::Unknown,
    }
}

fn member_of(value: &Val, member: &str, call: bool) -> Val {
    let member = member.to_ascii_lowercase();
    match (value, member.as_str(), call) {
        (Val::Map(map), "keys", false) => {
            Val::List(map.iter().map(|(k, _)| Val::Str(k.clone())).collect())
        }
        (Val::Map(map), "count", false) => Val::Num(map.len() as i64),
        (Val::Map(map), key, false) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map_or(Val::Null, |(_, v)| v.clone()),
        (Val::List(items), "count" | "length", false) => Val::Num(items.len() as i64),
        (Val::Str(s), "length", false) => Val::Num(s.chars().count() as i64),
        (Val::Str(s), "trim", true) => Val::Str(s.trim().to_owned()),
        (Val::Str(s), "trimend", true) => Val::Str(s.trim_end().to_owned()),
        (Val::Str(s), "trimstart", true) => Val::Str(s.trim_start().to_owned()),
        (Val::Str(s), "tolower" | "tolowerinvariant", true) => Val::Str(s.to_lowercase()),
        (Val::Str(s), "toupper" | "toupperinvariant", true) => Val::Str(s.to_uppercase()),
        (Val::Str(s), "tostring", true) => Val::Str(s.clone()),
        _ => Val::Unknown,
    }
}

fn index_of(value: &Val, index: &Val) -> Val {
    match (value, index) {
        (Val::Map(map), key) => match key.text() {
            Some(key) => map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&key))
                .map_or(Val::Null, |(_, v)| v.clone()),
            None => Val::Unknown,
        },
        (Val::List(items), Val::Num(n)) => {
            let len = items.len() as i64;
            let at = if *n < 0 { len + n } else { *n };
            usize::try_from(at)
                .ok()
                .and_then(|at| items.get(at).cloned())
                .unwrap_or(Val::Null)
        }
        _ => Val::Unknown,
    }
}
