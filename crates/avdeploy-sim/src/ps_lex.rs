//! Reading PowerShell text for the simulated VM: tokens (words, variables, strings, operators)
//! nested into bracket groups, comments and line continuations dropped. Enough of the language
//! for the scripts the engine and the catalog send; anything else becomes plain words.

/// One token, or a bracketed group of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// A bare word: a command name, an argument, a number, a keyword, a `-parameter` or
    /// `-operator`, a `.member` right after a value.
    Word(String),
    /// `$name`, `${name}`, `$script:name` (the name as written, scope included, lower case).
    Var(String),
    /// A string literal; `expand` for double-quoted ones.
    Str {
        /// The text, escapes resolved.
        text: String,
        /// Whether `$name` and `$(...)` inside it are expanded.
        expand: bool,
    },
    /// An operator or separator: `=`, `+=`, `+`, `,`, `|`, `&`, `!`, `::`.
    Op(String),
    /// The end of a statement: a newline or `;`.
    End,
    /// A bracketed group.
    Group(Bracket, Vec<Item>),
}

/// The kind of a bracketed group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bracket {
    /// `@( ... )`.
    Array,
    /// `{ ... }`.
    Brace,
    /// `[ ... ]`.
    Square,
    /// `@{ ... }`.
    Hash,
    /// `( ... )`.
    Paren,
    /// `$( ... )`.
    SubExpression,
}

/// A node and whether whitespace came before it (`$a.b` is one value, `$a .b` is two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    /// The node.
    pub(crate) node: Node,
    /// Whether whitespace separates it from the node before.
    pub(crate) spaced: bool,
}

/// The items of `text`: unbalanced closing brackets are dropped, unclosed groups end at the end.
pub(crate) fn lex(text: &str) -> Vec<Item> {
    let chars: Vec<char> = text.chars().collect();
    let mut lexer = Lexer { chars, at: 0 };
    lexer.items(None)
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
}

