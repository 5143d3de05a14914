//! The `s3` preset: the S3 object keys a repository's code reads and writes, as patterns
//! (`jobs/*/masks/*`) under `read` (every key found) and `write` (keys the code also writes).
//!
//! **Where keys come from.** Only text written out in the file is read; data flow through
//! variables is not followed.
//! - `s3://`, `s3a://`, `s3n://` URIs and `arn:<partition>:s3:::bucket/key` ARNs, quoted or not
//!   (code, YAML, JSON, shell, Markdown), including ones assembled with `+` from literals.
//! - SDK calls naming a key: a `Key` or `Prefix` argument or field beside a `Bucket` one (boto3
//!   keywords, `Params={...}`, JavaScript `{Bucket, Key}` commands, Go `s3.*Input{}`), or in a
//!   boto3 object call without `Bucket` (`bucket.put_object(Key=...)`); boto3's positional
//!   `upload_file`, `download_file`, `upload_fileobj`, `download_fileobj`, `copy` and
//!   `s3.Object(bucket, key)`; CDK's `arn_for_objects(pattern)` and `grant_*(principal, pattern)`.
//!   The key must be a string literal (through `aws.String(…)`, `fmt.Sprintf(…)`, `str(…)`,
//!   `os.path.join(…)` and the like); a key held in a variable is not followed.
//!
//! **Keys become patterns.** Placeholders (see `template`) become `*`. A key ending in `/`, a
//! `Prefix`, and a URI whose last segment is a bare name (no `.`) used as a prefix (a one-segment
//! key, or a line that lists, syncs or says "prefix") become `prefix/*`. Runs of `*` inside a
//! segment and trailing `*` segments collapse (`training-runs/*/*` → `training-runs/*`, since a
//! trailing `*` already spans `/` in S3 and IAM); `*` segments in the middle are kept
//! (`jobs/*/*/config.json`). Query strings, fragments, closing quotes and trailing sentence
//! punctuation are dropped.
//!
//! **What yields nothing.** A bucket alone (`arn:aws:s3:::bucket`, `s3://bucket/`): it names a
//! bucket-level permission such as listing, not objects. A key made only of placeholders
//! (`s3://{bucket}/{key}` in a generic helper): it says nothing about which objects. Text that
//! never runs: comments, docstrings (a string standing alone as a statement), and help for
//! people (`help=`, cobra's `Short`/`Long`/`Example`, `Usage:`, `describe(…)`, `print(…)`).
//!
//! **Buckets.** Every pattern keeps its bucket as its first segment (`aperture-data/jobs/*`).
//! A bucket written as a placeholder is named by `variables:` in the config
//! (`{S3_BUCKET: aperture-data}`), else by the one value a constant of that name is given in
//! the same file (`BUCKET = "x"`, `os.environ.get("B", "x")`, `bucket: x`), else it stays a
//! named variable (`${S3_BUCKET}/jobs/*`) that `check` asks to map. A placeholder without a
//! name (`%s`, `{}`) is an unknown bucket: reported and left out.
//!
//! **Too broad.** `*` and `*/…` (every object of a bucket, or of any folder) are reported and
//! left out unless the config says `allow_broad: true`.
//!
//! **Writes.** A key is also under `write` when its line, or the call or literal it sits in (and
//! the call that literal is given to), shows a write: `put_object`/`PutObject`/`putObject`,
//! anything `upload` (`upload_file`, `upload_fileobj`, `Upload`, multipart), `delete_object(s)`,
//! `generate_presigned_post`, IAM `s3:Put*`, `s3:Delete*`, `s3:Abort*`, `s3:Restore*`,
//! `s3:Replicate*`, `s3:*`, CDK `grant_write`/`grant_read_write`/`grant_put`/`grant_delete`,
//! fsspec/pandas/polars/pathlib writers (`.put(`, `.pipe(`, `.save(`, `to_parquet(`,
//! `write_csv(`, `write_text(`…), `torch.save(`; a call whose own name says write, upload, put,
//! save, store, persist or delete (`save_manifest(uri, …)`); `open(uri, "w")` in any write
//! mode. A copy (`copy_object`, `CopyObjectCommand`, `fs.copy`, `cp`, `mv`, `aws s3 cp|mv|sync`)
//! writes its destination only: the argument after the source, or one given as `Key`/`Bucket`/
//! `dst`, never `CopySource`/`src`. `aws s3 rm` writes.
//!
//! **`buckets:`.** Without it every bucket counts. With it, patterns in buckets known to be
//! others are left out (and reported): a literal bucket not listed, a templated one
//! (`data-{env}`) that cannot name a listed bucket, a placeholder that `variables:` or a constant
//! of the file gives only unlisted values. With exactly one bucket listed, keys are written
//! without it, as the RFC's value is, and a bucket the file does not tell (a constant imported
//! from elsewhere, `%s`, a function argument) is taken to be that one.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Not;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use regex_automata::meta::Regex;

use super::code::{Code, Kind, Syntax, is_word_byte};
use super::pattern;
use super::template::{self, Piece};
use super::{Findings, LeftOut, Reason};
use crate::error::BadInput;

pub const READ: &str = "read";
pub const WRITE: &str = "write";

