//! Export detection: pure functions over blobs handed in by `git`.
//!
//! A [`Detector`] is compiled from an export's source in `.realm/config.yaml`. The caller
//! walks a tree, asks [`Detector::wants`] per path, hands the wanted blobs to
//! [`Detector::scan`] and merges the per-file [`Findings`] with [`assemble`].
//!
//! What a file contributes depends only on its path and content (the `s3` preset reads the path
//! only for its comment syntax), so findings can be cached by path and blob id. The merged value
//! is sorted and de-duplicated, so it does not depend on the order files are visited in.

mod code;
#[cfg(test)]
mod eval;
mod mentions;
mod paths;
mod pattern;
mod rules;
mod s3;
mod template;

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::BadInput;
use crate::realm::config::{DetectorKind, ExportSource};

pub use mentions::{grants, mentions};
pub use paths::runs;
pub use s3::constant_values;

/// What one file contributed: for each key (`read`, `write`, a rule's `into`) the items found
/// and the lines (from 1) each was found on, and the patterns it showed but left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    pub found: BTreeMap<String, BTreeMap<String, BTreeSet<u32>>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
}

/// A pattern a file shows that the export does not take, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LeftOut {
    pub pattern: String,
    pub line: u32,
    pub reason: Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// `*` or `*/…`: every object of a bucket, or any folder; `allow_broad: true` keeps it.
    TooBroad,
    /// In a bucket `buckets:` does not list.
    OtherBucket,
    /// The bucket is a placeholder without a name (`%s`, `{}`), and no bucket is configured.
    UnknownBucket,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::TooBroad => "too broad",
            Reason::OtherBucket => "in a bucket `buckets:` does not list",
            Reason::UnknownBucket => "bucket unknown",
        }
    }
}

impl Findings {
    /// Record `item` under `key`, found on `line`.
    pub fn add(&mut self, key: &str, item: String, line: u32) {
        self.found
            .entry(key.to_owned())
            .or_default()
            .entry(item)
            .or_default()
            .insert(line);
    }

