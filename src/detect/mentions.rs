//! Whether a file mentions another domain's export, so `join` can propose it as an import with
//! that file as the binding.
//!
//! A file mentions an export when it names it, or when it contains at least two of the export's
//! values (all of them when there are fewer than two), at different places.
//!
//! - **The name** counts as a whole word (not inside a longer name). A name of several words also
//!   counts in snake, upper or camel case (`required_s3_permissions`, `REQUIRED_S3_PERMISSIONS`,
//!   `requiredS3Permissions`); a one-word name only as written, since `config` or `topics` in any
//!   case would be everywhere.
//! - **A value** counts when its literal pieces (the text between its `*`s) appear in order on one
//!   line, each `*` standing for any run of non-space text. So `jobs/*/masks/*` is mentioned by
//!   `jobs/{job_id}/masks/`, `jobs/*/masks/*` in an IAM policy, or Go's `jobs/%s/masks/`, but not
//!   by a line that merely contains `jobs/`. Values with fewer than four letters or digits of
//!   their own (`*`, `a/*`, `v1`) never count: they would match too much.
//! - **Different places**: two values matched only at the same spot (`jobs/*` and `jobs/*/masks/*`
//!   by one `jobs/{id}/masks/x`) count once; it is one mention, and a prefix of another value
//!   should not double it.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use super::is_binary;

/// What a file that grants S3 access writes: IAM actions, policy statements, CDK grants,
/// Terraform policy documents, bucket policies.
static GRANTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
        s3:[A-Za-z*]+
      | \bgrant_?(?:read|write|put|delete|read_?write)\b | \bgrant(?:Read|Write|Put|Delete|ReadWrite)\b
      | PolicyStatement | PolicyDocument | aws_iam_policy_document | \bStatement\b
      | add_?to_?resource_?policy | addToResourcePolicy | BucketPolicy | aws_s3_bucket_policy
    "#,
    )
    .expect("static regex compiles")
});

/// Whether `data` grants S3 access to someone: only such a file can bind an import of S3 paths.
pub fn grants(data: &[u8]) -> bool {
    !is_binary(data) && GRANTS.is_match(&String::from_utf8_lossy(data))
}

/// How many of an export's values a file must contain to mention it.
const VALUES_NEEDED: usize = 2;
/// How many matches of one value are looked at when telling places apart.
const MAX_PLACES: usize = 64;

/// Whether `data` mentions the export `export_name` with the given string `values`.
pub fn mentions(export_name: &str, values: &[String], data: &[u8]) -> bool {
    if is_binary(data) {
        return false;
    }
    let text = String::from_utf8_lossy(data);
    if name_pattern(export_name).is_some_and(|re| re.is_match(&text)) {
        return true;
    }
    let patterns: Vec<Regex> = values.iter().filter_map(|v| value_pattern(v)).collect();
    let needed = VALUES_NEEDED.min(patterns.len());
    if needed == 0 {
        return false;
    }
    let places: Vec<Vec<usize>> = patterns
        .iter()
        .map(|re| {
            re.captures_iter(&text)
                .take(MAX_PLACES)
                .filter_map(|c| c.get(1).map(|m| m.start()))
                .collect()
        })
        .filter(|starts: &Vec<usize>| !starts.is_empty())
        .collect();
    if needed == 1 {
        return !places.is_empty();
    }
    places.iter().enumerate().any(|(i, a)| {
        places[i + 1..].iter().any(|b| {
            let mut all: Vec<usize> = a.iter().chain(b).copied().collect();
            all.sort_unstable();
            all.dedup();
            all.len() >= 2
        })
    })
}

fn name_pattern(name: &str) -> Option<Regex> {
    let words: Vec<&str> = name
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return None;
    }
    let (body, case_insensitive) = if words.len() == 1 {
        (regex::escape(name), false)
    } else {
        (
            words
                .iter()
                .map(|w| regex::escape(w))
                .collect::<Vec<_>>()
                .join("[-_.]?"),
            true,
        )
    };
    RegexBuilder::new(&format!(
        r"(?:^|[^A-Za-z0-9_-])(?:{body})(?:$|[^A-Za-z0-9_-])"
    ))
    .case_insensitive(case_insensitive)
    .multi_line(true)
    .build()
    .ok()
}