// The patterns are ASCII and built as `pattern` says: a hook run that meets one hit compiles
// them all.
static URI_START: LazyLock<Regex> = LazyLock::new(|| {
    pattern::text(
        r"(?-u)(?:^|[^A-Za-z0-9_])(s3[an]?://|arn:(?:aws[a-z-]*|\$\{[^}\n]{1,60}\}|\{[^}\n]{1,60}\}):s3:::)",
    )
});
/// Every key the preset finds comes with one of these words in the file, in any ASCII case (a
/// URI or ARN, a `Bucket` argument, an object call, a positional upload/download/copy, a CDK
/// grant).
const TRIGGER_WORDS: &[&[u8]] = &[
    b"s3",
    b"bucket",
    b"object",
    b"upload",
    b"download",
    b"copy",
    b"grant",
    b"arn_for",
];

/// [`TRIGGER_WORDS`] as one search of literals: with the text folded to lower case first, the
/// automaton holds only the eight words, not every case variant of them, so it builds at once
/// and meets few false candidates in the common words of code.
static TRIGGER: LazyLock<AhoCorasick> = LazyLock::new(|| literals(TRIGGER_WORDS));

/// A search for any of `words`, leftmost first. A contiguous automaton behind the literal
/// prefilter: it builds in a tenth of a regex's time, which a hook run that meets one
/// candidate file pays in full.
fn literals<W: AsRef<[u8]>>(words: impl IntoIterator<Item = W>) -> AhoCorasick {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(words)
        .expect("static literals build")
}

/// Whether `data` holds one of [`TRIGGER_WORDS`] in any ASCII case: most files of a repository
/// say nothing of S3 and are skipped before they are decoded or tokenized.
pub fn may_mention_s3(data: &[u8]) -> bool {
    // Folded a piece at a time into a buffer on the stack: nothing allocated per file, and each
    // piece searched while it is in cache. Pieces overlap by a word less one byte, so a word
    // across their boundary is seen whole.
    const PIECE: usize = 8 * 1024;
    const OVERLAP: usize = 15;
    debug_assert!(TRIGGER_WORDS.iter().all(|w| w.len() <= OVERLAP + 1));
    let mut folded = [0u8; PIECE + OVERLAP];
    let mut start: usize = 0;
    loop {
        let from = start.saturating_sub(OVERLAP);
        let end = (start + PIECE).min(data.len());
        let piece = &mut folded[..end - from];
        for (out, byte) in piece.iter_mut().zip(&data[from..end]) {
            *out = byte.to_ascii_lowercase();
        }
        if TRIGGER.is_match(&*piece) {
            return true;
        }
        if end == data.len() {
            return false;
        }
        start = end;
    }
}

/// Whether a file with this content may yield anything: [`has_hit_material`] and
/// [`may_mention_s3`], both read from the bytes as they are (decoding changes no ASCII byte,
/// and gives bytes past ASCII for bytes past ASCII), so the rest is never decoded. The hit
/// material is searched first: it is one case-sensitive pass with nothing to fold, and the
/// files it lets through are few (and always hold a trigger word too).
pub fn may_yield_keys(data: &[u8]) -> bool {
    has_hit_material(data) && may_mention_s3(data)
}

/// What every hit needs written in the file, case and all: a URI or ARN ([`uri_hits`]'s
/// `URI_START`), a `Key` or `Prefix` label (a word, or a string's body, with only blanks,
/// bytes past ASCII, comments or closing quotes before its `:` or `=`), or a call of
/// [`POSITIONAL_CALLS`], `arn_for_objects` or [`CDK_GRANTS`] by its name right against its `(`
/// ([`call_hits`]). A file with none of them yields nothing, so it is not tokenized: in large
/// C and generated sources, tokenizing was most of a cold run. (A label's word is not bounded
/// on its left: every branch then starts with a literal, and the search skips ahead to them.)
static HIT_MATERIAL: LazyLock<AhoCorasick> = LazyLock::new(|| literals(hit_material()));

/// The literals of [`HIT_MATERIAL`].
fn hit_material() -> Vec<String> {
    let calls = POSITIONAL_CALLS
        .iter()
        .map(|(name, _, _)| *name)
        .chain(["arn_for_objects", "arnForObjects"])
        .chain(CDK_GRANTS.iter().copied())
        .map(|name| format!("{name}("));
    ["s3://", "s3a://", "s3n://", ":s3:::"]
        .into_iter()
        .chain(LABELS)
        .map(String::from)
        .chain(calls)
        .collect()
}
const LABELS: [&str; 4] = [
    "Key",
    "Prefix",
    "destination_key_prefix",
    "destinationKeyPrefix",
];

/// Whether a label's word is followed as a label is: closing quotes, then blanks or bytes past
/// ASCII, then `:`, `=`, `/` or `#`.
fn ends_a_label(rest: &[u8]) -> bool {
    let quotes = rest
        .iter()
        .take_while(|b| matches!(b, b'"' | b'\'' | b'`'))
        .count();
    rest[quotes..]
        .iter()
        .find(|b| !(b.is_ascii_whitespace() || **b == 0x0b || **b >= 0x80))
        .is_some_and(|b| matches!(b, b':' | b'=' | b'/' | b'#'))
}

