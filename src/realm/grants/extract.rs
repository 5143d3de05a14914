//! Reading IAM statements out of a binding file.
//!
//! CDK code (Python, TypeScript) and Terraform are read as expressions: string constants,
//! f-strings, template literals, `${local.x}` and `+` are resolved within the file; a statement
//! whose actions or resources cannot be resolved is an error naming the line, never a guess.
//! CloudFormation (YAML with `!Sub`/`!Join`/`!Ref`/`!GetAtt`, JSON, `cdk synth` output) and plain
//! policy JSON are read as documents.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::lexer::{LexError, Part, Syntax, Tok, Token, lex};
use super::{Effect, Statement};

/// The language of a binding, from its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    TypeScript,
    Terraform,
    Yaml,
    Json,
}

impl Language {
    pub fn of(path: &str) -> Option<Language> {
        let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        Some(match ext.as_str() {
            "py" => Language::Python,
            "ts" | "js" | "mjs" | "cjs" | "mts" => Language::TypeScript,
            "tf" => Language::Terraform,
            "yaml" | "yml" | "template" => Language::Yaml,
            "json" => Language::Json,
            _ => return None,
        })
    }
}

/// A binding that cannot be read: the line and what is wrong there.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractError {
    pub line: usize,
    pub message: String,
}

impl From<LexError> for ExtractError {
    fn from(e: LexError) -> Self {
        ExtractError {
            line: e.line,
            message: e.message,
        }
    }
}

