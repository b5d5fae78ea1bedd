//! PowerShell statements for the simulated VM: function definitions, `if`/`elseif`/`else`,
//! `try`/`catch`/`finally`, `trap`, loops, flow keywords, and simple statements (assignments,
//! commands, expressions) kept as their items.

use crate::ps_lex::{Bracket, Item, Node};

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stmt {
    /// `break`, `continue`, `exit X`, `return X`, `throw X`.
    Flow(Keyword, Vec<Item>),
    /// `foreach ($var in collection) { body }`.
    Foreach {
        /// The loop variable (lower case).
        var: String,
        /// The collection's items.
        collection: Vec<Item>,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `function Name { param(...) body }` or `function Name($a, $b) { body }`.
    Function(Function),
    /// `if (c) {..} elseif (c) {..} else {..}`.
    If {
        /// Each condition with its body, in order.
        branches: Vec<(Vec<Item>, Vec<Stmt>)>,
        /// The `else` body.
        otherwise: Option<Vec<Stmt>>,
    },
    /// `while (c) {..}` (with its condition), `for (..) {..}` and `do {..} while (..)` (without).
    Loop {
        /// The condition of a `while`.
        condition: Option<Vec<Item>>,
        /// The body.
        body: Vec<Stmt>,
    },
    /// An assignment, a command, a pipeline or an expression.
    Simple(Vec<Item>),
    /// `trap { body }`.
    Trap(Vec<Stmt>),
    /// `try {..} catch {..} finally {..}`.
    Try {
        /// The `try` body.
        body: Vec<Stmt>,
        /// The first `catch` body.
        catch: Option<Vec<Stmt>>,
        /// The `finally` body.
        finally: Option<Vec<Stmt>>,
    },
}

/// A flow keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `exit`.
    Exit,
    /// `return`.
    Return,
    /// `throw`.
    Throw,
}

/// A function definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Function {
    /// The name, lower case.
    pub(crate) name: String,
    /// Its parameters in order.
    pub(crate) params: Vec<Param>,
    /// Its body.
    pub(crate) body: Vec<Stmt>,
}

/// A declared parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    /// The name, lower case, without `$`.
    pub(crate) name: String,
    /// Whether it is a `[switch]`.
    pub(crate) switch: bool,
    /// Its default value's items (empty for none).
    pub(crate) default: Vec<Item>,
}

/// The statements of `items` (a script or a brace group's content).
pub(crate) fn statements(items: &[Item]) -> Vec<Stmt> {
    let mut parser = Parser { items, at: 0 };
    let mut out = Vec::new();
    while let Some(stmt) = parser.statement() {
        out.push(stmt);
    }
    out
}

/// The parameters in a `param(...)` or `function f(...)` group's content.
pub(crate) fn params(items: &[Item]) -> Vec<Param> {
    split_top(items, |node| matches!(node, Node::Op(op) if op == ","))
        .into_iter()
        .filter_map(|part| {
            let var = part.iter().position(|i| matches!(i.node, Node::Var(_)))?;
            let Node::Var(name) = &part[var].node else {
                return None;
            };
            let switch = part[..var].iter().any(|i| match &i.node {
                Node::Group(Bracket::Square, inner) => inner
                    .iter()
                    .any(|i| matches!(&i.node, Node::Word(w) if w.eq_ignore_ascii_case("switch"))),
                _ => false,
            });
            let default = match part.get(var + 1) {
                Some(Item {
                    node: Node::Op(op), ..
                }) if op == "=" => part[var + 2..].to_vec(),
                _ => Vec::new(),
            };
            Some(Param {
                name: name.clone(),
                switch,
                default,
            })
        })
        .collect()
}

/// `items` split at every top-level item for which `at` holds (the separators dropped).
pub(crate) fn split_top(items: &[Item], at: impl Fn(&Node) -> bool) -> Vec<&[Item]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (index, item) in items.iter().enumerate() {
        if at(&item.node) {
            parts.push(&items[start..index]);
            start = index + 1;
        }
    }
    parts.push(&items[start..]);
    parts
}