/// What a `Key` or `Prefix` label's hit needs besides: a `Bucket` argument or field beside it
/// (or CDK's `destination_bucket`), or a boto3 object call it is given to.
static LABEL_CONTEXT: LazyLock<AhoCorasick> = LazyLock::new(|| {
    literals(
        ["Bucket", "destination_bucket", "destinationBucket"]
            .into_iter()
            .map(String::from)
            .chain(OBJECT_CALLS.iter().map(|name| format!("{name}("))),
    )
});

/// Whether `text` holds [`HIT_MATERIAL`] where a hit can come from. A label's word and a
/// call's name are whole words to the tokenizer (`protocolEncrKey:` is a label of its own,
/// `BN_copy(` a call of `BN_copy`), so a match right after a word byte is none of them; and a
/// label yields a key only beside a bucket or in an object call ([`LABEL_CONTEXT`], whole words
/// too). Large C sources and generated bindings hold such near misses by the hundred.
pub fn has_hit_material(text: &[u8]) -> bool {
    let mut label = false;
    let mut from = 0;
    while let Some(m) = HIT_MATERIAL.find(Input::new(text).span(from..text.len())) {
        let (start, end) = (m.start(), m.end());
        from = start + 1;
        if matches!(text[start], b's' | b':') {
            return true; // a URI or an ARN
        }
        if start == 0 || !is_word_byte(text[start - 1]) {
            if text[end - 1] == b'(' {
                return true; // a call
            }
            label = label || ends_a_label(&text[end..]);
        }
    }
    label && {
        let mut from = 0;
        loop {
            let Some(m) = LABEL_CONTEXT.find(Input::new(text).span(from..text.len())) else {
                break false;
            };
            let (start, end) = (m.start(), m.end());
            let whole = (start == 0 || !is_word_byte(text[start - 1]))
                && (text[end - 1] == b'(' || text.get(end).is_none_or(|&b| !is_word_byte(b)));
            if whole {
                break true;
            }
            from = start + 1;
        }
    }
}