/// The statements `text` (the binding file `path`) makes. `bucket` names the bucket of a CDK
/// or Terraform bucket construct whose name the file does not spell.
pub fn extract(
    path: &str,
    text: &str,
    bucket: Option<&str>,
) -> Result<Vec<Statement>, ExtractError> {
    let language = Language::of(path).ok_or_else(|| ExtractError {
        line: 1,
        message: "s3-iam reads .py, .ts/.js, .tf, .yaml/.yml and .json bindings".to_owned(),
    })?;
    match language {
        Language::Python => Code::run(text, Syntax::Python, bucket),
        Language::TypeScript => Code::run(text, Syntax::TypeScript, bucket),
        Language::Terraform => Code::run(text, Syntax::Hcl, bucket),
        Language::Yaml => {
            let value: serde_yaml::Value =
                serde_yaml::from_str(text).map_err(|e| ExtractError {
                    line: e.location().map_or(1, |l| l.line()),
                    message: format!("not valid YAML: {e}"),
                })?;
            document(text, &yaml_to_json(value))
        }
        Language::Json => {
            let value: Value = serde_json::from_str(text).map_err(|e| ExtractError {
                line: e.line(),
                message: format!("not valid JSON: {e}"),
            })?;
            document(text, &value)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions of Python, TypeScript and HCL.

#[derive(Debug, Clone)]
enum Expr {
    Str(Vec<Part>, usize),
    Name(String, usize),
    Attr(Box<Expr>, String, usize),
    Call(Box<Expr>, Vec<Arg>, usize),
    List(Vec<Expr>, usize),
    Obj(Vec<(String, Expr)>, usize),
    Concat(Vec<Expr>, usize),
    Other(String, usize),
}

impl Expr {
    fn line(&self) -> usize {
        match self {
            Expr::Str(_, l)
            | Expr::Name(_, l)
            | Expr::Attr(_, _, l)
            | Expr::Call(_, _, l)
            | Expr::List(_, l)
            | Expr::Obj(_, l)
            | Expr::Concat(_, l)
            | Expr::Other(_, l) => *l,
        }
    }

    /// `a.b.c` as one dotted name, when the expression is only names.
    fn path(&self) -> Option<String> {
        match self {
            Expr::Name(n, _) => Some(n.clone()),
            Expr::Attr(base, name, _) => base.path().map(|b| format!("{b}.{name}")),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Arg {
    name: Option<String>,
    value: Expr,
}

struct Parser<'t> {
    toks: &'t [Token],
    pos: usize,
    syntax: Syntax,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }

    fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(1, |t| t.line)
    }

    fn punct(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }

    fn eat(&mut self, c: char) -> bool {
        if self.punct(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<Expr> {
        let line = self.line();
        let first = self.postfix()?;
        let mut parts = vec![first];
        while self.punct('+') {
            self.pos += 1;
            parts.push(self.postfix()?);
        }
        if parts.len() == 1 {
            parts.pop()
        } else {
            Some(Expr::Concat(parts, line))
        }
    }

    fn postfix(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        loop {
            let line = self.line();
            if self.punct('.') || (self.punct('?') && self.peek_at(1) == Some(&Tok::Punct('.'))) {
                self.pos += if self.punct('?') { 2 } else { 1 };
                match self.peek() {
                    Some(Tok::Ident(name)) => {
                        let name = name.clone();
                        self.pos += 1;
                        e = Expr::Attr(Box::new(e), name, line);
                    }
                    _ => return None,
                }
            } else if self.punct('!') && self.syntax == Syntax::TypeScript {
                self.pos += 1;
            } else if self.eat('(') {
                let args = self.args(')')?;
                e = Expr::Call(Box::new(e), args, line);
            } else if self.punct('[') {
                self.pos += 1;
                self.expr()?;
                if !self.eat(']') {
                    return None;
                }
                let what = e
                    .path()
                    .map_or_else(|| "an index".to_owned(), |p| format!("`{p}[…]`"));
                e = Expr::Other(what, line);
            } else {
                return Some(e);
            }
        }
    }

    fn args(&mut self, close: char) -> Option<Vec<Arg>> {
        let mut args = Vec::new();
        loop {
            if self.eat(close) {
                return Some(args);
            }
            let named = match (self.peek(), self.peek_at(1), self.peek_at(2)) {
                (Some(Tok::Ident(n)), Some(Tok::Punct('=')), next)
                    if next != Some(&Tok::Punct('=')) =>
                {
                    Some(n.clone())
                }
                _ => None,
            };
            if named.is_some() {
                self.pos += 2;
            }
            let value = self.expr()?;
            args.push(Arg { name: named, value });
            if !self.eat(',') && !self.punct(close) {
                return None;
            }
        }
    }

    fn primary(&mut self) -> Option<Expr> {
        let line = self.line();
        let tok = self.peek()?.clone();
        match tok {
            Tok::Str(parts) => {
                self.pos += 1;
                // Python's adjacent literals concatenate.
                let mut parts = parts;
                while let Some(Tok::Str(more)) = self.peek() {
                    if self.syntax != Syntax::Python {
                        break;
                    }
                    parts.extend(more.iter().cloned());
                    self.pos += 1;
                }
                Some(Expr::Str(parts, line))
            }
            Tok::Num(n) => {
                self.pos += 1;
                Some(Expr::Other(n, line))
            }
            Tok::Ident(name) if name == "new" || name == "await" => {
                self.pos += 1;
                self.postfix()
            }
            Tok::Ident(name) => {
                self.pos += 1;
                Some(Expr::Name(name, line))
            }
            Tok::Punct('(') => {
                self.pos += 1;
                let e = self.expr()?;
                self.eat(',');
                if !self.eat(')') {
                    return None;
                }
                Some(e)
            }
            Tok::Punct('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(']') {
                        return Some(Expr::List(items, line));
                    }
                    if self.punct('.') && self.peek_at(1) == Some(&Tok::Punct('.')) {
                        // A spread: `...OTHER`.
                        self.pos += 3;
                    }
                    if self.eat('*') {
                        // Python's `*OTHER`.
                    }
                    items.push(self.expr()?);
                    if !self.eat(',') && !self.punct(']') {
                        return None;
                    }
                }
            }
            Tok::Punct('{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                loop {
                    if self.eat('}') {
                        return Some(Expr::Obj(entries, line));
                    }
                    let key = match self.peek()?.clone() {
                        Tok::Ident(k) => k,
                        Tok::Str(parts) => parts
                            .iter()
                            .map(|p| match p {
                                Part::Lit(s) => s.clone(),
                                Part::Expr(e) => format!("${{{e}}}"),
                            })
                            .collect(),
                        _ => return None,
                    };
                    self.pos += 1;
                    if self.eat(':') || self.eat('=') {
                        entries.push((key, self.expr()?));
                    } else {
                        // TypeScript's shorthand `{ actions }`.
                        entries.push((key.clone(), Expr::Name(key, line)));
                    }
                    self.eat(',');
                }
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Val {
    Str(String),
    List(Vec<Val>),
    Obj(Vec<(String, Val)>),
    Bucket(Option<String>),
    Effect(Effect),
    /// What could not be resolved, in words.
    Unknown(String),
}

impl Val {
    fn to_json(&self) -> Option<Value> {
        Some(match self {
            Val::Str(s) => Value::String(s.clone()),
            Val::List(items) => {
                Value::Array(items.iter().map(Val::to_json).collect::<Option<Vec<_>>>()?)
            }
            Val::Obj(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect::<Option<Map<_, _>>>()?,
            ),
            Val::Effect(Effect::Allow) => Value::String("Allow".to_owned()),
            Val::Effect(Effect::Deny) => Value::String("Deny".to_owned()),
            _ => return None,
        })
    }
}

/// The evaluation of one CDK or Terraform file.
struct Code {
    syntax: Syntax,
    env: HashMap<String, Val>,
    default_bucket: Option<String>,
    statements: Vec<Statement>,
    error: Option<ExtractError>,
    /// Set while collecting names only (Terraform's first pass).
    quiet: bool,
}

impl Code {
    fn run(
        text: &str,
        syntax: Syntax,
        bucket: Option<&str>,
    ) -> Result<Vec<Statement>, ExtractError> {
        let toks = lex(text, syntax)?;
        let mut code = Code {
            syntax,
            env: HashMap::new(),
            default_bucket: bucket.map(str::to_owned),
            statements: Vec::new(),
            error: None,
            quiet: false,
        };
        if syntax == Syntax::Hcl {
            let body = hcl_body(&toks, &mut 0, syntax).ok_or_else(|| ExtractError {
                line: toks.last().map_or(1, |t| t.line),
                message: "cannot read this Terraform file (unbalanced braces?)".to_owned(),
            })?;
            code.quiet = true;
            code.hcl(&body, &[]);
            code.quiet = false;
            code.hcl(&body, &[]);
        } else {
            code.scan(&toks);
        }
        match code.error {
            Some(e) => Err(e),
            None => Ok(code.statements),
        }
    }

    fn fail(&mut self, line: usize, message: String) {
        if self.error.is_none() && !self.quiet {
            self.error = Some(ExtractError { line, message });
        }
    }

    /// Python and TypeScript: assignments and top-level expressions, in file order.
    fn scan(&mut self, toks: &[Token]) {
        let mut pos = 0;
        while pos < toks.len() {
            let after_dot = pos > 0 && toks[pos - 1].tok == Tok::Punct('.');
            let Tok::Ident(word) = &toks[pos].tok else {
                pos += 1;
                continue;
            };
            if after_dot {
                pos += 1;
                continue;
            }
            let mut p = Parser {
                toks,
                pos,
                syntax: self.syntax,
            };
            if matches!(
                word.as_str(),
                "const" | "let" | "var" | "readonly" | "export"
            ) {
                pos += 1;
                continue;
            }
            let Some(target) = p.postfix() else {
                pos += 1;
                continue;
            };
            // `NAME = expr`, `self.x = expr`, `NAME: type = expr`.
            let mut q = p.pos;
            if p.punct(':') {
                while q < toks.len()
                    && !matches!(toks[q].tok, Tok::Punct('=') | Tok::Punct(';'))
                    && toks[q].line == toks[p.pos].line
                {
                    q += 1;
                }
            }
            let is_assign = toks.get(q).map(|t| &t.tok) == Some(&Tok::Punct('='))
                && toks.get(q + 1).map(|t| &t.tok) != Some(&Tok::Punct('='))
                && target.path().is_some();
            if is_assign {
                p.pos = q + 1;
                if let Some(value) = p.expr() {
                    let v = self.eval(&value);
                    if let Some(name) = target.path() {
                        self.env.insert(normalize(&name), v);
                    }
                    pos = p.pos;
                    continue;
                }
                pos += 1;
                continue;
            }
            self.eval(&target);
            pos = p.pos.max(pos + 1);
        }
    }

    fn eval(&mut self, e: &Expr) -> Val {
        match e {
            Expr::Str(parts, line) => self.template(parts, *line),
            Expr::Name(name, _) => self.lookup(name),
            Expr::Attr(base, name, _) => {
                if let Some(path) = e.path()
                    && let Some(v) = self.env.get(&normalize(&path))
                {
                    return v.clone();
                }
                if let Some(path) = e.path() {
                    let upper = name.to_ascii_uppercase();
                    if path.ends_with(&format!("Effect.{name}")) && upper == "DENY" {
                        return Val::Effect(Effect::Deny);
                    }
                    if path.ends_with(&format!("Effect.{name}")) && upper == "ALLOW" {
                        return Val::Effect(Effect::Allow);
                    }
                }
                match self.eval(base) {
                    Val::Bucket(b) => {
                        let Some(b) = b.or_else(|| self.default_bucket.clone()) else {
                            return Val::Unknown("a bucket without a name".to_owned());
                        };
                        match name.as_str() {
                            "bucket_arn" | "bucketArn" | "arn" => {
                                Val::Str(format!("arn:aws:s3:::{b}"))
                            }
                            "bucket_name" | "bucketName" | "bucket" | "id" => Val::Str(b),
                            _ => Val::Unknown(format!("`{}`", e.path().unwrap_or_default())),
                        }
                    }
                    Val::Obj(entries) => entries
                        .into_iter()
                        .find(|(k, _)| k == name)
                        .map_or_else(|| Val::Unknown(format!("`.{name}`")), |(_, v)| v),
                    _ => Val::Unknown(format!("`{}`", e.path().unwrap_or_else(|| name.clone()))),
                }
            }
            Expr::Call(callee, args, line) => self.call(callee, args, *line),
            Expr::List(items, _) => Val::List(items.iter().map(|i| self.eval(i)).collect()),
            Expr::Obj(entries, _) => Val::Obj(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.eval(v)))
                    .collect(),
            ),
            Expr::Concat(parts, _) => {
                let mut out = String::new();
                for part in parts {
                    match self.eval(part) {
                        Val::Str(s) => out.push_str(&s),
                        Val::Unknown(what) => return Val::Unknown(what),
                        _ => return Val::Unknown("a `+` of non-strings".to_owned()),
                    }
                }
                Val::Str(out)
            }
            Expr::Other(what, _) => Val::Unknown(what.clone()),
        }
    }

    fn lookup(&self, name: &str) -> Val {
        match self.env.get(&normalize(name)) {
            Some(v) => v.clone(),
            None => match name {
                "true" | "false" | "True" | "False" | "None" | "null" => {
                    Val::Unknown(format!("`{name}`"))
                }
                _ => Val::Unknown(format!("`{name}`")),
            },
        }
    }

    fn template(&mut self, parts: &[Part], line: usize) -> Val {
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Expr(src) => {
                    let Ok(toks) = lex(src, self.syntax) else {
                        return Val::Unknown(format!("`{src}`"));
                    };
                    let toks: Vec<Token> = toks
                        .into_iter()
                        .map(|t| Token {
                            line: line + t.line - 1,
                            ..t
                        })
                        .collect();
                    let mut p = Parser {
                        toks: &toks,
                        pos: 0,
                        syntax: self.syntax,
                    };
                    match p.expr() {
                        Some(e) if p.pos == toks.len() => match self.eval(&e) {
                            Val::Str(s) => out.push_str(&s),
                            Val::Unknown(what) => return Val::Unknown(what),
                            _ => return Val::Unknown(format!("`{src}`")),
                        },
                        _ => {
                            // AWS's own placeholders stay as written.
                            if src.starts_with("AWS::") || src.starts_with("aws:") {
                                out.push_str(&format!("${{{src}}}"));
                            } else {
                                return Val::Unknown(format!("`{src}`"));
                            }
                        }
                    }
                }
            }
        }
        Val::Str(out)
    }

    fn call(&mut self, callee: &Expr, args: &[Arg], line: usize) -> Val {
        let (base, fname) = match callee {
            Expr::Attr(base, name, _) => (Some(&**base), name.as_str()),
            Expr::Name(name, _) => (None, name.as_str()),
            _ => {
                for a in args {
                    self.eval(&a.value);
                }
                return Val::Unknown("a call".to_owned());
            }
        };
        let named = |key: &[&str]| {
            args.iter()
                .find(|a| a.name.as_deref().is_some_and(|n| key.contains(&n)))
                .map(|a| &a.value)
        };
        match fname {
            "PolicyStatement" => {
                let fields: Vec<(String, Expr)> = match args.first() {
                    Some(Arg {
                        name: None,
                        value: Expr::Obj(entries, _),
                    }) => entries.clone(),
                    _ => args
                        .iter()
                        .filter_map(|a| Some((a.name.clone()?, a.value.clone())))
                        .collect(),
                };
                self.statement(&fields, line);
                Val::Unknown("a policy statement".to_owned())
            }
            "from_bucket_name" | "fromBucketName" => {
                match args.get(2).map(|a| self.eval(&a.value)) {
                    Some(Val::Str(name)) => Val::Bucket(Some(name)),
                    _ => Val::Bucket(None),
                }
            }
            "from_bucket_arn" | "fromBucketArn" => match args.get(2).map(|a| self.eval(&a.value)) {
                Some(Val::Str(arn)) => Val::Bucket(
                    arn.strip_prefix("arn:aws:s3:::")
                        .map(|n| n.trim_end_matches('/').to_owned()),
                ),
                _ => Val::Bucket(None),
            },
            "Bucket" => {
                let name = named(&["bucket_name"])
                    .cloned()
                    .or_else(|| match args.get(2) {
                        Some(Arg {
                            value: Expr::Obj(entries, _),
                            ..
                        }) => entries
                            .iter()
                            .find(|(k, _)| k == "bucketName")
                            .map(|(_, v)| v.clone()),
                        _ => None,
                    });
                match name.map(|n| self.eval(&n)) {
                    Some(Val::Str(name)) => Val::Bucket(Some(name)),
                    _ => Val::Bucket(None),
                }
            }
            "arn_for_objects" | "arnForObjects" => {
                let Some(Val::Bucket(b)) = base.map(|b| self.eval(b)) else {
                    return Val::Unknown(format!("`{fname}`"));
                };
                let Some(b) = b.or_else(|| self.default_bucket.clone()) else {
                    return Val::Unknown("a bucket without a name".to_owned());
                };
                match args.first().map(|a| self.eval(&a.value)) {
                    Some(Val::Str(key)) => Val::Str(format!("arn:aws:s3:::{b}/{key}")),
                    Some(Val::Unknown(what)) => Val::Unknown(what),
                    _ => Val::Unknown(format!("`{fname}`")),
                }
            }
            "join"
                if self.syntax == Syntax::Python
                    || base.and_then(Expr::path).is_some_and(|p| p.ends_with("Fn")) =>
            {
                let (sep, list) = if self.syntax == Syntax::Python
                    && !base.and_then(Expr::path).is_some_and(|p| p.ends_with("Fn"))
                {
                    (
                        base.map(|b| self.eval(b)),
                        args.first().map(|a| self.eval(&a.value)),
                    )
                } else {
                    (
                        args.first().map(|a| self.eval(&a.value)),
                        args.get(1).map(|a| self.eval(&a.value)),
                    )
                };
                match (sep, list) {
                    (Some(Val::Str(sep)), Some(Val::List(items))) => {
                        let mut parts = Vec::new();
                        for item in items {
                            match item {
                                Val::Str(s) => parts.push(s),
                                other => return unknown(other),
                            }
                        }
                        Val::Str(parts.join(&sep))
                    }
                    _ => Val::Unknown("a join".to_owned()),
                }
            }
            "jsonencode" => {
                let value = args.first().map(|a| self.eval(&a.value));
                match value.as_ref().and_then(Val::to_json) {
                    Some(json) => {
                        self.policy_json(&json, line);
                        Val::Str(json.to_string())
                    }
                    None => {
                        if let Some(v) = value
                            && json_mentions_statement(&v)
                        {
                            self.fail(
                                line,
                                format!("cannot resolve {} in a jsonencode policy", describe(&v)),
                            );
                        }
                        Val::Unknown("jsonencode".to_owned())
                    }
                }
            }
            grant if grant_actions(grant).is_some() => {
                let target = base.map(|b| self.eval(b));
                let pattern = named(&["objects_key_pattern"])
                    .or_else(|| {
                        args.iter()
                            .filter(|a| a.name.is_none())
                            .nth(1)
                            .map(|a| &a.value)
                    })
                    .map(|e| (self.eval(e), e.line()));
                for a in args {
                    self.eval(&a.value);
                }
                let Some(Val::Bucket(bucket)) = target else {
                    return Val::Unknown("a grant".to_owned());
                };
                let Some(bucket) = bucket.or_else(|| self.default_bucket.clone()) else {
                    self.fail(
                        line,
                        format!(
                            "cannot tell which bucket `{}` grants on",
                            base.and_then(Expr::path).unwrap_or_default()
                        ),
                    );
                    return Val::Unknown("a grant".to_owned());
                };
                let pattern = match pattern {
                    None => "*".to_owned(),
                    Some((Val::Str(p), _)) => p,
                    Some((other, at)) => {
                        self.fail(
                            at,
                            format!(
                                "cannot resolve {} in `{grant}`'s key pattern",
                                describe(&other)
                            ),
                        );
                        return Val::Unknown("a grant".to_owned());
                    }
                };
                if !self.quiet {
                    self.statements.push(Statement {
                        effect: Effect::Allow,
                        actions: grant_actions(grant)
                            .unwrap_or_default()
                            .iter()
                            .map(|a| (*a).to_owned())
                            .collect(),
                        resources: vec![
                            format!("arn:aws:s3:::{bucket}"),
                            format!("arn:aws:s3:::{bucket}/{pattern}"),
                        ],
                        line,
                        unsupported: None,
                    });
                }
                Val::Unknown("a grant".to_owned())
            }
            _ => {
                if let Some(b) = base {
                    self.eval(b);
                }
                for a in args {
                    self.eval(&a.value);
                }
                Val::Unknown(format!("a call to `{fname}`"))
            }
        }
    }

    /// A statement from its fields (CDK's snake_case or camelCase, Terraform's block).
    fn statement(&mut self, fields: &[(String, Expr)], line: usize) {
        let field = |names: &[&str]| {
            fields
                .iter()
                .find(|(k, _)| names.contains(&k.as_str()))
                .map(|(_, v)| v)
        };
        let mut unsupported = None;
        for (names, label) in [
            (&["not_actions", "notActions"][..], "NotAction"),
            (&["not_resources", "notResources"][..], "NotResource"),
        ] {
            if field(names).is_some() {
                unsupported = Some(label.to_owned());
            }
        }
        let effect = match field(&["effect"]).map(|e| self.eval(e)) {
            None => Effect::Allow,
            Some(Val::Effect(e)) => e,
            Some(Val::Str(s)) if s.eq_ignore_ascii_case("deny") => Effect::Deny,
            Some(Val::Str(s)) if s.eq_ignore_ascii_case("allow") => Effect::Allow,
            Some(other) => {
                self.fail(
                    line,
                    format!(
                        "cannot resolve {} as a statement's effect",
                        describe(&other)
                    ),
                );
                return;
            }
        };
        let mut lists = Vec::new();
        for (names, label) in [
            (&["actions"][..], "actions"),
            (&["resources"][..], "resources"),
        ] {
            let mut out = Vec::new();
            if let Some(e) = field(names) {
                let at = e.line();
                match self.eval(e) {
                    Val::List(items) => {
                        for item in items {
                            match item {
                                Val::Str(s) => out.push(s),
                                other => {
                                    self.fail(
                                        at,
                                        format!(
                                            "cannot resolve {} in a statement's {label}",
                                            describe(&other)
                                        ),
                                    );
                                    return;
                                }
                            }
                        }
                    }
                    Val::Str(s) => out.push(s),
                    other => {
                        self.fail(
                            at,
                            format!(
                                "cannot resolve {} as a statement's {label}",
                                describe(&other)
                            ),
                        );
                        return;
                    }
                }
            }
            lists.push(out);
        }
        let resources = lists.pop().unwrap_or_default();
        let actions = lists.pop().unwrap_or_default();
        if !self.quiet {
            self.statements.push(Statement {
                effect,
                actions,
                resources,
                line,
                unsupported,
            });
        }
    }

    /// A policy document built in code (Terraform's `jsonencode`).
    fn policy_json(&mut self, json: &Value, line: usize) {
        if self.quiet {
            return;
        }
        let mut found = Vec::new();
        if let Err(message) = statements_in(json, &Cfn::default(), &mut found) {
            self.fail(line, message);
        }
        for (s, _) in found {
            self.statements.push(Statement { line, ..s });
        }
    }

    /// Terraform: collect names (`local.x`, `var.x`, `aws_s3_bucket.x`), read statements.
    fn hcl(&mut self, body: &[Item], path: &[String]) {
        for item in body {
            match item {
                Item::Attr(name, value) => {
                    let v = self.eval(value);
                    match path.first().map(String::as_str) {
                        Some("locals") => {
                            self.env.insert(format!("local.{name}"), v);
                        }
                        Some("variable") if name == "default" && path.len() == 2 => {
                            self.env.insert(format!("var.{}", path[1]), v);
                        }
                        Some("resource")
                            if path.get(1).map(String::as_str) == Some("aws_s3_bucket")
                                && path.len() == 3
                                && name == "bucket" =>
                        {
                            let b = match v {
                                Val::Str(s) => Some(s),
                                _ => None,
                            };
                            self.env
                                .insert(format!("aws_s3_bucket.{}", path[2]), Val::Bucket(b));
                        }
                        _ => {
                            if let (Val::Str(s), Expr::Str(..)) = (&v, value)
                                && s.trim_start().starts_with('{')
                                && let Ok(json) = serde_json::from_str::<Value>(s)
                            {
                                self.policy_json(&json, value.line());
                            }
                        }
                    }
                }
                Item::Block(kind, labels, inner, line) => {
                    if kind == "statement" {
                        let fields: Vec<(String, Expr)> = inner
                            .iter()
                            .filter_map(|i| match i {
                                Item::Attr(n, v) => Some((n.clone(), v.clone())),
                                Item::Block(..) => None,
                            })
                            .collect();
                        self.statement(&fields, *line);
                        continue;
                    }
                    let mut p = vec![kind.clone()];
                    p.extend(labels.iter().cloned());
                    if kind == "resource"
                        && labels.first().map(String::as_str) == Some("aws_s3_bucket")
                        && labels.len() == 2
                        && !self
                            .env
                            .contains_key(&format!("aws_s3_bucket.{}", labels[1]))
                    {
                        self.env
                            .insert(format!("aws_s3_bucket.{}", labels[1]), Val::Bucket(None));
                    }
                    self.hcl(inner, &p);
                }
            }
        }
    }
}

/// `self.x` and `this.x` are one name.
fn normalize(name: &str) -> String {
    name.strip_prefix("this.")
        .map_or_else(|| name.to_owned(), |rest| format!("self.{rest}"))
}

fn unknown(v: Val) -> Val {
    match v {
        Val::Unknown(w) => Val::Unknown(w),
        _ => Val::Unknown("a non-string".to_owned()),
    }
}

fn describe(v: &Val) -> String {
    match v {
        Val::Unknown(what) => what.clone(),
        Val::Bucket(_) => "a bucket object".to_owned(),
        Val::List(items) => items
            .iter()
            .find(|i| !matches!(i, Val::Str(_)))
            .map_or_else(|| "a list".to_owned(), describe),
        Val::Obj(entries) => entries
            .iter()
            .find(|(_, v)| v.to_json().is_none())
            .map_or_else(|| "an object".to_owned(), |(_, v)| describe(v)),
        _ => "a value that is not a string".to_owned(),
    }
}

fn json_mentions_statement(v: &Val) -> bool {
    match v {
        Val::Obj(entries) => entries
            .iter()
            .any(|(k, v)| k == "Statement" || json_mentions_statement(v)),
        Val::List(items) => items.iter().any(json_mentions_statement),
        _ => false,
    }
}

/// The actions of CDK's `grant*` methods on a bucket (aws-cdk-lib/aws-s3/lib/perms.ts).
fn grant_actions(method: &str) -> Option<&'static [&'static str]> {
    const READ: &[&str] = &["s3:GetObject*", "s3:GetBucket*", "s3:List*"];
    const PUT: &[&str] = &[
        "s3:PutObject",
        "s3:PutObjectLegalHold",
        "s3:PutObjectRetention",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "s3:Abort*",
    ];
    const WRITE: &[&str] = &[
        "s3:PutObject",
        "s3:PutObjectLegalHold",
        "s3:PutObjectRetention",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "s3:Abort*",
        "s3:DeleteObject*",
    ];
    const READ_WRITE: &[&str] = &[
        "s3:GetObject*",
        "s3:GetBucket*",
        "s3:List*",
        "s3:PutObject",
        "s3:PutObjectLegalHold",
        "s3:PutObjectRetention",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "s3:Abort*",
        "s3:DeleteObject*",
    ];
    const DELETE: &[&str] = &["s3:DeleteObject*"];
    Some(match method {
        "grant_read" | "grantRead" => READ,
        "grant_write" | "grantWrite" => WRITE,
        "grant_read_write" | "grantReadWrite" => READ_WRITE,
        "grant_put" | "grantPut" => PUT,
        "grant_delete" | "grantDelete" => DELETE,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Terraform's structure: attributes and blocks.

#[derive(Debug, Clone)]
enum Item {
    Attr(String, Expr),
    Block(String, Vec<String>, Vec<Item>, usize),
}

fn hcl_body(toks: &[Token], pos: &mut usize, syntax: Syntax) -> Option<Vec<Item>> {
    let mut items = Vec::new();
    while *pos < toks.len() {
        let line = toks[*pos].line;
        match &toks[*pos].tok {
            Tok::Punct('}') => return Some(items),
            Tok::Ident(name) => {
                let name = name.clone();
                *pos += 1;
                if toks.get(*pos).map(|t| &t.tok) == Some(&Tok::Punct('=')) {
                    *pos += 1;
                    let mut p = Parser {
                        toks,
                        pos: *pos,
                        syntax,
                    };
                    let value = p.expr()?;
                    *pos = p.pos;
                    items.push(Item::Attr(name, value));
                    continue;
                }
                let mut labels = Vec::new();
                loop {
                    match toks.get(*pos).map(|t| &t.tok) {
                        Some(Tok::Str(parts)) => {
                            labels.push(
                                parts
                                    .iter()
                                    .map(|p| match p {
                                        Part::Lit(s) => s.clone(),
                                        Part::Expr(e) => e.clone(),
                                    })
                                    .collect(),
                            );
                            *pos += 1;
                        }
                        Some(Tok::Ident(l)) => {
                            labels.push(l.clone());
                            *pos += 1;
                        }
                        Some(Tok::Punct('{')) => {
                            *pos += 1;
                            let inner = hcl_body(toks, pos, syntax)?;
                            if toks.get(*pos).map(|t| &t.tok) != Some(&Tok::Punct('}')) {
                                return None;
                            }
                            *pos += 1;
                            items.push(Item::Block(name, labels, inner, line));
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
    }
    Some(items)
}

// ---------------------------------------------------------------------------------------------
// Documents: CloudFormation (YAML, JSON, cdk synth) and plain policy JSON.

/// What a CloudFormation template names: parameters' defaults and buckets' names.
#[derive(Default)]
struct Cfn {
    names: HashMap<String, String>,
}

fn document(text: &str, value: &Value) -> Result<Vec<Statement>, ExtractError> {
    let mut cfn = Cfn::default();
    if let Some(params) = value.get("Parameters").and_then(Value::as_object) {
        for (name, p) in params {
            if let Some(d) = p.get("Default").and_then(Value::as_str) {
                cfn.names.insert(name.clone(), d.to_owned());
            }
        }
    }
    if let Some(resources) = value.get("Resources").and_then(Value::as_object) {
        for (name, r) in resources {
            if r.get("Type").and_then(Value::as_str) == Some("AWS::S3::Bucket")
                && let Some(b) = r.pointer("/Properties/BucketName").and_then(Value::as_str)
            {
                cfn.names.insert(name.clone(), b.to_owned());
            }
        }
    }
    let mut found = Vec::new();
    let effect_lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("Effect"))
        .map(|(i, _)| i + 1)
        .collect();
    let result = statements_in(value, &cfn, &mut found);
    let line_of = |index: usize| effect_lines.get(index).copied().unwrap_or(1);
    if let Err(message) = result {
        return Err(ExtractError {
            line: line_of(found.len()),
            message,
        });
    }
    Ok(found
        .into_iter()
        .map(|(s, index)| Statement {
            line: line_of(index),
            ..s
        })
        .collect())
}

/// Every statement under a `Statement` key of `value`, with its index in document order.
fn statements_in(
    value: &Value,
    cfn: &Cfn,
    out: &mut Vec<(Statement, usize)>,
) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "Statement" {
                    let list: Vec<&Value> = match v {
                        Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    for s in list {
                        let index = out.len();
                        let statement = one_statement(s, cfn)?;
                        out.push((statement, index));
                    }
                } else {
                    statements_in(v, cfn, out)?;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                statements_in(item, cfn, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn one_statement(s: &Value, cfn: &Cfn) -> Result<Statement, String> {
    let effect = match s.get("Effect").map(|e| resolve(e, cfn)) {
        Some(Ok(e)) if e == "Allow" => Effect::Allow,
        Some(Ok(e)) if e == "Deny" => Effect::Deny,
        Some(Ok(e)) => return Err(format!("a statement's Effect is `{e}`, not Allow or Deny")),
        Some(Err(e)) => return Err(e),
        None => return Err("a statement has no Effect".to_owned()),
    };
    let unsupported = ["NotAction", "NotResource"]
        .into_iter()
        .find(|k| s.get(*k).is_some())
        .map(str::to_owned);
    let list = |key: &str| -> Result<Vec<String>, String> {
        match s.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items.iter().map(|i| resolve(i, cfn)).collect(),
            Some(other) => resolve(other, cfn).map(|one| vec![one]),
        }
    };
    Ok(Statement {
        effect,
        actions: list("Action")?,
        resources: list("Resource")?,
        line: 0,
        unsupported,
    })
}

/// A string or a CloudFormation intrinsic that makes one.
fn resolve(v: &Value, cfn: &Cfn) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Object(map) if map.len() == 1 => {
            let (k, arg) = map.iter().next().expect("one entry");
            match k.as_str() {
                "Ref" => {
                    let name = arg.as_str().unwrap_or_default();
                    match name {
                        "AWS::Partition" => Ok("aws".to_owned()),
                        _ => cfn
                            .names
                            .get(name)
                            .cloned()
                            .ok_or_else(|| format!("cannot resolve `Ref: {name}`")),
                    }
                }
                "Fn::GetAtt" => {
                    let (res, att) = match arg {
                        Value::Array(a) if a.len() == 2 => (
                            a[0].as_str().unwrap_or_default().to_owned(),
                            a[1].as_str().unwrap_or_default().to_owned(),
                        ),
                        Value::String(s) => match s.split_once('.') {
                            Some((r, a)) => (r.to_owned(), a.to_owned()),
                            None => (s.clone(), String::new()),
                        },
                        _ => (String::new(), String::new()),
                    };
                    match (cfn.names.get(&res), att.as_str()) {
                        (Some(b), "Arn") => Ok(format!("arn:aws:s3:::{b}")),
                        _ => Err(format!("cannot resolve `Fn::GetAtt: {res}.{att}`")),
                    }
                }
                "Fn::Join" => {
                    let Some([sep, Value::Array(parts)]) = arg.as_array().map(Vec::as_slice) else {
                        return Err("a malformed `Fn::Join`".to_owned());
                    };
                    let sep = sep.as_str().unwrap_or_default();
                    let parts: Result<Vec<String>, String> =
                        parts.iter().map(|p| resolve(p, cfn)).collect();
                    Ok(parts?.join(sep))
                }
                "Fn::Sub" => {
                    let (template, vars) = match arg {
                        Value::String(t) => (t.as_str(), None),
                        Value::Array(a) if !a.is_empty() => {
                            (a[0].as_str().unwrap_or_default(), a.get(1))
                        }
                        _ => return Err("a malformed `Fn::Sub`".to_owned()),
                    };
                    sub(template, vars, cfn)
                }
                other => Err(format!("cannot resolve `{other}`")),
            }
        }
        other => Err(format!("cannot resolve `{other}`")),
    }
}

fn sub(template: &str, vars: Option<&Value>, cfn: &Cfn) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("an unterminated `${{` in `{template}`"));
        };
        let name = &after[..end];
        let value =
            match vars.and_then(|v| v.get(name)) {
                Some(v) => resolve(v, cfn)?,
                None => match name {
                    "AWS::Partition" => "aws".to_owned(),
                    _ => match name.split_once('.') {
                        Some((res, "Arn")) if cfn.names.contains_key(res) => {
                            format!("arn:aws:s3:::{}", cfn.names[res])
                        }
                        _ => cfn.names.get(name).cloned().ok_or_else(|| {
                            format!("cannot resolve `${{{name}}}` in `{template}`")
                        })?,
                    },
                },
            };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// YAML, with CloudFormation's short tags spelled out (`!Sub x` → `{"Fn::Sub": x}`).
fn yaml_to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => Value::String(n.to_string()),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        other => serde_yaml::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let key = if name == "Ref" {
                "Ref".to_owned()
            } else {
                format!("Fn::{name}")
            };
            let mut map = Map::new();
            map.insert(key, yaml_to_json(tagged.value));
            Value::Object(map)
        }
    }
}

#[cfg(test)]
pub(super) fn parse_error_line(path: &str, text: &str) -> Option<usize> {
    extract(path, text, None).err().map(|e| e.line)
}
