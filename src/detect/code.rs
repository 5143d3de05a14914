//! Source text read as code in no language in particular: string literals, brackets, and the
//! calls and object literals they belong to.
//!
//! Detection must cope with Python, TypeScript, Go, YAML, JSON, shell and prose alike, so this is
//! a tolerant tokenizer, not a parser: it never fails, and a misreading only blurs the context a
//! finding is judged in (which call a key sits in), never which keys are found.

use std::ops::Range;

/// Comment syntax, chosen from the file name: `//` in a Python file is floor division, and `#` in
/// a Go file is not a comment, so one rule for every language would misread brackets.
#[derive(Debug, Clone, Copy)]
pub struct Syntax {
    hash_comments: bool,
    slash_comments: bool,
    rust_lifetimes: bool,
    /// HCL (Terraform): every `{` opens a block of attributes, never of statements, so a
    /// policy `statement { actions = … resources = … }` is judged as a whole.
    hcl: bool,
}

const SLASH_LANGUAGES: &[&str] = &[
    "js", "jsx", "ts", "tsx", "mjs", "cjs", "mts", "cts", "go", "rs", "java", "kt", "kts", "scala",
    "c", "h", "cc", "cpp", "cxx", "hpp", "cs", "swift", "dart", "groovy", "gradle", "jsonc",
    "json5", "proto", "sol", "zig",
];
const BOTH_LANGUAGES: &[&str] = &["php", "tf", "hcl"];