static BUCKET_NAME: LazyLock<Regex> =
    LazyLock::new(|| pattern::line(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"));
static WRITE_MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    pattern::line(
        r"(?x-u)
        (?i: put_?object | upload(?:\w*\s*[({] | ing\b | ed\b) | delete_?objects? | presigned_?post
           | grant_?(?:read_?)?write | grant_?put | grant_?delete )
      | s3:(?:Put|Delete|Abort|Restore|Replicate)\w* | s3:\*
      | \.(?:put|put_file|pipe|pipe_file|save|savefig|write_text|write_bytes)\s*\(
      | \b(?:to_(?:csv|parquet|json|pickle|feather|excel|hdf|orc|zarr|netcdf)
           | write_(?:csv|parquet|json|ndjson|ipc|avro|delta|excel))\s*\(
      | \btorch\.save\s*\(
      | \.write(?:Stream)?\s*\.\s*\w+ | BucketDeployment
    ",
    )
});
static WRITE_MODE: LazyLock<Regex> =
    LazyLock::new(|| pattern::line(r#"["'](?:[wax][bt+]{0,2}|r[bt]?\+)["']"#));
static AWS_CLI: LazyLock<Regex> =
    LazyLock::new(|| pattern::line(r"(?-u)\baws\s+s3\s+(cp|mv|sync|rm)\b"));
static PREFIX_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    pattern::line(
        r"(?i-u)prefix|--recursive|\bsync\b|list_?objects|\bls\b|\.ls\s*\(|\.glob\s*\(|\.walk\s*\(|\.find\s*\(",
    )
});
/// `NAME = "bucket"`, `NAME: str = "bucket"`, `const NAME = 'bucket'`, `name := "bucket"`,
/// `name: bucket` (YAML), `"name": "bucket"`, and a default given to an environment lookup
/// (`os.environ.get("X", "bucket")`, `process.env.X ?? "bucket"`, `getenv("X") or "bucket"`).
static CONSTANT: LazyLock<Regex> = LazyLock::new(|| {
    pattern::text(
        r#"(?mx-u)(?:^|[^\w.$])["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*(?::\s*[A-Za-z0-9_.\[\]]+\s*)?(?::=|=|:)\s*
        (?:[A-Za-z0-9_.]+\s*\(\s*["'][^"'\n]*["']\s*,\s*
          |[A-Za-z0-9_.]+(?:\([^)\n]*\)|\[[^\]\n]*\])?\s*(?:\?\?|\|\||\bor\b)\s*)?
        ["'`]?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:["'`]|\s*$)"#,
    )
});

const NAME_WORDS_THAT_WRITE: &[&str] = &[
    "write", "writes", "writer", "upload", "uploads", "uploader", "put", "save", "saves", "store",
    "persist", "delete",
];
const COPY_CALLS: &[&str] = &[
    "copy_object",
    "CopyObject",
    "copyObject",
    "CopyObjectCommand",
    "CopyObjectInput",
    "CopyObjectRequest",
    "copy",
    "copy_file",
    "copyfile",
    "cp",
    "mv",
    "move",
    "rename",
];
const COPY_SOURCE_LABELS: &[&str] = &[
    "CopySource",
    "copy_source",
    "copySource",
    "src",
    "source",
    "Source",
    "from",
    "path1",
    "lpath",
    "src_path",
];
/// boto3 object calls that take `Key=` without `Bucket=` when called on a bucket resource.
const OBJECT_CALLS: &[&str] = &[
    "get_object",
    "put_object",
    "head_object",
    "delete_object",
    "copy_object",
    "upload_file",
    "download_file",
    "upload_fileobj",
    "download_fileobj",
    "Object",
    "ObjectSummary",
];
/// boto3 calls with bucket and key as positional arguments: (name, bucket index, key index).
const POSITIONAL_CALLS: &[(&str, usize, usize)] = &[
    ("upload_file", 1, 2),
    ("upload_fileobj", 1, 2),
    ("download_file", 0, 1),
    ("download_fileobj", 0, 1),
    ("copy", 1, 2),
    ("Object", 0, 1),
    ("ObjectSummary", 0, 1),
];
const CDK_GRANTS: &[&str] = &[
    "grant_read",
    "grant_write",
    "grant_read_write",
    "grant_put",
    "grant_delete",
    "grantRead",
    "grantWrite",
    "grantReadWrite",
    "grantPut",
    "grantDelete",
];

/// The compiled preset.
#[derive(Debug)]
pub struct S3Preset {
    buckets: BTreeSet<String>,
    variables: BTreeMap<String, String>,
    allow_broad: bool,
}

/// The bucket a key was found in, as far as the file tells.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bucket {
    Named(String),
    /// Only a placeholder, named or not (`{BUCKET}`, `%s`).
    Unknown(Option<String>),
    /// Partly templated (`data-{env}`), as a pattern where `*` stands for any text, and as
    /// written in a value (`data-${env}`).
    Pattern(String, String),
}

/// Where a pattern goes once its bucket is known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// Into the value as this prefix (`bucket/`, `${S3_BUCKET}/`, or nothing when the export
    /// has one bucket).
    In(String),
    Out(Reason),
}

#[derive(Debug)]
struct Hit {
    at: usize,
    bucket: Bucket,
    key: Vec<Piece>,
    prefix: bool,
}

impl S3Preset {
    pub fn new(
        export: &str,
        buckets: &[String],
        variables: &BTreeMap<String, String>,
        allow_broad: bool,
    ) -> Result<S3Preset, BadInput> {
        for bucket in buckets {
            if !BUCKET_NAME.is_match(bucket) {
                return Err(BadInput::new(
                    format!("export `{export}`: `{bucket}` in `buckets:` is not an S3 bucket name"),
                    "list bare bucket names in .realm/config.yaml, e.g. `buckets: [aperture-data]`",
                ));
            }
        }
        for (name, bucket) in variables {
            if !BUCKET_NAME.is_match(bucket) {
                return Err(BadInput::new(
                    format!(
                        "export `{export}`: variable `{name}` maps to `{bucket}`, which is not an S3 bucket name"
                    ),
                    "map each placeholder to a bare bucket name, e.g. `variables: {S3_BUCKET: aperture-data}`",
                ));
            }
        }
        Ok(S3Preset {
            buckets: buckets.iter().cloned().collect(),
            variables: variables.clone(),
            allow_broad,
        })
    }

    pub fn scan(&self, path: &[u8], text: &str, findings: &mut Findings) {
        // Most files of a large repository say nothing of S3, and most of the rest show nothing
        // a hit is made of: `Detector::scan` skips both with `may_yield_keys` before they are
        // decoded, so they never get here.
        let code = Code::new(text, Syntax::for_path(path));
        let mut hits = uri_hits(&code);
        hits.extend(call_hits(&code));
        hits.retain(|hit| !code.is_inert(hit.at) && !in_help(&code, hit.at));
        if hits.is_empty() {
            return;
        }
        // Read only when a placeholder bucket needs resolving.
        let constants = std::cell::OnceCell::new();
        for hit in hits {
            let Some(key) = key_pattern(&hit.key, hit.prefix) else {
                continue;
            };
            let line = code.line_of(hit.at) as u32 + 1;
            let prefix = match self.place(&hit.bucket, text, &constants) {
                Place::In(prefix) => prefix,
                Place::Out(reason) => {
                    findings.left_out.push(LeftOut {
                        pattern: format!("{}{key}", written(&hit.bucket)),
                        line,
                        reason,
                    });
                    continue;
                }
            };
            let item = format!("{prefix}{key}");
            if !self.allow_broad && (key == "*" || key.starts_with("*/")) {
                findings.left_out.push(LeftOut {
                    pattern: if prefix.is_empty() {
                        item
                    } else {
                        format!("{}{key}", written(&hit.bucket))
                    },
                    line,
                    reason: Reason::TooBroad,
                });
                continue;
            }
            if writes(&code, hit.at) {
                findings.add(WRITE, item.clone(), line);
            }
            findings.add(READ, item, line);
        }
        findings.left_out.sort();
        findings.left_out.dedup();
    }

    /// Where a key in `bucket` goes: the bucket becomes the item's first segment, a name from
    /// `variables:` or a constant of this file, or `${NAME}` for a placeholder nobody mapped.
    /// With a single bucket in `buckets:`, keys in it are written without it, as the RFC does.
    fn place(
        &self,
        bucket: &Bucket,
        text: &str,
        constants: &std::cell::OnceCell<BTreeMap<String, BTreeSet<String>>>,
    ) -> Place {
        let resolved = match bucket {
            Bucket::Unknown(Some(name)) => match self.variables.get(name) {
                Some(mapped) => Bucket::Named(mapped.clone()),
                None => match constants.get_or_init(|| self::constants(text)).get(name) {
                    Some(values) if values.len() == 1 => {
                        Bucket::Named(values.iter().next().expect("one").clone())
                    }
                    // Candidates, none listed: another bucket. Listed: one of ours.
                    Some(values)
                        if !self.buckets.is_empty()
                            && values.iter().all(|v| !self.buckets.contains(v)) =>
                    {
                        return Place::Out(Reason::OtherBucket);
                    }
                    _ => bucket.clone(),
                },
            },
            other => other.clone(),
        };
        let home = (self.buckets.len() == 1).then(|| self.buckets.iter().next().expect("one"));
        match resolved {
            Bucket::Named(name) if self.buckets.is_empty() => Place::In(format!("{name}/")),
            Bucket::Named(name) if !self.buckets.contains(&name) => Place::Out(Reason::OtherBucket),
            Bucket::Named(name) => Place::In(if home.is_some() {
                String::new()
            } else {
                format!("{name}/")
            }),
            Bucket::Pattern(pattern, written) => {
                if self.buckets.is_empty() {
                    Place::In(format!("{written}/"))
                } else if !self.buckets.iter().any(|b| glob_matches(&pattern, b)) {
                    Place::Out(Reason::OtherBucket)
                } else if home.is_some() {
                    Place::In(String::new())
                } else {
                    Place::In(format!("{written}/"))
                }
            }
            // A bucket the file does not tell, with one bucket configured: most often that one.
            Bucket::Unknown(_) if home.is_some() => Place::In(String::new()),
            Bucket::Unknown(Some(name)) => Place::In(format!("${{{name}}}/")),
            Bucket::Unknown(None) => Place::Out(Reason::UnknownBucket),
        }
    }
}

/// A bucket as a value writes it: its name, or `${NAME}` for a placeholder.
fn written(bucket: &Bucket) -> String {
    match bucket {
        Bucket::Named(name) => format!("{name}/"),
        Bucket::Unknown(Some(name)) => format!("${{{name}}}/"),
        Bucket::Unknown(None) => "${}/".to_owned(),
        Bucket::Pattern(_, written) => format!("{written}/"),
    }
}

/// Labels and calls whose strings are help for people, not paths the code uses: argparse's
/// and click's `help=`, cobra's `Short`/`Long`/`Example`, urfave/cli's `Usage`, yargs' and
/// commander's `describe`/`description`.
const HELP_LABELS: &[&str] = &[
    "help",
    "Usage",
    "UsageText",
    "usage",
    "Short",
    "Long",
    "Example",
    "Description",
    "description",
    "describe",
    "epilog",
    "ArgsUsage",
];
const HELP_CALLS: &[&str] = &[
    "describe",
    "description",
    "usage",
    "example",
    "epilog",
    "Usage",
    "Println",
    "Printf",
    "print",
    "echo",
];

/// Words in a name that say its text is for people: `copyHelpTemplate`, `usage_text`.
const HELP_WORDS: &[&str] = &["help", "usage", "description", "doc"];

fn says_help(name: &str) -> bool {
    words_of(name)
        .iter()
        .any(|w| HELP_WORDS.contains(&w.as_str()))
}

/// Whether the string at `at` is help or a message printed for people.
fn in_help(code: &Code, at: usize) -> bool {
    // A string given to a name that says so: `var copyHelpTemplate = \`…\``.
    if let Some(index) = code.string_at(at) {
        let before = |back: usize| index.checked_sub(back).map(|i| &code.tokens[i]);
        if let Some(eq) = before(1)
            && eq.kind == Kind::Punct(b'=')
        {
            let name = match before(2) {
                Some(t) if t.kind == Kind::Punct(b':') => before(3),
                other => other,
            };
            if let Some(name) = name
                && name.kind == Kind::Word
                && says_help(&code.text[name.span.clone()])
            {
                return true;
            }
        }
    }
    for scope in code.chain(at).into_iter().take(2) {
        // A list's entries are values, and a very long call speaks for none of them: both
        // would make every finding cost as much as the whole scope.
        if code.scopes[scope].bracket == b'[' || code.statement_text(scope).is_none() {
            continue;
        }
        let name = code.name(scope);
        let op = name.rsplit('.').next().unwrap_or(name);
        if HELP_CALLS.contains(&op) {
            return true;
        }
        if let Some((_, arg)) = code.arg_containing(scope, at)
            && let (Some(label), _) = code.label(&arg)
            && (HELP_LABELS.contains(&label) || says_help(label))
        {
            return true;
        }
    }
    false
}

/// `s3://` URIs and S3 ARNs.
fn uri_hits(code: &Code) -> Vec<Hit> {
    let mut hits = Vec::new();
    for m in URI_START.captures_iter(code.text) {
        let Some(scheme) = m.get_group(1) else {
            continue;
        };
        let at = scheme.start;
        let rendered = match code.string_at(at) {
            Some(index) => code.render(index, scheme.end, code.tokens.len()),
            None => {
                let (start, line) = code.line(at);
                line[scheme.end - start..].to_owned()
            }
        };
        let pieces = template::read(&rendered);
        let split = pieces
            .iter()
            .position(|p| matches!(p, Piece::Text(t) if t.contains('/')));
        let (bucket, key) = match split {
            Some(index) => {
                let Piece::Text(text) = &pieces[index] else {
                    continue;
                };
                let slash = text.find('/').unwrap_or(0);
                let mut bucket = pieces[..index].to_vec();
                if slash > 0 {
                    bucket.push(Piece::Text(text[..slash].to_owned()));
                }
                let mut key = Vec::new();
                if slash + 1 < text.len() {
                    key.push(Piece::Text(text[slash + 1..].to_owned()));
                }
                key.extend(pieces[index + 1..].iter().cloned());
                (bucket, key)
            }
            None => (pieces, Vec::new()),
        };
        let Some(bucket) = bucket_of(&bucket) else {
            continue;
        };
        let (_, line) = code.line(at);
        let one_segment = key.len() == 1 && !text_of(&key).contains('/');
        let prefix = names_a_folder(&key) && (one_segment || PREFIX_CONTEXT.is_match(line));
        hits.push(Hit {
            at,
            bucket,
            key,
            prefix,
        });
    }
    hits
}

/// Keys named in SDK calls and CDK constructs.
fn call_hits(code: &Code) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (scope, s) in code.scopes.iter().enumerate() {
        if s.bracket == b'[' || s.close.is_none() {
            continue;
        }
        let name = code.name(scope);
        let op = name.rsplit('.').next().unwrap_or(name);
        let args: Vec<_> = code.args(scope).iter().map(|arg| code.label(arg)).collect();
        // `Bucket=…`, `Bucket: …`, or JavaScript's shorthand `{ Bucket, Key: … }`.
        let bucket_arg = args.iter().find_map(|(label, value)| match label {
            Some("Bucket" | "destination_bucket" | "destinationBucket") => Some(value.clone()),
            None if value.len() == 1
                && &code.text[code.tokens[value.start].span.clone()] == "Bucket" =>
            {
                Some(value.clone())
            }
            _ => None,
        });
        for (label, value) in &args {
            let prefix = match *label {
                Some("Key") => false,
                // CDK's `BucketDeployment(destination_key_prefix=…)` too.
                Some("Prefix" | "destination_key_prefix" | "destinationKeyPrefix") => true,
                _ => continue,
            };
            let Some((at, rendered)) = code.literal(value.clone()) else {
                continue;
            };
            if rendered.contains("://") {
                continue;
            }
            let bucket = match &bucket_arg {
                Some(bucket) => bucket_value(code, bucket.clone()),
                None if s.bracket == b'(' && OBJECT_CALLS.contains(&op) => receiver(name),
                None => continue,
            };
            hits.push(Hit {
                at,
                bucket,
                key: template::read(&rendered),
                prefix,
            });
        }
        if s.bracket != b'(' {
            continue;
        }
        let positional: Vec<_> = args
            .iter()
            .filter(|(label, _)| label.is_none())
            .map(|(_, v)| v.clone())
            .collect();
        let mut literal_at = |index: usize, bucket: Bucket| {
            if let Some((at, rendered)) =
                positional.get(index).and_then(|v| code.literal(v.clone()))
                && !rendered.contains("://")
            {
                hits.push(Hit {
                    at,
                    bucket,
                    key: template::read(&rendered),
                    prefix: false,
                });
            }
        };
        if let Some(&(_, bucket_index, key_index)) =
            POSITIONAL_CALLS.iter().find(|(call, _, _)| *call == op)
        {
            // `s3.Object(...)`, never a bare `Object(...)`, which is something else in JavaScript.
            if (op != "Object" && op != "ObjectSummary") || name.contains('.') {
                let bucket = positional
                    .get(bucket_index)
                    .map_or(Bucket::Unknown(None), |b| bucket_value(code, b.clone()));
                literal_at(key_index, bucket);
            }
        } else if op == "arn_for_objects" || op == "arnForObjects" {
            literal_at(0, receiver(name));
        } else if CDK_GRANTS.contains(&op) {
            literal_at(1, receiver(name));
        }
    }
    hits
}

/// The bucket an argument names: a literal, or a constant's name to resolve later.
fn bucket_value(code: &Code, value: std::ops::Range<usize>) -> Bucket {
    // Not followed to an assignment: a bucket's name comes from `variables:` and constants,
    // and `os.environ.get("NAME", …)` would give the variable's name for the bucket's.
    if let Some((_, rendered)) = code.literal_written(value.clone()) {
        return bucket_of(&template::read(&rendered)).unwrap_or(Bucket::Unknown(None));
    }
    // An environment lookup names the bucket by its variable: `os.environ["DATA_BUCKET"]`,
    // `os.environ.get("DATA_BUCKET")`, `os.getenv("DATA_BUCKET")`, `os.Getenv("DATA_BUCKET")`,
    // `System.getenv("DATA_BUCKET")` (`process.env.DATA_BUCKET` is its last identifier).
    let tokens = &code.tokens[value.clone()];
    if tokens.iter().any(|t| {
        t.kind == Kind::Word
            && matches!(
                &code.text[t.span.clone()],
                "environ" | "getenv" | "Getenv" | "LookupEnv" | "env"
            )
    }) && let Some(name) = tokens.iter().find(|t| t.kind == Kind::Str)
    {
        let name = &code.text[name.body.clone()];
        if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Bucket::Unknown(Some(name.to_owned()));
        }
    }
    // `S3_BUCKET`, `self.bucket`, `aws.String(bucket)`: the last identifier written.
    let words: Vec<&str> = code.tokens[value.clone()]
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .map(|t| &code.text[t.span.clone()])
        .collect();
    let simple = code.tokens[value].iter().all(|t| {
        matches!(
            t.kind,
            Kind::Word | Kind::Punct(b'.' | b'&') | Kind::Open(_) | Kind::Close
        )
    });
    Bucket::Unknown(words.last().filter(|_| simple).map(|w| (*w).to_owned()))
}

/// The bucket a method is called on: `self.data_bucket.grant_read` → `data_bucket`.
fn receiver(name: &str) -> Bucket {
    let mut segments = name.rsplit('.');
    segments.next();
    Bucket::Unknown(segments.next().map(str::to_owned))
}

fn bucket_of(pieces: &[Piece]) -> Option<Bucket> {
    match pieces {
        [] => None,
        [Piece::Text(name)] if BUCKET_NAME.is_match(name) => Some(Bucket::Named(name.clone())),
        // `s3://BUCKET_NAME/…` in docs: not a valid bucket name, so a placeholder by another name.
        [Piece::Text(name)] => Some(Bucket::Unknown(Some(name.clone()))),
        [Piece::Placeholder(name)] => Some(Bucket::Unknown(name.clone())),
        _ => Some(Bucket::Pattern(
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.as_str(),
                    Piece::Placeholder(_) | Piece::Star => "*",
                })
                .collect(),
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.clone(),
                    Piece::Placeholder(Some(name)) => format!("${{{name}}}"),
                    Piece::Placeholder(None) => "${}".to_owned(),
                    Piece::Star => "*".to_owned(),
                })
                .collect(),
        )),
    }
}

