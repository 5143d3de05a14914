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

/// Whether the file at `path` is code that runs (see the module docs). Judged on the bytes,
/// without allocating: it is asked of every path of a tree.
pub fn runs(path: &[u8]) -> bool {
    let mut components = path.split(|&b| b == b'/');
    let name = components.next_back().unwrap_or_default();
    if components.any(|c| {
        SKIPPED_DIRS
            .iter()
            .any(|d| c.eq_ignore_ascii_case(d.as_bytes()))
    }) {
        return false;
    }
    let (stem, ext) = match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot + 1..]),
        _ => (name, &b""[..]),
    };
    let is = |word: &[u8], one_of: &[&str]| {
        one_of
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w.as_bytes()))
    };
    if is(ext, DOC_EXTENSIONS) || is(stem, DOC_NAMES) {
        return false;
    }
    let ends = |word: &[u8], suffix: &str| {
        word.len() >= suffix.len()
            && word[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let starts = |word: &[u8], prefix: &str| {
        word.len() >= prefix.len() && word[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    // Java's suffixes are matched as written: `UploaderTest.java`, not `Latest.java`.
    let java_test = is(ext, &["java"])
        && name.strip_suffix(b".java").is_some_and(|s| {
            [&b"Test"[..], b"Tests", b"IT"]
                .iter()
                .any(|suffix| s.ends_with(suffix))
        });
    let named_test = ends(stem, "_test")
        || (is(ext, &["py"]) && (starts(stem, "test_") || is(stem, &["conftest"])))
        || ends(stem, ".test")
        || ends(stem, ".spec")
        || ends(stem, "_spec");
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
            "Tests/Run.py",
            "README.MD",
            "pkg/S3_TEST.go",
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
            "src/Latest.java",
            "src/tests.rs/lib.go",
        ] {
            assert!(runs(path.as_bytes()), "{path}");
        }
    }
}
