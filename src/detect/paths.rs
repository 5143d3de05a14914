//! Which files hold code that runs: tests, fixtures, documentation and examples describe or
//! exercise a domain's storage, they are not what it needs. The `s3` preset reads only the
//! rest unless an export's `include:` globs bring a file back.
//!
//! Skipped by directory (at any depth): `test`, `tests`, `__tests__`, `spec`, `specs`, `e2e`,
//! `integration-tests`, `fixtures`, `__fixtures__`, `testdata`, `test-data`, `mocks`,
//! `__mocks__`, `docs`, `doc`, `examples`, `example`, `samples`, `sample`; and Java's and
//! Gradle's `src/test`. By name: `*_test.go`, `test_*.py`, `*_test.py`, `conftest.py`,
//! `*.test.*`, `*.spec.*`, `*Test.java`, `*Tests.java`, `*IT.java`, `*_spec.rb`. By kind:
//! Markdown, reStructuredText, AsciiDoc, plain text, notebooks, and change logs and licences.

const SKIPPED_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "spec",
    "specs",
    "e2e",
    "integration-tests",
    "integration_tests",
    "fixtures",
    "__fixtures__",
    "testdata",
    "test-data",
    "test_data",
    "mocks",
    "__mocks__",
    "docs",
    "doc",
    "examples",
    "example",
    "samples",
    "sample",
];

const DOC_EXTENSIONS: &[&str] = &[
    "md", "markdown", "mdx", "rst", "adoc", "asciidoc", "txt", "ipynb", "html", "htm",
];

const DOC_NAMES: &[&str] = &[
    "changelog",
    "changes",
    "history",
    "news",
    "license",
    "licence",
    "copying",
    "notice",
    "authors",
    "contributors",
];

/// Whether the file at `path` is code that runs (see the module docs).
pub fn runs(path: &[u8]) -> bool {
    let path = String::from_utf8_lossy(path);
    let mut components: Vec<&str> = path.split('/').collect();
    let name = components.pop().unwrap_or_default();
    if components
        .iter()
        .any(|c| SKIPPED_DIRS.contains(&c.to_ascii_lowercase().as_str()))
    {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let (stem, ext) = match lower.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, ext),
        _ => (lower.as_str(), ""),
    };
    if DOC_EXTENSIONS.contains(&ext) || DOC_NAMES.contains(&stem) {
        return false;
    }
    let java_test = ext == "java"
        && ["Test", "Tests", "IT"].iter().any(|suffix| {
            name.strip_suffix(".java")
                .is_some_and(|s| s.ends_with(suffix))
        });
    let named_test = stem.ends_with("_test")
        || (ext == "py" && (stem.starts_with("test_") || stem == "conftest"))
        || stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with("_spec");
    !(java_test || named_test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_docs_and_examples_do_not_run() {
        for path in [
            "tests/test_s3.py",
            "pkg/s3_test.go",
            "e2e/run.sh",
            "src/test/java/x/S3.java",
            "app/UploaderTest.java",
            "web/src/api.spec.ts",
            "web/src/api.test.js",
            "lib/__tests__/a.ts",
            "s3fs/tests/conftest.py",
            "testdata/config.json",
            "docs/index.py",
            "README.md",
            "CHANGELOG",
            "notes.rst",
            "nb/analysis.ipynb",
            "examples/upload.py",
            "python/fixtures/policy.json",
        ] {
            assert!(!runs(path.as_bytes()), "{path}");
        }
        for path in [
            "src/storage/s3.py",
            "cmd/main.go",
            "lib/stack.ts",
            "main.tf",
            "config/pipeline.yaml",
            "testing_tools.py",
            "contest.py",
            "src/latest/app.py",
            "attestation.go",
        ] {
            assert!(runs(path.as_bytes()), "{path}");
        }
    }
}