fn text_of(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.as_str(),
            Piece::Placeholder(_) | Piece::Star => "*",
        })
        .collect()
}

/// Whether a key's last segment is a bare name, like a folder's (`training-runs`), rather than
/// a file's (`config.json`) or a placeholder.
fn names_a_folder(key: &[Piece]) -> bool {
    match key.last() {
        Some(Piece::Text(t)) => {
            let last = t.rsplit('/').next().unwrap_or(t);
            !last.is_empty() && !last.contains('.') && last.chars().any(char::is_alphanumeric)
        }
        _ => false,
    }
}

/// Words that documentation writes where a key goes (`s3://bucket/key`, `s3://BUCKET/PREFIX/`):
/// a segment that is only one of them is a placeholder, not a folder of that name.
const DOC_PLACEHOLDERS: &[&str] = &["key", "path", "prefix", "object", "file", "filename", "..."];

/// The key pattern for a key, or `None` when it names no objects (see the module docs).
fn key_pattern(key: &[Piece], prefix: bool) -> Option<String> {
    let star_written = key.contains(&Piece::Star);
    let mut text = text_of(key);
    while text.ends_with(['.', ',', ':', ';']) {
        text.pop();
    }
    let folder = text.ends_with('/') || (prefix && !text.ends_with('*'));
    let mut segments: Vec<String> = text
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if DOC_PLACEHOLDERS.iter().any(|w| s.eq_ignore_ascii_case(w)) {
                return "*".to_owned();
            }
            let mut collapsed = String::with_capacity(s.len());
            for c in s.chars() {
                if !(c == '*' && collapsed.ends_with('*')) {
                    collapsed.push(c);
                }
            }
            collapsed
        })
        .collect();
    let informative = star_written
        || segments
            .iter()
            .any(|s| s.chars().any(char::is_alphanumeric));
    if !informative {
        return None;
    }
    if folder {
        segments.push("*".to_owned());
    }
    while segments.len() >= 2
        && segments[segments.len() - 1] == "*"
        && segments[segments.len() - 2] == "*"
    {
        segments.pop();
    }
    Some(segments.join("/"))
}

