//! Tokens of Python, TypeScript/JavaScript and Terraform HCL: enough to read expressions
//! (strings with their interpolations, names, brackets) and skip the rest.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Python,
    TypeScript,
    Hcl,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Lit(String),
    /// The source of an interpolation (`{BUCKET}`, `${BUCKET}`, `${var.bucket}`).
    Expr(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Str(Vec<Part>),
    Ident(String),
    Num(String),
    Punct(char),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

/// An unterminated string or comment, at a line.
#[derive(Debug)]
pub struct LexError {
    pub line: usize,
    pub message: String,
}

pub fn lex(text: &str, syntax: Syntax) -> Result<Vec<Token>, LexError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        if c == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        // Comments.
        if (c == '#' && syntax != Syntax::TypeScript) || (c == '/' && next == Some('/')) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') && syntax != Syntax::Python {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            if i >= chars.len() {
                return Err(LexError {
                    line: start_line,
                    message: "unterminated comment".to_owned(),
                });
            }
            i += 2;
            continue;
        }
        // HCL heredoc.
        if syntax == Syntax::Hcl && c == '<' && next == Some('<') {
            let mut j = i + 2;
            if chars.get(j) == Some(&'-') {
                j += 1;
            }
            let tag_start = j;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let tag: String = chars[tag_start..j].iter().collect();
            if tag.is_empty() {
                return Err(LexError {
                    line,
                    message: "heredoc without a delimiter".to_owned(),
                });
            }
            while j < chars.len() && chars[j] != '\n' {
                j += 1;
            }
            let body_start = (j + 1).min(chars.len());
            let rest: String = chars[body_start..].iter().collect();
            let mut consumed = 0;
            let mut body = String::new();
            let mut found = false;
            for l in rest.split_inclusive('\n') {
                consumed += l.chars().count();
                line += usize::from(l.ends_with('\n'));
                if l.trim() == tag {
                    found = true;
                    break;
                }
                body.push_str(l);
            }
            if !found {
                return Err(LexError {
                    line: start_line,
                    message: format!("heredoc `{tag}` is not terminated"),
                });
            }
            line += 1;
            i = body_start + consumed;
            out.push(Token {
                tok: Tok::Str(split_template(&body, "${", syntax)),
                line: start_line,
            });
            continue;
        }
        // Strings, with Python's prefixes.
        let (prefix_len, quote) = string_start(&chars, i, syntax);
        if let Some(quote) = quote {
            let prefix: String = chars[i..i + prefix_len].iter().collect::<String>();
            let prefix = prefix.to_ascii_lowercase();
            let mut j = i + prefix_len;
            let triple = syntax == Syntax::Python
                && chars.get(j + 1) == Some(&quote)
                && chars.get(j + 2) == Some(&quote);
            j += if triple { 3 } else { 1 };
            let mut raw = String::new();
            let mut closed = false;
            while j < chars.len() {
                let d = chars[j];
                if d == '\\' && !prefix.contains('r') {
                    if let Some(&e) = chars.get(j + 1) {
                        if e == '\n' {
                            line += 1;
                        }
                        raw.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                        // Keep an escaped interpolation opener literal.
                        if matches!(e, '{' | '$') {
                            raw.push('\u{0}');
                        }
                        j += 2;
                        continue;
                    }
                }
                if d == quote
                    && (!triple
                        || (chars.get(j + 1) == Some(&quote) && chars.get(j + 2) == Some(&quote)))
                {
                    j += if triple { 3 } else { 1 };
                    closed = true;
                    break;
                }
                if d == '\n' {
                    if !triple && quote != '`' {
                        break;
                    }
                    line += 1;
                }
                raw.push(d);
                j += 1;
            }
            if !closed {
                return Err(LexError {
                    line: start_line,
                    message: "unterminated string".to_owned(),
                });
            }
            let parts = if syntax == Syntax::Python && prefix.contains('f') {
                split_template(&raw, "{", syntax)
            } else if (syntax == Syntax::TypeScript && quote == '`') || syntax == Syntax::Hcl {
                split_template(&raw, "${", syntax)
            } else {
                vec![Part::Lit(raw.replace('\u{0}', ""))]
            };
            out.push(Token {
                tok: Tok::Str(parts),
                line: start_line,
            });
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_alphanumeric()
                    || chars[j] == '_'
                    || chars[j] == '$'
                    || (syntax == Syntax::Hcl && chars[j] == '-'))
            {
                j += 1;
            }
            out.push(Token {
                tok: Tok::Ident(chars[i..j].iter().collect()),
                line,
            });
            i = j;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '.') {
                j += 1;
            }
            out.push(Token {
                tok: Tok::Num(chars[i..j].iter().collect()),
                line,
            });
            i = j;
            continue;
        }
        out.push(Token {
            tok: Tok::Punct(c),
            line,
        });
        i += 1;
    }
    Ok(out)
}

/// The length of a string's prefix and its quote, when a string starts at `i`.
fn string_start(chars: &[char], i: usize, syntax: Syntax) -> (usize, Option<char>) {
    let quotes: &[char] = match syntax {
        Syntax::Python => &['"', '\''],
        Syntax::TypeScript => &['"', '\'', '`'],
        Syntax::Hcl => &['"'],
    };
    if quotes.contains(&chars[i]) {
        return (0, Some(chars[i]));
    }
    if syntax == Syntax::Python {
        // An identifier made only of prefix letters, directly followed by a quote.
        let prev_is_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if prev_is_ident {
            return (0, None);
        }
        let mut j = i;
        while j < chars.len() && j - i < 2 && "fFrRbBuU".contains(chars[j]) {
            j += 1;
        }
        if j > i && j < chars.len() && quotes.contains(&chars[j]) {
            return (j - i, Some(chars[j]));
        }
    }
    (0, None)
}

/// Split a string into literal runs and interpolations opened by `open` (`{` or `${`).
fn split_template(raw: &str, open: &str, syntax: Syntax) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let chars: Vec<char> = raw.chars().collect();
    let open: Vec<char> = open.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i..].starts_with(&open) && chars.get(i + open.len()) != Some(&'\u{0}') {
            // Python's `{{` is a literal brace.
            if syntax == Syntax::Python && chars.get(i + 1) == Some(&'{') {
                lit.push('{');
                i += 2;
                continue;
            }
            let mut depth = 1;
            let mut j = i + open.len();
            let start = j;
            while j < chars.len() {
                match chars[j] {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            let mut expr: String = chars[start..j.min(chars.len())].iter().collect();
            // Python format specs and conversions: `{x!r}`, `{x:>3}`.
            if syntax == Syntax::Python
                && let Some(cut) = expr.find(['!', ':'])
            {
                expr.truncate(cut);
            }
            parts.push(Part::Expr(expr.trim().to_owned()));
            i = j + 1;
            continue;
        }
        if syntax == Syntax::Python && chars[i] == '}' && chars.get(i + 1) == Some(&'}') {
            lit.push('}');
            i += 2;
            continue;
        }
        if chars[i] != '\u{0}' {
            lit.push(chars[i]);
        }
        i += 1;
    }
    if !lit.is_empty() || parts.is_empty() {
        parts.push(Part::Lit(lit));
    }
    parts
}
