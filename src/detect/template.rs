//! Template strings across languages, read up to where a path or URI ends: literal text,
//! placeholders and literal `*`.
//!
//! Placeholders: `{x}` and `{}` (Python f-strings and `.format`, Rust, C#), `{{x}}` (Jinja, Go
//! templates), `${x}` (JavaScript, shell, Terraform, CloudFormation `!Sub`), `$x` and `$(…)`
//! (shell), `#{x}` (Ruby), `%s` `%d` `%v` `%(x)s` … (printf, Go, Python `%`), `<x>` (docs).

use std::sync::LazyLock;

use regex_automata::meta::Regex;

use super::pattern;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A placeholder, named by its last identifier when it has one (`{settings.BUCKET}` →
    /// `BUCKET`), which is how a bucket written as a constant is recognised.
    Placeholder(Option<String>),
    /// A `*` written as such.
    Star,
}

/// Only the conversions that put text into a path: `%f` or `%F` are far more likely the start
/// of percent-encoding (`%2F`) than a float in a key.
static PRINTF: LazyLock<Regex> = LazyLock::new(|| {
    pattern::line(r"(?-u)^%(?:\(([A-Za-z_]\w*)\))?[-+ #0]*(?:\d+|\*)?(?:\.\d+)?[sdivqrxu]")
});
static ANGLE: LazyLock<Regex> = LazyLock::new(|| pattern::line(r"(?-u)^<([A-Za-z_][\w.-]*)>"));
static SHELL_VAR: LazyLock<Regex> = LazyLock::new(|| pattern::line(r"(?-u)^\$(\w+)"));
static LAST_IDENT: LazyLock<Regex> =
    LazyLock::new(|| pattern::line(r"(?-u)([A-Za-z_][A-Za-z0-9_]*)\s*$"));

/// The length of `regex`'s match at the start of `rest` (each pattern above that is used so is
/// anchored there), and its first group's text when it took part.
fn at_start(regex: &Regex, rest: &str) -> Option<(usize, Option<String>)> {
    let m = pattern::first(regex, rest)?;
    let name = m.get_group(1).map(|g| rest[g.range()].to_owned());
    Some((m.get_match()?.end(), name))
}

/// Characters a bucket name or key is made of; anything else (quotes, spaces, `,` `;` `)` `?`
/// `#` `&` …) ends it, which also drops query strings and fragments.
fn is_path_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '=' | '~' | '+' | '@' | ':')
}

/// Read `s` from its start up to where the path it begins with ends.
pub fn read(s: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    let flush = |text: &mut String, pieces: &mut Vec<Piece>| {
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(text)));
        }
    };
    while let Some(c) = s[i..].chars().next() {
        let rest = &s[i..];
        let placeholder: Option<(usize, Option<String>)> = match c {
            '{' => match closing(rest) {
                Some(end) => Some((end, name_of(&rest[1..end - 1]))),
                None => break,
            },
            '$' | '#' if rest[1..].starts_with('{') => match closing(&rest[1..]) {
                Some(end) => Some((end + 1, name_of(&rest[2..end]))),
                None => break,
            },
            '$' if rest[1..].starts_with('(') => match closing(&rest[1..]) {
                Some(end) => Some((end + 1, None)),
                None => break,
            },
            '$' => match at_start(&SHELL_VAR, rest) {
                Some(found) => Some(found),
                None => break,
            },
            '%' => at_start(&PRINTF, rest),
            '<' => match at_start(&ANGLE, rest) {
                Some(found) => Some(found),
                None => break,
            },
            _ => None,
        };
        if let Some((len, name)) = placeholder {
            flush(&mut text, &mut pieces);
            pieces.push(Piece::Placeholder(name));
            i += len;
        } else if c == '*' {
            flush(&mut text, &mut pieces);
            pieces.push(Piece::Star);
            i += 1;
        } else if is_path_char(c) || c == '%' {
            text.push(c);
            i += c.len_utf8();
        } else {
            break;
        }
    }
    flush(&mut text, &mut pieces);
    pieces
}

/// For `rest` starting with an opening bracket, the length up to and including its match on the
/// same line.
fn closing(rest: &str) -> Option<usize> {
    let open = rest.chars().next()?;
    let close = match open {
        '{' => '}',
        '(' => ')',
        _ => return None,
    };
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(i + 1);
            }
        } else if c == '\n' {
            return None;
        }
    }
    None
}

/// `settings.BUCKET` → `BUCKET`; `bucket!r`, `bucket:>10`, `bucket | lower` → `bucket`;
/// `os.path.basename(p)` → `basename`; `0` and `` → none.
fn name_of(inner: &str) -> Option<String> {
    let inner = inner.trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace());
    let cut = inner
        .find(['!', ':', '|', '(', '[', '='])
        .map_or(inner, |p| &inner[..p]);
    let m = pattern::first(&LAST_IDENT, cut)?;
    Some(cut[m.get_group(1)?.range()].to_owned())
}

#[cfg(test)]
mod tests {
    use super::Piece::*;
    use super::*;

    fn text(s: &str) -> Piece {
        Text(s.to_owned())
    }

    fn named(s: &str) -> Piece {
        Placeholder(Some(s.to_owned()))
    }

    #[test]
    fn placeholders_of_many_languages() {
        assert_eq!(
            read("{BUCKET}/jobs/{job_id}/masks/{name!r}\" rest"),
            vec![
                named("BUCKET"),
                text("/jobs/"),
                named("job_id"),
                text("/masks/"),
                named("name")
            ]
        );
        assert_eq!(
            read("${props.bucketName}/a"),
            vec![named("bucketName"), text("/a")]
        );
        assert_eq!(
            read("%s/jobs/%05d/%v'"),
            vec![
                Placeholder(None),
                text("/jobs/"),
                Placeholder(None),
                text("/"),
                Placeholder(None)
            ]
        );
        assert_eq!(read("%(bucket)s/x"), vec![named("bucket"), text("/x")]);
        assert_eq!(
            read("<bucket>/jobs/<job_id>/"),
            vec![named("bucket"), text("/jobs/"), named("job_id"), text("/")]
        );
        assert_eq!(read("#{bucket}/x"), vec![named("bucket"), text("/x")]);
        assert_eq!(
            read("$BUCKET/$(date +%F)/x"),
            vec![named("BUCKET"), text("/"), Placeholder(None), text("/x")]
        );
        assert_eq!(read("{{ .Bucket }}/x"), vec![named("Bucket"), text("/x")]);
        assert_eq!(
            read("{}/{0}/{os.path.basename(p)}"),
            vec![
                Placeholder(None),
                text("/"),
                Placeholder(None),
                text("/"),
                named("basename")
            ]
        );
    }

    #[test]
    fn ends_where_the_path_ends() {
        assert_eq!(read("b/k.json?versionId=3"), vec![text("b/k.json")]);
        assert_eq!(read("b/k.json#frag"), vec![text("b/k.json")]);
        assert_eq!(read("b/jobs/*\", \"x\""), vec![text("b/jobs/"), Star]);
        assert_eq!(read("b/a b"), vec![text("b/a")]);
        assert_eq!(read("b/x<y"), vec![text("b/x")]);
        // Percent-encoding is text, not a placeholder.
        assert_eq!(read("b/a%2Fb"), vec![text("b/a%2Fb")]);
        // An unclosed placeholder ends the path rather than guessing.
        assert_eq!(read("b/{oops"), vec![text("b/")]);
    }
}