/// Whether the code at `at` writes the key found there (see the module docs).
fn writes(code: &Code, at: usize) -> bool {
    if writes_here(code, at) {
        return true;
    }
    // A path assigned to a name first (`out = f"s3://{b}/output/"`) is written where that name
    // is handed to a writer (`df.write.parquet(out)`): followed one step.
    // So are parameters held in a name (`params = {"Bucket": b, "Key": k}`, then
    // `AwsSdkCall(action="putObject", parameters=params)`).
    let dict = code
        .chain(at)
        .first()
        .filter(|&&s| code.scopes[s].bracket == b'{')
        .map(|&s| {
            code.tokens
                .partition_point(|t| t.span.start < code.scopes[s].open)
        });
    let Some(name) = code
        .string_at(at)
        .and_then(|index| name_assigned(code, index))
        .or_else(|| dict.and_then(|index| name_assigned(code, index)))
    else {
        return false;
    };

    code.tokens
        .iter()
        .filter(|t| t.kind == Kind::Word && t.span.start > at && &code.text[t.span.clone()] == name)
        .take(16)
        .any(|t| code.text[..t.span.start].ends_with('.').not() && writes_here(code, t.span.start))
}

/// The name the value starting at token `value` is assigned to, when it is the whole value:
/// `out = f"…"`, `key := "…"`, `const prefix = \`…\``, `params = {…}`.
fn name_assigned<'t>(code: &Code<'t>, value: usize) -> Option<&'t str> {
    let mut index = value.checked_sub(1)?;
    let t = &code.tokens;
    if t[index].kind == Kind::Word && t[index].span.end == t[index + 1].span.start {
        index = index.checked_sub(1)?; // a string prefix: f"…", r'…'
    }
    if t[index].kind != Kind::Punct(b'=') {
        return None;
    }
    index = index.checked_sub(1)?;
    if t[index].kind == Kind::Punct(b':') {
        index = index.checked_sub(1)?;
    }
    if t[index].kind != Kind::Word {
        return None;
    }
    // A statement of its own, not a keyword argument (`Key=f"…"`).
    let starts_statement = match index.checked_sub(1).map(|i| &t[i]) {
        None => true,
        Some(prev) => {
            code.line_of(prev.span.start) < code.line_of(t[index].span.start)
                || matches!(
                    &code.text[prev.span.clone()],
                    "const" | "let" | "var" | "val" | "final" | ";"
                )
        }
    };
    starts_statement.then(|| &code.text[t[index].span.clone()])
}

