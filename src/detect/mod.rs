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
mod mentions;
mod rules;
mod s3;
mod template;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::BadInput;
use crate::realm::config::{DetectorKind, ExportSource};

pub use mentions::mentions;

/// What one file contributed: key (`read`, `write`, a rule's `into`) to the items found.
pub type Findings = BTreeMap<String, BTreeSet<String>>;

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
                Kind::S3(s3::S3Preset::new(export, &source.buckets)?)
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
        Ok(Detector { kind })
    }

    /// Whether the file at `path` (repository-relative, `/`-separated) is read at all.
    pub fn wants(&self, path: &[u8]) -> bool {
        if is_vendored(path) || has_binary_extension(path) {
            return false;
        }
        match &self.kind {
            Kind::S3(_) => true,
            Kind::Rules(rules) => rules.wants(path),
        }
    }

    /// What the file at `path` with content `data` contributes. Every key the detector fills is
    /// present, empty or not, so the assembled value keeps its shape when nothing is found.
    pub fn scan(&self, path: &[u8], data: &[u8]) -> Findings {
        let mut findings = self.keys();
        if is_binary(data) {
            return findings;
        }
        let text = String::from_utf8_lossy(data);
        match &self.kind {
            Kind::S3(preset) => preset.scan(path, &text, &mut findings),
            Kind::Rules(rules) => rules.scan(path, &text, &mut findings),
        }
        findings
    }
}

impl Detector {
    /// Every key this detector fills, each with nothing found: the shape of its export's value
    /// however few files contribute.
    pub fn keys(&self) -> Findings {
        let mut findings = Findings::new();
        match &self.kind {
            Kind::S3(_) => {
                findings.insert(s3::READ.to_owned(), BTreeSet::new());
                findings.insert(s3::WRITE.to_owned(), BTreeSet::new());
            }
            Kind::Rules(rules) => {
                for key in rules.keys() {
                    findings.insert(key.to_owned(), BTreeSet::new());
                }
            }
        }
        findings
    }
}

/// Whether a file's findings hold anything at all.
pub fn found_any(findings: &Findings) -> bool {
    findings.values().any(|items| !items.is_empty())
}

/// The export value from every file's findings: sorted, de-duplicated arrays per key.
pub fn assemble<'a>(findings: impl IntoIterator<Item = &'a Findings>) -> Value {
    let mut all: Findings = BTreeMap::new();
    for f in findings {
        for (key, items) in f {
            all.entry(key.clone())
                .or_default()
                .extend(items.iter().cloned());
        }
    }
    Value::Object(
        all.into_iter()
            .map(|(k, v)| (k, Value::Array(v.into_iter().map(Value::String).collect())))
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

fn has_binary_extension(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => {
            let ext = String::from_utf8_lossy(&name[dot + 1..]).to_ascii_lowercase();
            BINARY_EXTENSIONS.contains(&ext.as_str())
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