impl Syntax {
    pub fn for_path(path: &[u8]) -> Syntax {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        let ext = match name.iter().rposition(|&b| b == b'.') {
            Some(dot) => String::from_utf8_lossy(&name[dot + 1..]).to_ascii_lowercase(),
            None => String::new(),
        };
        let slash = SLASH_LANGUAGES.contains(&ext.as_str());
        let both = BOTH_LANGUAGES.contains(&ext.as_str());
        Syntax {
            hash_comments: both || !slash,
            slash_comments: both || slash,
            rust_lifetimes: ext == "rs",
            hcl: matches!(ext.as_str(), "tf" | "hcl" | "tfvars"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string literal; `body` is what lies between its quotes.
    Str,
    Word,
    Punct(u8),
    Open(usize),
    Close,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
    pub body: Range<usize>,
}

/// A bracketed region: a call's arguments, an object literal, a list, or a code block.
#[derive(Debug, Clone)]
pub struct Scope {
    pub bracket: u8,
    pub open: usize,
    /// Where the closing bracket is; `None` when it never closed (then nothing is inside it).
    pub close: Option<usize>,
    pub parent: Option<usize>,
    /// The callee or type written right before the bracket (`s3.put_object`, `s3.PutObjectInput`).
    pub name: Range<usize>,
    /// A `{` that opens a block of statements rather than an object literal: findings are never
    /// judged by a whole function body, so the search for context stops here.
    pub block: bool,
    open_token: usize,
    close_token: usize,
}

pub struct Code<'t> {
    pub text: &'t str,
    line_starts: Vec<usize>,
    pub tokens: Vec<Token>,
    pub scopes: Vec<Scope>,
    /// Comments and docstrings, in order: text that never runs.
    inert: Vec<Range<usize>>,
}

/// How far out context is looked for: a key's call, the call that call is an argument of, and
/// so on, a few levels up.
const MAX_CHAIN: usize = 8;
/// A call or literal longer than this is not read as a whole for context.
const MAX_STATEMENT_LINES: usize = 30;
const MAX_STATEMENT_BYTES: usize = 4000;
/// How far along its line context is read on either side of a finding.
const MAX_LINE_REACH: usize = 400;

/// A byte of a word token: a name is never split between two of them.
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

impl<'t> Code<'t> {
    pub fn new(text: &'t str, syntax: Syntax) -> Code<'t> {
        let b = text.as_bytes();
        let n = b.len();
        let mut line_starts = vec![0];
        line_starts.extend(
            b.iter()
                .enumerate()
                .filter(|(_, c)| **c == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut tokens: Vec<Token> = Vec::new();
        let mut scopes: Vec<Scope> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut inert: Vec<Range<usize>> = Vec::new();
        let line_end = |from: usize| {
            b[from..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(n, |p| from + p)
        };
        let mut i = 0;
        while i < n {
            let c = b[i];
            let after_space = i == 0 || b[i - 1].is_ascii_whitespace();
            if c.is_ascii_whitespace() || c >= 0x80 {
                i += 1;
            } else if (c == b'#'
                && syntax.hash_comments
                && after_space
                && b.get(i + 1) != Some(&b'{'))
                || (c == b'/' && syntax.slash_comments && b.get(i + 1) == Some(&b'/'))
            {
                let end = line_end(i);
                inert.push(i..end);
                i = end;
            } else if c == b'/' && syntax.slash_comments && b.get(i + 1) == Some(&b'*') {
                let end = text[i + 2..].find("*/").map_or(n, |p| i + 2 + p + 2);
                inert.push(i..end);
                i = end;
            } else if c == b'"'
                || c == b'`'
                || (c == b'\'' && !(syntax.rust_lifetimes && is_lifetime(b, i)))
            {
                match string_at(b, i) {
                    Some((end, body)) => {
                        if syntax.hash_comments && is_docstring(b, i, &tokens) {
                            inert.push(i..end);
                        }
                        tokens.push(Token {
                            kind: Kind::Str,
                            span: i..end,
                            body,
                        });
                        i = end;
                    }
                    None => {
                        // An unterminated quote on its line is an apostrophe in prose, not a
                        // string: reading it as one would swallow the brackets after it.
                        tokens.push(Token {
                            kind: Kind::Punct(c),
                            span: i..i + 1,
                            body: i..i + 1,
                        });
                        i += 1;
                    }
                }
            } else if matches!(c, b'(' | b'[' | b'{') {
                let name = name_before(b, i);
                let block = c == b'{' && !syntax.hcl && is_block(b, i);
                let scope = scopes.len();
                scopes.push(Scope {
                    bracket: c,
                    open: i,
                    close: None,
                    parent: stack.last().copied(),
                    name,
                    block,
                    open_token: tokens.len(),
                    close_token: usize::MAX,
                });
                stack.push(scope);
                tokens.push(Token {
                    kind: Kind::Open(scope),
                    span: i..i + 1,
                    body: i..i + 1,
                });
                i += 1;
            } else if matches!(c, b')' | b']' | b'}') {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                // A stray closer is ignored; a closer that skips unclosed openers closes the one
                // it matches and leaves the skipped ones open (so they contain nothing).
                if let Some(depth) = stack.iter().rposition(|&s| scopes[s].bracket == want) {
                    let scope = stack[depth];
                    stack.truncate(depth);
                    scopes[scope].close = Some(i);
                    scopes[scope].close_token = tokens.len();
                }
                tokens.push(Token {
                    kind: Kind::Close,
                    span: i..i + 1,
                    body: i..i + 1,
                });
                i += 1;
            } else if is_word_byte(c) {
                let end = b[i..]
                    .iter()
                    .position(|&x| !is_word_byte(x))
                    .map_or(n, |p| i + p);
                tokens.push(Token {
                    kind: Kind::Word,
                    span: i..end,
                    body: i..end,
                });
                i = end;
            } else {
                tokens.push(Token {
                    kind: Kind::Punct(c),
                    span: i..i + 1,
                    body: i..i + 1,
                });
                i += 1;
            }
        }
        Code {
            text,
            line_starts,
            tokens,
            scopes,
            inert,
        }
    }

    /// Whether `pos` lies in a comment or a docstring.
    pub fn is_inert(&self, pos: usize) -> bool {
        let after = self.inert.partition_point(|r| r.start <= pos);
        after
            .checked_sub(1)
            .is_some_and(|i| pos < self.inert[i].end)
    }

    pub fn line_of(&self, pos: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= pos) - 1
    }

    /// The line `pos` is on, and where that text starts. A very long line (minified code,
    /// one-line JSON) is cut to a window around `pos`: its far ends say nothing about `pos`, and
    /// reading all of it for every finding would be quadratic.
    pub fn line(&self, pos: usize) -> (usize, &'t str) {
        let line = self.line_of(pos);
        let line_end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        let mut start = self.line_starts[line].max(pos.saturating_sub(MAX_LINE_REACH));
        let mut end = line_end.min(pos + MAX_LINE_REACH);
        while !self.text.is_char_boundary(start) {
            start += 1;
        }
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        (start, &self.text[start..end])
    }

    /// The string literal whose body contains `pos`.
    pub fn string_at(&self, pos: usize) -> Option<usize> {
        let after = self.tokens.partition_point(|t| t.span.start <= pos);
        let index = after.checked_sub(1)?;
        let token = &self.tokens[index];
        (token.kind == Kind::Str && token.body.start <= pos && pos <= token.body.end)
            .then_some(index)
    }

    pub fn name(&self, scope: usize) -> &'t str {
        &self.text[self.scopes[scope].name.clone()]
    }

    fn contains(&self, scope: usize, pos: usize) -> bool {
        let s = &self.scopes[scope];
        s.open < pos && s.close.is_some_and(|c| pos < c)
    }

    /// The scopes around `pos`, innermost first, up to (not including) a code block.
    pub fn chain(&self, pos: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let opened_before = self.scopes.partition_point(|s| s.open < pos);
        let mut current = opened_before.checked_sub(1);
        while let Some(scope) = current {
            if out.len() == MAX_CHAIN {
                break;
            }
            if self.contains(scope, pos) {
                if self.scopes[scope].block {
                    break;
                }
                out.push(scope);
            }
            current = self.scopes[scope].parent;
        }
        out
    }

    /// The text of a call or literal from its name to its closing bracket, unless it is too long
    /// to speak for any one finding inside it.
    pub fn statement_text(&self, scope: usize) -> Option<&'t str> {
        let s = &self.scopes[scope];
        let close = s.close?;
        let start = s.name.start.min(s.open);
        (self.line_of(close) - self.line_of(s.open) <= MAX_STATEMENT_LINES
            && close - start <= MAX_STATEMENT_BYTES)
            .then(|| &self.text[start..=close])
    }

    /// The comma-separated arguments (or entries) of a closed scope, as token ranges.
    pub fn args(&self, scope: usize) -> Vec<Range<usize>> {
        let s = &self.scopes[scope];
        if s.close.is_none() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut start = s.open_token + 1;
        let mut i = start;
        while i < s.close_token {
            match self.tokens[i].kind {
                Kind::Open(inner) if self.scopes[inner].close.is_some() => {
                    i = self.scopes[inner].close_token + 1;
                    continue;
                }
                Kind::Punct(b',') => {
                    out.push(start..i);
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        if start < s.close_token {
            out.push(start..s.close_token);
        }
        out
    }

    /// The keyword or field an argument is given for (`Key=…`, `Key: …`, `"Key": …`), and the
    /// tokens of its value.
    pub fn label(&self, arg: &Range<usize>) -> (Option<&'t str>, Range<usize>) {
        let t = &self.tokens;
        if arg.len() >= 2 {
            let first = &t[arg.start];
            let sep = t[arg.start + 1].kind;
            let doubled = t
                .get(arg.start + 2)
                .is_some_and(|n| n.kind == Kind::Punct(b'='));
            let is_sep = sep == Kind::Punct(b':') || (sep == Kind::Punct(b'=') && !doubled);
            let name = match first.kind {
                Kind::Word => Some(&self.text[first.span.clone()]),
                Kind::Str => Some(&self.text[first.body.clone()]),
                _ => None,
            };
            if let (Some(name), true) = (name, is_sep) {
                return (Some(name), arg.start + 2..arg.end);
            }
        }
        (None, arg.clone())
    }

    /// The argument of `scope` that contains `pos`, with its index.
    pub fn arg_containing(&self, scope: usize, pos: usize) -> Option<(usize, Range<usize>)> {
        self.args(scope).into_iter().enumerate().find(|(_, arg)| {
            arg.start < arg.end
                && self.tokens[arg.start].span.start <= pos
                && pos < self.tokens[arg.end - 1].span.end
        })
    }

    /// The string a value evaluates to, as far as it is written out: a string literal, through
    /// wrappers (`aws.String(…)`, `fmt.Sprintf(…)`, `str(…)`), `os.path.join(…)`, and `+` or
    /// adjacent-literal concatenation. Anything not written out becomes a `{name}` placeholder.
    /// Returns where the literal starts and the rendered text.
    pub fn literal(&self, value: Range<usize>) -> Option<(usize, String)> {
        self.literal_following(value, true)
    }

    /// As [`Self::literal`], without following a name to its assignment.
    pub fn literal_written(&self, value: Range<usize>) -> Option<(usize, String)> {
        self.literal_following(value, false)
    }

    fn literal_following(&self, value: Range<usize>, follow: bool) -> Option<(usize, String)> {
        let mut i = value.start;
        let mut end = value.end;
        for _ in 0..6 {
            let token = self.tokens.get(i).filter(|_| i < end)?;
            match token.kind {
                Kind::Str => {
                    return Some((token.body.start, self.render(i, token.body.start, end)));
                }
                Kind::Punct(b'&' | b'*') => i += 1,
                // A parenthesised expression: `("jobs/" f"{job_id}/")`.
                Kind::Open(scope)
                    if self.scopes[scope].bracket == b'(' && self.scopes[scope].name.is_empty() =>
                {
                    self.scopes[scope].close?;
                    i += 1;
                    end = self.scopes[scope].close_token;
                }
                Kind::Word if self.is_string_prefix(i) => i += 1,
                Kind::Word => {
                    let (after, last) = self.dotted(i, end);
                    let Some(Kind::Open(scope)) = self.tokens.get(after).map(|t| t.kind) else {
                        // A name given its value in this file (`objectKey := "models/" + id`,
                        // `key = f"…"`): followed one step, never further.
                        return if follow && after == i + 1 {
                            self.assigned(last, self.tokens[i].span.start)
                        } else {
                            None
                        };
                    };
                    if self.scopes[scope].bracket != b'(' || self.scopes[scope].close.is_none() {
                        return None;
                    }
                    if self
                        .name(scope)
                        .rsplit('.')
                        .next()
                        .is_some_and(|op| op.eq_ignore_ascii_case("join"))
                    {
                        return self.render_join(scope);
                    }
                    i = after + 1;
                    end = self.scopes[scope].close_token;
                }
                _ => return None,
            }
        }
        None
    }

    /// The string last assigned to `name` before `before` (`name = …`, `name := …`,
    /// `const name = …`), as far as it is written out on the assignment's line.
    fn assigned(&self, name: &str, before: usize) -> Option<(usize, String)> {
        let t = &self.tokens;
        let upto = t.partition_point(|tok| tok.span.start < before);
        (0..upto).rev().find_map(|i| {
            if t[i].kind != Kind::Word || &self.text[t[i].span.clone()] != name {
                return None;
            }
            if i > 0 && t[i - 1].kind == Kind::Punct(b'.') {
                return None;
            }
            let mut j = i + 1;
            // A type annotation: `key: str = …`.
            if t.get(j).map(|x| x.kind) == Some(Kind::Punct(b':'))
                && t.get(j + 1).map(|x| x.kind) == Some(Kind::Word)
                && t.get(j + 2).map(|x| x.kind) == Some(Kind::Punct(b'='))
            {
                j += 2;
            }
            if t.get(j).map(|x| x.kind) == Some(Kind::Punct(b':')) {
                j += 1;
            }
            if t.get(j).map(|x| x.kind) != Some(Kind::Punct(b'='))
                || t.get(j + 1).map(|x| x.kind) == Some(Kind::Punct(b'='))
            {
                return None;
            }
            let line = self.line_of(t[j].span.start);
            let end = (j + 1..t.len())
                .find(|&k| self.line_of(t[k].span.start) != line)
                .unwrap_or(t.len());
            self.literal_following(j + 1..end, false)
        })
    }

    /// `Word(.Word)*` from token `i`: the index after it and the last word.
    fn dotted(&self, mut i: usize, end: usize) -> (usize, &'t str) {
        let mut last = "";
        while i < end && self.tokens[i].kind == Kind::Word {
            last = &self.text[self.tokens[i].span.clone()];
            i += 1;
            if i + 1 < end
                && self.tokens[i].kind == Kind::Punct(b'.')
                && self.tokens[i + 1].kind == Kind::Word
            {
                i += 1;
            } else {
                break;
            }
        }
        (i, last)
    }

    /// `f"…"`, `r'…'`, `b"…"`: a word that is a string's prefix, not a value of its own.
    fn is_string_prefix(&self, i: usize) -> bool {
        let token = &self.tokens[i];
        let word = &self.text[token.span.clone()];
        word.len() <= 2
            && word
                .chars()
                .all(|c| matches!(c.to_ascii_lowercase(), 'f' | 'r' | 'b' | 'u'))
            && self
                .tokens
                .get(i + 1)
                .is_some_and(|n| n.kind == Kind::Str && n.span.start == token.span.end)
    }

    fn render_join(&self, scope: usize) -> Option<(usize, String)> {
        let args = self.args(scope);
        let first = args.first()?;
        let at = self.tokens.get(first.start)?.span.start;
        let parts: Vec<String> = args
            .iter()
            .map(|arg| match self.literal(arg.clone()) {
                Some((_, text)) => text,
                None => "{}".to_owned(),
            })
            .collect();
        Some((at, parts.join("/")))
    }

    /// The string literal at token `index` from `from` on, with what is concatenated to it.
    pub fn render(&self, index: usize, from: usize, end: usize) -> String {
        let t = &self.tokens;
        let mut out = self.text[from.min(t[index].body.end)..t[index].body.end].to_owned();
        let mut i = index + 1;
        for _ in 0..16 {
            if i >= end.min(t.len()) {
                break;
            }
            match t[i].kind {
                Kind::Str => {
                    out.push_str(&self.text[t[i].body.clone()]);
                    i += 1;
                }
                Kind::Word if self.is_string_prefix(i) => i += 1,
                Kind::Punct(b'+') => {
                    i += 1;
                    let Some(operand) = t.get(i).filter(|_| i < end) else {
                        break;
                    };
                    match operand.kind {
                        Kind::Str => {}
                        Kind::Word if self.is_string_prefix(i) => {}
                        Kind::Word => {
                            let (after, last) = self.dotted(i, end);
                            i = self.skip_calls(after, end);
                            out.push('{');
                            out.push_str(last);
                            out.push('}');
                        }
                        Kind::Open(scope) if self.scopes[scope].close.is_some() => {
                            i = self.scopes[scope].close_token + 1;
                            out.push_str("{}");
                        }
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        out
    }

    /// Past any `(…)`, `[…]` and `.name` that follow an operand.
    fn skip_calls(&self, mut i: usize, end: usize) -> usize {
        while i < end {
            match self.tokens[i].kind {
                Kind::Open(scope) if self.scopes[scope].close.is_some() => {
                    i = self.scopes[scope].close_token + 1
                }
                Kind::Punct(b'.')
                    if self.tokens.get(i + 1).is_some_and(|n| n.kind == Kind::Word) =>
                {
                    i += 2
                }
                _ => break,
            }
        }
        i
    }
}

/// A string literal starting at `i`: where it ends and its body. Single- and double-quoted
/// strings end at their line; backticks and triple quotes may span lines.
fn string_at(b: &[u8], i: usize) -> Option<(usize, Range<usize>)> {
    let quote = b[i];
    let n = b.len();
    if quote != b'`' && b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote) {
        let mut j = i + 3;
        while j < n {
            if b[j] == b'\\' {
                j += 2;
                continue;
            }
            if b[j] == quote && b.get(j + 1) == Some(&quote) && b.get(j + 2) == Some(&quote) {
                return Some((j + 3, i + 3..j));
            }
            j += 1;
        }
        return Some((n, i + 3..n));
    }
    let mut j = i + 1;
    while j < n {
        match b[j] {
            b'\\' => j += 2,
            c if c == quote => return Some((j + 1, i + 1..j)),
            b'\n' if quote != b'`' => return None,
            _ => j += 1,
        }
    }
    (quote == b'`').then_some((n, i + 1..n))
}

/// A Python docstring (or any string standing alone as a statement, which is documentation
/// too): a triple-quoted string that starts its line and is not a value given to something
/// before it (`x = (`, `f(`, `,`, `+`).
fn is_docstring(b: &[u8], i: usize, tokens: &[Token]) -> bool {
    let quote = b[i];
    if quote == b'`' || b.get(i + 1) != Some(&quote) || b.get(i + 2) != Some(&quote) {
        return false;
    }
    let mut k = i;
    while k > 0 && matches!(b[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k > 0 && b[k - 1] != b'\n' {
        return false;
    }
    match tokens.last().map(|t| t.kind) {
        None | Some(Kind::Word | Kind::Str | Kind::Close) => true,
        Some(Kind::Punct(c)) => c == b':' || c == b';',
        Some(Kind::Open(_)) => false,
    }
}

/// `'a` in Rust is a lifetime or label, not the start of a string.
fn is_lifetime(b: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    j > i + 1 && b.get(j) != Some(&b'\'')
}

/// The name written right against a bracket; `print (x)` and `if (x)` have none worth knowing.
fn name_before(b: &[u8], open: usize) -> Range<usize> {
    let mut start = open;
    while start > 0 && (is_word_byte(b[start - 1]) || b[start - 1] == b'.') {
        start -= 1;
    }
    while start < open && b[start] == b'.' {
        start += 1;
    }
    start..open
}

/// Whether the `{` at `i` opens a block of statements: object literals follow `=`, `:`, `(`,
/// `,`, `[`, `{`, `return`, or a type name written right against them (Go's `s3.Input{`).
fn is_block(b: &[u8], i: usize) -> bool {
    if i > 0 && is_word_byte(b[i - 1]) {
        return false;
    }
    let mut k = i;
    while k > 0 && b[k - 1].is_ascii_whitespace() {
        k -= 1;
    }
    if k == 0 {
        return true;
    }
    // `=>` introduces an arrow function's body.
    if k >= 2 && &b[k - 2..k] == b"=>" {
        return true;
    }
    if matches!(b[k - 1], b'=' | b':' | b'(' | b',' | b'[' | b'{' | b'?') {
        return false;
    }
    let word_end = k;
    while k > 0 && is_word_byte(b[k - 1]) {
        k -= 1;
    }
    !matches!(&b[k..word_end], b"return" | b"yield" | b"await")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<'a>(text: &'a str, path: &str) -> Code<'a> {
        Code::new(text, Syntax::for_path(path.as_bytes()))
    }

    #[test]
    fn strings_and_calls() {
        let text = "s3.put_object(Bucket=B, Key=f\"jobs/{j}/x.json\", Body=b)\n";
        let c = code(text, "a.py");
        let key = text.find("jobs").unwrap();
        assert!(c.string_at(key).is_some());
        let chain = c.chain(key);
        assert_eq!(chain.len(), 1);
        assert_eq!(c.name(chain[0]), "s3.put_object");
        let args = c.args(chain[0]);
        assert_eq!(args.len(), 3);
        let (label, value) = c.label(&args[1]);
        assert_eq!(label, Some("Key"));
        assert_eq!(
            c.literal(value).map(|(_, s)| s),
            Some("jobs/{j}/x.json".to_owned())
        );
    }

    #[test]
    fn python_floor_division_is_not_a_comment() {
        let text = "x = (a // 2) + f(\"s3://b/k\")\n";
        let c = code(text, "a.py");
        let chain = c.chain(text.find("s3://").unwrap());
        assert_eq!(chain.len(), 1);
        assert_eq!(c.name(chain[0]), "f");
    }

    #[test]
    fn apostrophes_in_prose_do_not_swallow_brackets() {
        let text = "# don't (worry)\nsave(\"s3://b/k\")\n";
        let c = code(text, "notes.txt");
        assert_eq!(c.chain(text.find("s3://").unwrap()).len(), 1);
        let text = "it's fine (really)\nsave(\"s3://b/k\")\n";
        let c = code(text, "notes.md");
        assert_eq!(c.chain(text.find("s3://").unwrap()).len(), 1);
    }

    #[test]
    fn blocks_stop_the_chain() {
        let text = "function f() {\n  put(a);\n  read(\"s3://b/k\");\n}\n";
        let c = code(text, "a.ts");
        let chain = c.chain(text.find("s3://").unwrap());
        assert_eq!(chain.len(), 1);
        assert_eq!(c.name(chain[0]), "read");
        let text = "const x = {\n  Key: `k`,\n};\nconst y = () => {\n  g(`s3://b/k`)\n}\n";
        let c = code(text, "a.ts");
        assert!(!c.scopes[0].block);
        assert!(c.scopes.iter().any(|s| s.block));
    }

    #[test]
    fn concatenation_renders_placeholders() {
        let text = "u = \"s3://\" + bucket + \"/jobs/\" + str(job.id) + \"/masks/\"\n";
        let c = code(text, "a.py");
        let index = c.string_at(text.find("s3://").unwrap()).unwrap();
        let from = c.tokens[index].body.start;
        assert_eq!(
            c.render(index, from, c.tokens.len()),
            "s3://{bucket}/jobs/{str}/masks/"
        );
    }

    #[test]
    fn wrappers_and_joins() {
        let text = "Key: aws.String(fmt.Sprintf(\"jobs/%s/x\", id)),\nk = os.path.join(\"jobs\", job_id, \"m\")";
        let c = code(text, "a.go");
        let start = c
            .tokens
            .iter()
            .position(|t| &text[t.span.clone()] == "aws")
            .unwrap();
        assert_eq!(
            c.literal(start..c.tokens.len()).map(|(_, s)| s),
            Some("jobs/%s/x".to_owned())
        );
        let c = code(text, "a.py");
        let start = c
            .tokens
            .iter()
            .position(|t| &text[t.span.clone()] == "os")
            .unwrap();
        assert_eq!(
            c.literal(start..c.tokens.len()).map(|(_, s)| s),
            Some("jobs/{}/m".to_owned())
        );
    }
}