fn writes_here(code: &Code, at: usize) -> bool {
    if let Some(destination) = copy_role(code, at) {
        return destination;
    }
    let (_, line) = code.line(at);
    if WRITE_MARKERS.is_match(line) {
        return true;
    }
    let chain = code.chain(at);
    for &scope in &chain {
        let name = code.name(scope);
        if words_of(name.rsplit('.').next().unwrap_or(name))
            .iter()
            .any(|w| NAME_WORDS_THAT_WRITE.contains(&w.as_str()))
        {
            return true;
        }
    }
    if let Some(&call) = chain.iter().find(|&&s| code.scopes[s].bracket == b'(')
        && code.name(call).rsplit('.').next() == Some("open")
        && code
            .statement_text(call)
            .is_some_and(|t| WRITE_MODE.is_match(t))
    {
        return true;
    }
    let Some(position) = chain.iter().position(|&s| code.scopes[s].bracket != b'[') else {
        return false;
    };
    let statement = chain[position];
    let mut judged = vec![statement];
    // An object literal handed straight to a call (`PutObjectCommand({…})`,
    // `generate_presigned_url("put_object", Params={…})`) is judged with that call, and the
    // parameters of an SDK call described as data with it (CDK's `AwsCustomResource`:
    // `{"action": "putObject", "parameters": {"Bucket": …, "Key": …}}`).
    if code.scopes[statement].bracket == b'{'
        && let Some(&outer) = chain.get(position + 1)
        && matches!(code.scopes[outer].bracket, b'(' | b'{')
    {
        judged.push(outer);
    }
    judged.into_iter().any(|s| {
        code.statement_text(s)
            .is_some_and(|t| WRITE_MARKERS.is_match(t))
    })
}