const OPERATOR_CHARS: &[char] = &['=', '+', ',', '|', '&', '!', '>', '<'];

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// Items up to the closing bracket `close` (consumed), or to the end.
    fn items(&mut self, close: Option<char>) -> Vec<Item> {
        let mut items = Vec::new();
        let mut spaced = true;
        while let Some(c) = self.peek(0) {
            if c == '`' && matches!(self.peek(1), Some('\n' | '\r')) {
                self.at += 2;
                spaced = true;
                continue;
            }
            if c == ' ' || c == '\t' || c == '\r' {
                self.at += 1;
                spaced = true;
                continue;
            }
            if c == '#' {
                self.skip_line_comment();
                continue;
            }
            if c == '<' && self.peek(1) == Some('#') {
                self.skip_block_comment();
                spaced = true;
                continue;
            }
            if Some(c) == close {
                self.at += 1;
                return items;
            }
            if matches!(c, ')' | '}' | ']') {
                self.at += 1;
                continue;
            }
            let node = self.node(c);
            items.push(Item { node, spaced });
            spaced = false;
        }
        items
    }

    fn node(&mut self, c: char) -> Node {
        let next = self.peek(1);
        match c {
            '\n' | ';' => {
                self.at += 1;
                Node::End
            }
            '(' => self.group(1, Bracket::Paren, ')'),
            '{' => self.group(1, Bracket::Brace, '}'),
            '[' => self.group(1, Bracket::Square, ']'),
            '@' if next == Some('(') => self.group(2, Bracket::Array, ')'),
            '@' if next == Some('{') => self.group(2, Bracket::Hash, '}'),
            '@' if matches!(next, Some('\'' | '"')) => self.here_string(),
            '$' if next == Some('(') => self.group(2, Bracket::SubExpression, ')'),
            '$' => self.variable(),
            '\'' => self.single_quoted(),
            '"' => self.double_quoted(),
            ':' if next == Some(':') => {
                self.at += 2;
                Node::Op("::".to_owned())
            }
            _ => self.word(),
        }
    }

    fn group(&mut self, open_len: usize, bracket: Bracket, close: char) -> Node {
        self.at += open_len;
        Node::Group(bracket, self.items(Some(close)))
    }

    fn skip_line_comment(&mut self) {
        while let Some(c) = self.peek(0) {
            if c == '\n' {
                return;
            }
            self.at += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        self.at += 2;
        while self.peek(0).is_some() {
            if self.peek(0) == Some('#') && self.peek(1) == Some('>') {
                self.at += 2;
                return;
            }
            self.at += 1;
        }
    }

    fn variable(&mut self) -> Node {
        self.at += 1;
        let mut name = String::new();
        if self.peek(0) == Some('{') {
            self.at += 1;
            while let Some(c) = self.peek(0) {
                self.at += 1;
                if c == '}' {
                    break;
                }
                name.push(c);
            }
        } else {
            while let Some(c) = self.peek(0) {
                let scope = c == ':' && self.peek(1) != Some(':') && !name.contains(':');
                if c.is_alphanumeric() || c == '_' || c == '?' || scope {
                    name.push(c);
                    self.at += 1;
                } else {
                    break;
                }
            }
        }
        if name.is_empty() {
            return Node::Word("$".to_owned());
        }
        Node::Var(name.to_lowercase())
    }

    fn single_quoted(&mut self) -> Node {
        self.at += 1;
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if is_single_quote(c) {
                if self.peek(0).is_some_and(is_single_quote) {
                    text.push(c);
                    self.at += 1;
                    continue;
                }
                break;
            }
            text.push(c);
        }
        Node::Str {
            text,
            expand: false,
        }
    }

    /// A double-quoted string; `$` stays in the text (the evaluator expands it), backtick
    /// escapes are resolved except `` `$ ``, kept as `` `$ `` so that it is not expanded.
    fn double_quoted(&mut self) -> Node {
        self.at += 1;
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                '`' => {
                    let Some(escaped) = self.peek(0) else { break };
                    self.at += 1;
                    match escaped {
                        'n' => text.push('\n'),
                        'r' => text.push('\r'),
                        't' => text.push('\t'),
                        '0' => text.push('\0'),
                        '$' => text.push_str("`$"),
                        other => text.push(other),
                    }
                }
                '"' if self.peek(0) == Some('"') => {
                    text.push('"');
                    self.at += 1;
                }
                '"' => break,
                '$' if self.peek(0) == Some('(') => {
                    let start = self.at - 1;
                    self.at += 1;
                    let _ = self.items(Some(')'));
                    text.extend(&self.chars[start..self.at]);
                }
                other => text.push(other),
            }
        }
        Node::Str { text, expand: true }
    }

    fn here_string(&mut self) -> Node {
        let quote = self.peek(1).unwrap_or('\'');
        self.at += 2;
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == '\n' {
                break;
            }
        }
        let mut lines = Vec::new();
        let mut line = String::new();
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == '\n' {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            line.push(c);
            if line == format!("{quote}@") {
                break;
            }
        }
        let text = lines.join("\n").trim_end_matches('\r').to_owned();
        Node::Str {
            text,
            expand: quote == '"',
        }
    }

    fn word(&mut self) -> Node {
        let start = self.at;
        let first = self.peek(0).unwrap_or(' ');
        self.at += 1;
        if OPERATOR_CHARS.contains(&first) {
            if !matches!(first, ',' | '|') {
                while self.peek(0).is_some_and(|c| OPERATOR_CHARS.contains(&c)) {
                    self.at += 1;
                }
            }
            return Node::Op(self.chars[start..self.at].iter().collect());
        }
        while let Some(c) = self.peek(0) {
            if c.is_whitespace() || "(){}[];'\",|$".contains(c) {
                break;
            }
            self.at += 1;
        }
        Node::Word(self.chars[start..self.at].iter().collect())
    }
}

fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(text: &str) -> Vec<Node> {
        lex(text).into_iter().map(|item| item.node).collect()
    }

    #[test]
    fn reads_words_variables_strings_and_groups() {
        let got = nodes("Write-Host ('a' + $script:X) # note\n$y = \"it's $z\"");
        assert_eq!(
            got,
            [
                Node::Word("Write-Host".into()),
                Node::Group(
                    Bracket::Paren,
                    vec![
                        Item {
                            node: Node::Str {
                                text: "a".into(),
                                expand: false
                            },
                            spaced: true
                        },
                        Item {
                            node: Node::Op("+".into()),
                            spaced: true
                        },
                        Item {
                            node: Node::Var("script:x".into()),
                            spaced: true
                        },
                    ]
                ),
                Node::End,
                Node::Var("y".into()),
                Node::Op("=".into()),
                Node::Str {
                    text: "it's $z".into(),
                    expand: true
                },
            ]
        );
    }

    #[test]
    fn members_stick_to_their_value_and_comments_vanish() {
        let items = lex("$p.ExitCode <# x\n y #> -eq 0");
        assert_eq!(items[1].node, Node::Word(".ExitCode".into()));
        assert!(!items[1].spaced);
        assert_eq!(items[2].node, Node::Word("-eq".into()));
        assert_eq!(
            nodes("@'\nline '' one\n'@\nx"),
            [
                Node::Str {
                    text: "line '' one".into(),
                    expand: false
                },
                Node::End,
                Node::Word("x".into())
            ]
        );
        assert_eq!(
            nodes("'it''s'"),
            [Node::Str {
                text: "it's".into(),
                expand: false
            }]
        );
    }
}