struct Parser<'a> {
    items: &'a [Item],
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Node> {
        self.items.get(self.at).map(|item| &item.node)
    }

    fn skip_ends(&mut self) {
        while matches!(self.peek(), Some(Node::End)) {
            self.at += 1;
        }
    }

    /// The next group of kind `bracket`, skipping newlines before it.
    fn group(&mut self, bracket: Bracket) -> Option<&'a [Item]> {
        self.skip_ends();
        match self.peek() {
            Some(Node::Group(kind, inner)) if *kind == bracket => {
                self.at += 1;
                Some(inner)
            }
            _ => None,
        }
    }

    fn body(&mut self) -> Vec<Stmt> {
        self.group(Bracket::Brace)
            .map(statements)
            .unwrap_or_default()
    }

    /// The next word, lower case, if it is one of `words` (newlines before it skipped only when
    /// it is there).
    fn keyword(&mut self, words: &[&str]) -> Option<String> {
        let start = self.at;
        self.skip_ends();
        if let Some(Node::Word(word)) = self.peek() {
            let lower = word.to_ascii_lowercase();
            if words.contains(&lower.as_str()) {
                self.at += 1;
                return Some(lower);
            }
        }
        self.at = start;
        None
    }

    fn statement(&mut self) -> Option<Stmt> {
        self.skip_ends();
        let Node::Word(word) = self.peek()? else {
            return Some(Stmt::Simple(self.simple()));
        };
        let word = word.to_ascii_lowercase();
        let keyword = match word.as_str() {
            "break" => Some(Keyword::Break),
            "continue" => Some(Keyword::Continue),
            "exit" => Some(Keyword::Exit),
            "return" => Some(Keyword::Return),
            "throw" => Some(Keyword::Throw),
            _ => None,
        };
        if let Some(keyword) = keyword {
            self.at += 1;
            return Some(Stmt::Flow(keyword, self.simple()));
        }
        match word.as_str() {
            "function" | "filter" => {
                self.at += 1;
                Some(self.function())
            }
            "if" => {
                self.at += 1;
                Some(self.conditional())
            }
            "foreach"
                if matches!(
                    self.items.get(self.at + 1).map(|i| &i.node),
                    Some(Node::Group(Bracket::Paren, _))
                ) =>
            {
                self.at += 1;
                Some(self.foreach())
            }
            "while" => {
                self.at += 1;
                let condition = self.group(Bracket::Paren).map(<[Item]>::to_vec);
                Some(Stmt::Loop {
                    condition: Some(condition.unwrap_or_default()),
                    body: self.body(),
                })
            }
            "for" => {
                self.at += 1;
                let _ = self.group(Bracket::Paren);
                Some(Stmt::Loop {
                    condition: None,
                    body: self.body(),
                })
            }
            "do" => {
                self.at += 1;
                let body = self.body();
                if self.keyword(&["while", "until"]).is_some() {
                    let _ = self.group(Bracket::Paren);
                }
                Some(Stmt::Loop {
                    condition: None,
                    body,
                })
            }
            "try" => {
                self.at += 1;
                Some(self.try_statement())
            }
            "trap" => {
                self.at += 1;
                let _ = self.group(Bracket::Square);
                Some(Stmt::Trap(self.body()))
            }
            _ => Some(Stmt::Simple(self.simple())),
        }
    }

    /// Items up to the end of the statement; a line ending in `|` goes on on the next one.
    fn simple(&mut self) -> Vec<Item> {
        let mut out: Vec<Item> = Vec::new();
        while let Some(item) = self.items.get(self.at) {
            if item.node == Node::End {
                let pipe = matches!(out.last(), Some(Item { node: Node::Op(op), .. }) if op == "|");
                if !pipe {
                    break;
                }
                self.at += 1;
                continue;
            }
            out.push(item.clone());
            self.at += 1;
        }
        out
    }

    fn function(&mut self) -> Stmt {
        let name = match self.peek() {
            Some(Node::Word(name)) => {
                self.at += 1;
                name.to_ascii_lowercase()
            }
            _ => String::new(),
        };
        let mut declared = match self.peek() {
            Some(Node::Group(Bracket::Paren, inner)) => {
                self.at += 1;
                params(inner)
            }
            _ => Vec::new(),
        };
        let mut body = self.body();
        if let Some(Stmt::Simple(first)) = body.first()
            && let [
                Item {
                    node: Node::Word(word),
                    ..
                },
                Item {
                    node: Node::Group(Bracket::Paren, inner),
                    ..
                },
            ] = first.as_slice()
            && word.eq_ignore_ascii_case("param")
        {
            declared = params(inner);
            body.remove(0);
        }
        Stmt::Function(Function {
            name,
            params: declared,
            body,
        })
    }

    fn conditional(&mut self) -> Stmt {
        let mut branches = Vec::new();
        let condition = self.group(Bracket::Paren).map(<[Item]>::to_vec);
        branches.push((condition.unwrap_or_default(), self.body()));
        let mut otherwise = None;
        while let Some(word) = self.keyword(&["elseif", "else"]) {
            if word == "else" {
                otherwise = Some(self.body());
                break;
            }
            let condition = self.group(Bracket::Paren).map(<[Item]>::to_vec);
            branches.push((condition.unwrap_or_default(), self.body()));
        }
        Stmt::If {
            branches,
            otherwise,
        }
    }

    fn foreach(&mut self) -> Stmt {
        let head = self.group(Bracket::Paren).unwrap_or_default();
        let (var, collection) = match head {
            [
                Item {
                    node: Node::Var(var),
                    ..
                },
                Item {
                    node: Node::Word(word),
                    ..
                },
                rest @ ..,
            ] if word.eq_ignore_ascii_case("in") => (var.clone(), rest.to_vec()),
            _ => (String::new(), Vec::new()),
        };
        Stmt::Foreach {
            var,
            collection,
            body: self.body(),
        }
    }

    fn try_statement(&mut self) -> Stmt {
        let body = self.body();
        let mut catch = None;
        let mut finally = None;
        while let Some(word) = self.keyword(&["catch", "finally"]) {
            if word == "catch" {
                while self.group(Bracket::Square).is_some() {
                    if matches!(self.peek(), Some(Node::Op(op)) if op == ",") {
                        self.at += 1;
                    }
                }
                let handler = self.body();
                catch.get_or_insert(handler);
            } else {
                finally = Some(self.body());
            }
        }
        Stmt::Try {
            body,
            catch,
            finally,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ps_lex::lex;

    #[test]
    fn reads_functions_branches_and_handlers() {
        let script = "function Stop-It([string]$Message, [switch]$Force) {\n  exit 1\n}\n\
                      if ($a) { 'x' }\nelseif ($b) { 'y' }\nelse { 'z' }\n\
                      try { f } catch [System.Exception] { g }\nfinally { h }\nWrite-Host 'done' |\n  Out-Null";
        let stmts = statements(&lex(script));
        assert_eq!(stmts.len(), 4, "{stmts:#?}");
        let Stmt::Function(function) = &stmts[0] else {
            panic!("{stmts:#?}")
        };
        assert_eq!(function.name, "stop-it");
        let names: Vec<(&str, bool)> = function
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.switch))
            .collect();
        assert_eq!(names, [("message", false), ("force", true)]);
        assert!(matches!(&function.body[..], [Stmt::Flow(Keyword::Exit, _)]));
        let Stmt::If {
            branches,
            otherwise,
        } = &stmts[1]
        else {
            panic!()
        };
        assert_eq!((branches.len(), otherwise.is_some()), (2, true));
        assert!(matches!(
            &stmts[2],
            Stmt::Try {
                catch: Some(_),
                finally: Some(_),
                ..
            }
        ));
        let Stmt::Simple(pipeline) = &stmts[3] else {
            panic!()
        };
        assert_eq!(pipeline.len(), 4);
    }

    #[test]
    fn reads_param_blocks_and_defaults() {
        let stmts = statements(&lex("function f {\n param([int]$Limit = 1)\n $Limit\n}"));
        let Stmt::Function(function) = &stmts[0] else {
            panic!()
        };
        assert_eq!(function.params[0].name, "limit");
        assert_eq!(function.params[0].default.len(), 1);
        assert_eq!(function.body.len(), 1);
    }
}