/// For a key inside a copy: `Some(true)` for the destination, `Some(false)` for the source.
fn copy_role(code: &Code, at: usize) -> Option<bool> {
    let (start, line) = code.line(at);
    if let Some(m) = pattern::first(&AWS_CLI, line)
        && let Some(verb) = m.get_group(1)
        && verb.end <= at - start
    {
        if &line[verb.range()] == "rm" {
            return Some(true);
        }
        let before = &line[verb.end..at - start];
        return Some(before.split_whitespace().any(|arg| !arg.starts_with('-')));
    }
    for scope in code.chain(at) {
        let name = code.name(scope);
        if !COPY_CALLS.contains(&name.rsplit('.').next().unwrap_or(name)) {
            continue;
        }
        let (index, arg) = code.arg_containing(scope, at)?;
        let (label, value) = code.label(&arg);
        let label = match label {
            Some(label) => Some(label),
            // A single object literal argument (`CopyObjectCommand({…})`): its field decides.
            None => match code.tokens.get(value.start).map(|t| t.kind) {
                Some(Kind::Open(inner)) if code.scopes[inner].bracket == b'{' => {
                    let (_, field) = code.arg_containing(inner, at)?;
                    code.label(&field).0
                }
                _ => None,
            },
        };
        return Some(match label {
            Some(label) => !COPY_SOURCE_LABELS.contains(&label),
            None => index >= 1,
        });
    }
    None
}

/// `uploadManifest`, `upload_manifest`, `UploadManifest` → `upload`, `manifest`.
fn words_of(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if (c == '_' || c == '-' || (c.is_uppercase() && previous_lower)) && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c != '_' && c != '-' {
            current.extend(c.to_lowercase());
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Names given a bucket-like string value in this file.
fn constants(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Both groups are ASCII, so their bounds are character boundaries of `text`.
    for m in CONSTANT.captures_iter(text) {
        let group = |i: usize| m.get_group(i).map_or("", |g| &text[g.range()]);
        out.entry(group(1).to_owned())
            .or_default()
            .insert(group(2).to_owned());
    }
    out
}

/// The bucket-like values a constant called `name` is given across `files`.
pub fn constant_values<'a>(name: &str, files: impl Iterator<Item = &'a [u8]>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for data in files {
        let text = String::from_utf8_lossy(data);
        if !text.contains(name) {
            continue;
        }
        if let Some(values) = constants(&text).remove(name) {
            out.extend(values);
        }
    }
    out
}

/// `*` matches any text, everything else itself.
fn glob_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return pattern == name,
    };
    let Some(mut remaining) = name.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(p) => remaining = &remaining[p + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests;