fn value_pattern(value: &str) -> Option<Regex> {
    // A bucket the provider left as a placeholder (`${S3_BUCKET}/jobs/*`) is any bucket here.
    let unplaced;
    let value = if value.starts_with("${") {
        match value.find("}/") {
            Some(end) => {
                unplaced = format!("*{}", &value[end + 1..]);
                unplaced.as_str()
            }
            None => value,
        }
    } else {
        value
    };
    let own = value.chars().filter(|c| c.is_alphanumeric()).count();
    if own < 4 {
        return None;
    }
    let pieces: Vec<&str> = value.split('*').collect();
    let mut body = String::new();
    let last = pieces.len() - 1;
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            body.push_str(r"\S*?");
        }
        if i == 0 && !piece.is_empty() {
            // The first piece starts the capture, which marks the place of the mention.
            body.push_str(&format!("({})", regex::escape(piece)));
        } else if i == 0 {
            body.push_str("()");
        } else {
            body.push_str(&regex::escape(piece));
        }
        if i == last && piece.ends_with(|c: char| c.is_alphanumeric()) {
            body.push_str("(?:$|[^A-Za-z0-9_])");
        }
    }
    let start = if value.starts_with(|c: char| c.is_alphanumeric()) {
        "(?:^|[^A-Za-z0-9_-])"
    } else {
        ""
    };
    RegexBuilder::new(&format!("{start}{body}"))
        .multi_line(true)
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    /// A name no test text contains, so only values decide.
    const UNRELATED: &str = "unrelated-export";

    const RFC: &[&str] = &[
        "jobs/*/masks/*",
        "jobs/*/*/config.json",
        "jobs/*/*/manifest.json",
        "training-runs/*",
        "training-metrics/*",
    ];

    #[test]
    fn the_name_as_a_word_in_any_case_style() {
        let none = values(&[]);
        assert!(mentions(
            "required-s3-permissions",
            &none,
            b"# see required-s3-permissions in the realm\n"
        ));
        assert!(mentions(
            "required-s3-permissions",
            &none,
            b"REQUIRED_S3_PERMISSIONS = load()\n"
        ));
        assert!(mentions(
            "required-s3-permissions",
            &none,
            b"const requiredS3Permissions = x;\n"
        ));
        assert!(!mentions(
            "required-s3-permissions",
            &none,
            b"not-required-s3-permissions-v2\n"
        ));
        assert!(!mentions(
            "required-s3-permissions",
            &none,
            b"s3 permissions are required\n"
        ));
        // One word: only as written.
        assert!(mentions("topics", &none, b"uses: topics\n"));
        assert!(!mentions("topics", &none, b"TOPICS = []\n"));
        assert!(!mentions("topics", &none, b"subtopics\n"));
    }

    #[test]
    fn two_values_at_different_places() {
        let rfc = values(RFC);
        let cdk = br#"
            resources=[
                f"arn:aws:s3:::{bucket}/jobs/*/masks/*",
                f"arn:aws:s3:::{bucket}/training-runs/*",
            ],
        "#;
        assert!(mentions("required-s3-permissions", &rfc, cdk));
        let go =
            b"key := fmt.Sprintf(\"jobs/%s/masks/%s\", id, name)\nrun := \"training-runs/\" + id\n";
        assert!(mentions(UNRELATED, &rfc, go));
        // One value is not enough when there are several.
        assert!(!mentions(
            UNRELATED,
            &rfc,
            b"path = f\"jobs/{job_id}/masks/{name}\"\n"
        ));
        // The literal prefix alone does not mention `jobs/*/masks/*`, nor does a CI file's `jobs:`.
        assert!(!mentions(
            UNRELATED,
            &rfc,
            b"jobs:\n  test:\n    run: ls jobs/ && ls masks/\n"
        ));
        assert!(!mentions(
            UNRELATED,
            &rfc,
            b"cronjobs/x/masks/y\ncronjobs/a/b/config.json\n"
        ));
        // Two values matched by one spot count once.
        let nested = values(&["jobs/*", "jobs/*/masks/*"]);
        assert!(!mentions(
            UNRELATED,
            &nested,
            b"uri = f\"s3://b/jobs/{id}/masks/{m}\"\n"
        ));
        assert!(mentions(
            UNRELATED,
            &nested,
            b"a = \"jobs/{id}/masks/{m}\"\nb = \"jobs/{id}/other\"\n"
        ));
    }

    #[test]
    fn few_or_vague_values() {
        let one = values(&["training-metrics/*"]);
        assert!(mentions(UNRELATED, &one, b"Prefix=\"training-metrics/\"\n"));
        assert!(!mentions(UNRELATED, &one, b"training-metricsx/\n"));
        // Vague values never count, so there is nothing to match.
        let vague = values(&["*", "a/*", "v1"]);
        assert!(!mentions(UNRELATED, &vague, b"* a/b v1\n"));
        assert!(!mentions(UNRELATED, &values(&[]), b"anything"));
        // A value's last literal piece ends at a word boundary.
        let file = values(&["jobs/*/config.json", "jobs/*/manifest.json"]);
        assert!(!mentions(
            UNRELATED,
            &file,
            b"jobs/1/config.jsonl jobs/2/manifest.jsonl\n"
        ));
        assert!(mentions(
            UNRELATED,
            &file,
            b"jobs/1/config.json jobs/2/manifest.json\n"
        ));
    }

    #[test]
    fn binary_files_mention_nothing() {
        assert!(!mentions(
            "required-s3-permissions",
            &values(RFC),
            b"\0\0required-s3-permissions"
        ));
    }

    #[test]
    fn buckets_must_agree_and_only_grants_bind() {
        let lake = values(&["data-lake/output/*", "data-lake/scripts/*"]);
        let other = b"p = \"arn:aws:s3:::other-bucket/output/*\"\nq = \"arn:aws:s3:::other-bucket/scripts/*\"\n";
        assert!(!mentions(UNRELATED, &lake, other));
        let same =
            b"p = \"arn:aws:s3:::data-lake/output/*\"\nq = \"arn:aws:s3:::data-lake/scripts/*\"\n";
        assert!(mentions(UNRELATED, &lake, same));
        // A bucket the provider left as a placeholder is any bucket.
        let placeholder = values(&[
            "${S3_BUCKET}/jobs/*/masks/*",
            "${S3_BUCKET}/training-runs/*",
        ]);
        let stack = b"f\"arn:aws:s3:::{BUCKET}/jobs/*/masks/*\",\nf\"arn:aws:s3:::{BUCKET}/training-runs/*\",\n";
        assert!(mentions(UNRELATED, &placeholder, stack));
        assert!(grants(b"actions=[\"s3:GetObject\"], resources=[...]"));
        assert!(grants(b"bucket.grant_read(role, \"output/*\")"));
        assert!(!grants(b"s3.get_object(Bucket=B, Key=\"output/x\")"));
    }
}