    /// The items under `key`.
    #[cfg(test)]
    pub fn items(&self, key: &str) -> BTreeSet<String> {
        self.found
            .get(key)
            .map(|items| items.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Directories holding other people's code: what they touch is not this domain's contract.
const VENDORED: &[&[u8]] = &[b"vendor", b"node_modules", b"third_party"];

/// Extensions of files that are binary by nature, skipped without reading them.
const BINARY_EXTENSIONS: &[&str] = &[
    // images
    "png",
    "jpg",
    "jpeg",
    "gif",
    "bmp",
    "tif",
    "tiff",
    "ico",
    "icns",
    "webp",
    "heic",
    "psd",
    "xcf",
    // archives and packages
    "zip",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "zst",
    "7z",
    "rar",
    "tar",
    "jar",
    "war",
    "whl",
    "egg",
    "deb",
    "rpm",
    "dmg",
    "iso",
    // compiled code
    "so",
    "dylib",
    "dll",
    "exe",
    "a",
    "o",
    "obj",
    "lib",
    "class",
    "pyc",
    "pyo",
    "wasm",
    "bin",
    // data and models
    "npy",
    "npz",
    "pkl",
    "pickle",
    "pt",
    "pth",
    "ckpt",
    "h5",
    "hdf5",
    "onnx",
    "safetensors",
    "tflite",
    "parquet",
    "feather",
    "arrow",
    "avro",
    "orc",
    "db",
    "sqlite",
    "sqlite3",
    // documents, media, fonts
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "mp3",
    "mp4",
    "mov",
    "avi",
    "mkv",
    "webm",
    "wav",
    "flac",
    "ogg",
    "ttf",
    "otf",
    "woff",
    "woff2",
    "eot",
];

/// Content with a NUL byte this early is binary (git's own test).
const BINARY_PROBE: usize = 8000;

pub struct Detector {
    kind: Kind,
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    excluded_paths: BTreeSet<String>,
}

enum Kind {
    S3(s3::S3Preset),
    Rules(rules::Rules),
}

impl Detector {
    pub fn new(source: &ExportSource) -> Result<Detector, BadInput> {
        let export = &source.name;
        let kind = match source.detect {
            Some(DetectorKind::S3) => {
                if !source.rules.is_empty() {
                    return Err(BadInput::new(
                        format!("export `{export}` uses `detect: s3` but also lists `rules:`"),
                        "use `detect: rules` for your own patterns, or remove `rules:` from .realm/config.yaml",
                    ));
                }
                Kind::S3(s3::S3Preset::new(
                    export,
                    &source.buckets,
                    &source.variables,
                    source.allow_broad,
                )?)
            }
            Some(DetectorKind::Rules) => {
                if !source.buckets.is_empty() {
                    return Err(BadInput::new(
                        format!(
                            "export `{export}` lists `buckets:`, which only `detect: s3` reads"
                        ),
                        "remove `buckets:`, or use `detect: s3`",
                    ));
                }
                Kind::Rules(rules::Rules::new(export, &source.rules)?)
            }
            None => {
                return Err(BadInput::new(
                    format!("export `{export}` has no detector"),
                    "add `detect: s3` or `detect: rules` to it in .realm/config.yaml",
                ));
            }
        };
        Ok(Detector {
            kind,
            include: globs(export, "include", &source.include)?,
            exclude: globs(export, "exclude", &source.exclude)?,
            excluded_paths: source.exclude.iter().cloned().collect(),
        })
    }

    /// Whether the file at `path` (repository-relative, `/`-separated) is read at all.
    pub fn wants(&self, path: &[u8]) -> bool {
        if is_vendored(path) || has_binary_extension(path) {
            return false;
        }
        let text = String::from_utf8_lossy(path);
        if self.excluded_paths.contains(text.as_ref())
            || self
                .exclude
                .as_ref()
                .is_some_and(|g| g.is_match(text.as_ref()))
        {
            return false;
        }
        let included = self
            .include
            .as_ref()
            .is_some_and(|g| g.is_match(text.as_ref()));
        match &self.kind {
            Kind::S3(_) => included || runs(path),
            Kind::Rules(rules) => rules.wants(path),
        }
    }

    /// What the file at `path` with content `data` contributes. Every key the detector fills is
    /// present, empty or not, so the assembled value keeps its shape when nothing is found.
    pub fn scan(&self, path: &[u8], data: &[u8]) -> Findings {
        let mut findings = self.keys();
        if self.yields_nothing(data) {
            return findings;
        }
        let text = String::from_utf8_lossy(data);
        match &self.kind {
            Kind::S3(preset) => preset.scan(path, &text, &mut findings),
            Kind::Rules(rules) => rules.scan(path, &text, &mut findings),
        }
        findings
    }

    /// What the file at `path` with content `data` contributes, when it contributes anything.
    /// Most files are found to yield nothing without building the empty findings.
    pub fn found(&self, path: &[u8], data: &[u8]) -> Option<Findings> {
        if self.yields_nothing(data) {
            return None;
        }
        Some(self.scan(path, data)).filter(found_any)
    }

    /// Whether a file with this content is sure to yield nothing, judged on its bytes.
    fn yields_nothing(&self, data: &[u8]) -> bool {
        is_binary(data) || matches!(self.kind, Kind::S3(_)) && !s3::may_yield_keys(data)
    }
}

impl Detector {
    /// Every key this detector fills, each with nothing found: the shape of its export's value
    /// however few files contribute.
    pub fn keys(&self) -> Findings {
        let mut findings = Findings::default();
        let keys: Vec<&str> = match &self.kind {
            Kind::S3(_) => vec![s3::READ, s3::WRITE],
            Kind::Rules(rules) => rules.keys().collect(),
        };
        for key in keys {
            findings.found.insert(key.to_owned(), BTreeMap::new());
        }
        findings
    }
}

/// `include:`/`exclude:` globs, as in `.gitignore` (see `rules`).
fn globs(export: &str, field: &str, globs: &[String]) -> Result<Option<GlobSet>, BadInput> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        // A path written out is a path, whatever characters it holds.
        if let Ok(glob) = rules::compile_glob(glob) {
            set.add(glob);
        } else if field == "include" {
            return Err(BadInput::new(
                format!("export `{export}`: `{glob}` in `{field}:` is not a valid glob"),
                "write paths from the repository root, e.g. `examples/deploy/**`",
            ));
        }
    }
    set.build().map(Some).map_err(|err| {
        BadInput::new(
            format!("export `{export}`: its `{field}:` globs do not compile: {err}"),
            "simplify the export's globs in .realm/config.yaml",
        )
    })
}

/// Whether a file's findings hold anything at all, kept or left out.
pub fn found_any(findings: &Findings) -> bool {
    findings.found.values().any(|items| !items.is_empty()) || !findings.left_out.is_empty()
}

/// Every file's findings merged: each item with every `path:line` it came from.
pub fn merge<'a>(
    findings: impl IntoIterator<Item = (&'a str, &'a Findings)>,
) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut all: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (path, f) in findings {
        for (key, items) in &f.found {
            let merged = all.entry(key.clone()).or_default();
            for (item, lines) in items {
                let places = merged.entry(item.clone()).or_default();
                places.extend(lines.iter().map(|line| format!("{path}:{line}")));
            }
        }
    }
    all
}

/// The export value from every file's findings: sorted, de-duplicated arrays per key.
#[cfg(test)]
pub fn assemble<'a>(findings: impl IntoIterator<Item = &'a Findings>) -> Value {
    value_of(&merge(findings.into_iter().map(|f| ("", f))))
}

/// The value of merged findings.
pub fn value_of(merged: &BTreeMap<String, BTreeMap<String, Vec<String>>>) -> Value {
    Value::Object(
        merged
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Value::Array(v.keys().cloned().map(Value::String).collect()),
                )
            })
            .collect(),
    )
}

/// Vendored code is someone else's: never read for detection.
pub fn is_vendored(path: &[u8]) -> bool {
    let mut components = path.split(|&b| b == b'/');
    // The last component is the file itself: a file named `vendor` is not a directory of them.
    components.next_back();
    components.any(|c| VENDORED.contains(&c))
}

/// A file binary by its name (`.png`, `.jar`, `.parquet`…): never read.
pub fn has_binary_extension(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => {
            let ext = &name[dot + 1..];
            BINARY_EXTENSIONS
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known.as_bytes()))
        }
        _ => false,
    }
}

/// Binary content, as git judges it: a NUL byte in the first 8000 bytes.
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_PROBE)].contains(&0)
}

#[cfg(test)]
mod tests;
