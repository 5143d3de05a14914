//! Verified bindings (`verify: s3-iam`): what a binding file grants, and whether that covers an
//! export's value.
//!
//! [`extract`] reads IAM statements out of a binding (AWS CDK in Python or TypeScript,
//! CloudFormation YAML/JSON, Terraform HCL, plain policy JSON); [`coverage`] checks the paths an
//! export needs against them with IAM's own matching: `*` and `?` in actions (case-insensitive)
//! and resources, an Allow that covers the whole pattern, and no Deny that overlaps it.
//! `NotAction` and `NotResource` are reported as unsupported, never guessed.

mod extract;
mod lexer;
mod snippet;

use serde::Serialize;
use serde_json::Value;

pub use extract::{Language, extract};
pub use snippet::snippet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// One IAM statement as the binding writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub effect: Effect,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// Line of the binding file the statement starts on (1-based).
    pub line: usize,
    /// Why the statement cannot be evaluated (`NotAction`, `NotResource`).
    pub unsupported: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    /// The S3 action a request for this access makes.
    pub fn action(self) -> &'static str {
        match self {
            Access::Read => "s3:GetObject",
            Access::Write => "s3:PutObject",
        }
    }
}

/// One path an export needs, in one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub bucket: String,
    /// The key pattern, as the export's value spells it (bucket prefix removed).
    pub path: String,
    pub access: Access,
}

impl Need {
    pub fn arn(&self) -> String {
        format!("arn:aws:s3:::{}/{}", self.bucket, self.path)
    }
}

/// The adapter from an export's value to what it needs: `{read: [...], write: [...]}`, each
/// entry `key` (in `bucket`, the import's configured bucket) or `bucket/key`. An entry whose
/// first segment is a placeholder (`${NAME}/key`) takes the configured bucket.
pub fn needs(value: &Value, bucket: Option<&str>) -> Result<Vec<Need>, String> {
    let mut out = Vec::new();
    for access in [Access::Read, Access::Write] {
        let Some(entries) = value.get(access.as_str()) else {
            continue;
        };
        let entries = entries
            .as_array()
            .ok_or_else(|| format!("the value's `{}` is not a list of paths", access.as_str()))?;
        for entry in entries {
            let entry = entry.as_str().ok_or_else(|| {
                format!("the value's `{}` holds a non-string entry", access.as_str())
            })?;
            let (bucket, path) = match bucket {
                Some(b) => match entry.split_once('/') {
                    Some((first, rest)) if first == b || is_placeholder(first) => (b, rest),
                    _ => (b, entry),
                },
                None => match entry.split_once('/') {
                    Some((first, _)) if is_placeholder(first) => {
                        return Err(format!(
                            "`{entry}` names its bucket by the placeholder `{first}`; set `bucket:` on the import in .realm/config.yaml"
                        ));
                    }
                    Some((first, rest)) if !first.is_empty() && !first.contains('*') => {
                        (first, rest)
                    }
                    _ => {
                        return Err(format!(
                            "`{entry}` does not name its bucket; set `bucket:` on the import in .realm/config.yaml"
                        ));
                    }
                },
            };
            out.push(Need {
                bucket: bucket.to_owned(),
                path: path.to_owned(),
                access,
            });
        }
    }
    Ok(out)
}

fn is_placeholder(segment: &str) -> bool {
    segment.starts_with("${") && segment.ends_with('}')
}

/// A need the binding does not grant, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub bucket: String,
    pub path: String,
    pub access: Access,
    pub reason: String,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.path,
            self.access.as_str(),
            self.reason
        )
    }
}

/// What a binding grants of an export's needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Coverage {
    pub missing: Vec<Gap>,
    /// Grants wider than the needs: warnings, never errors.
    pub over_grants: Vec<String>,
}

/// Check every need against `statements`.
pub fn coverage(needs: &[Need], statements: &[Statement]) -> Coverage {
    let mut out = Coverage::default();
    let unsupported_deny = statements
        .iter()
        .find(|s| s.effect == Effect::Deny && s.unsupported.is_some());
    for need in needs {
        let arn = need.arn();
        let action = need.access.action();
        let reason = if let Some(s) = unsupported_deny {
            Some(format!(
                "the Deny statement at line {} uses {}, which s3-iam does not evaluate",
                s.line,
                s.unsupported.as_deref().unwrap_or("an unsupported form")
            ))
        } else if let Some(deny) = statements.iter().find(|s| {
            s.effect == Effect::Deny
                && s.actions.iter().any(|a| action_matches(a, action))
                && s.resources.iter().any(|r| overlaps(r, &arn))
        }) {
            Some(format!(
                "the Deny statement at line {} denies {action}",
                deny.line
            ))
        } else {
            let allows = |s: &&Statement| {
                s.effect == Effect::Allow
                    && s.unsupported.is_none()
                    && s.actions.iter().any(|a| action_matches(a, action))
            };
            if !statements.iter().any(|s| allows(&s)) {
                let unsupported = statements
                    .iter()
                    .find(|s| s.effect == Effect::Allow && s.unsupported.is_some());
                Some(match unsupported {
                    Some(s) => format!(
                        "no statement allows {action} (the statement at line {} uses {}, which s3-iam does not evaluate)",
                        s.line,
                        s.unsupported.as_deref().unwrap_or("an unsupported form")
                    ),
                    None => format!("no statement allows {action}"),
                })
            } else if !statements
                .iter()
                .filter(allows)
                .any(|s| s.resources.iter().any(|r| covers(r, &arn)))
            {
                Some(format!("no statement allows {action} on {arn}"))
            } else {
                None
            }
        };
        if let Some(reason) = reason {
            out.missing.push(Gap {
                bucket: need.bucket.clone(),
                path: need.path.clone(),
                access: need.access,
                reason,
            });
        }
    }
    out.over_grants = over_grants(needs, statements);
    out
}

/// Allow statements on the needs' buckets that grant every action, or every key of a bucket
/// where no need asks for the whole bucket.
fn over_grants(needs: &[Need], statements: &[Statement]) -> Vec<String> {
    let mut out = Vec::new();
    let mut buckets: Vec<&str> = needs.iter().map(|n| n.bucket.as_str()).collect();
    buckets.sort_unstable();
    buckets.dedup();
    for s in statements.iter().filter(|s| s.effect == Effect::Allow) {
        for bucket in &buckets {
            let whole = format!("arn:aws:s3:::{bucket}/*");
            let touches = s.resources.iter().any(|r| overlaps(r, &whole));
            if !touches {
                continue;
            }
            if let Some(a) = s
                .actions
                .iter()
                .find(|a| action_matches(a, "s3:DeleteBucket"))
            {
                out.push(format!(
                    "line {}: `{a}` grants every S3 action on {bucket}, more than the import needs",
                    s.line
                ));
            } else if let Some(r) = s.resources.iter().find(|r| covers(r, &whole))
                && !needs.iter().any(|n| &n.bucket == bucket && n.path == "*")
            {
                out.push(format!(
                    "line {}: `{r}` grants every key of {bucket}, more than the import needs",
                    s.line
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// IAM action matching: `*` and `?`, case-insensitive.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    wildcard(
        &pattern.to_ascii_lowercase().chars().collect::<Vec<_>>(),
        &action.to_ascii_lowercase().chars().collect::<Vec<_>>(),
    )
}

/// IAM resource matching of a concrete string: `*` any run, `?` one character.
#[cfg(test)]
pub fn matches(pattern: &str, text: &str) -> bool {
    wildcard(
        &pattern.chars().collect::<Vec<_>>(),
        &text.chars().collect::<Vec<_>>(),
    )
}

fn wildcard(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Whether pattern `p` matches every string pattern `q` matches: `p`'s `*` takes any run of
/// `q`'s symbols, `p`'s `?` one symbol other than `q`'s `*`, a literal only itself.
pub fn covers(p: &str, q: &str) -> bool {
    // Every string `p` matches starts with its literal prefix: a quick no for most pairs.
    let literal = p.find(['*', '?']).unwrap_or(p.len());
    if !q.starts_with(&p[..literal]) {
        return false;
    }
    if literal == p.len() {
        return p == q;
    }
    let p: Vec<char> = p.chars().collect();
    let q: Vec<char> = q.chars().collect();
    let (n, m) = (p.len(), q.len());
    // reach[i][j]: p[..i] covers q[..j].
    let mut reach = vec![vec![false; m + 1]; n + 1];
    reach[0][0] = true;
    for i in 0..=n {
        for j in 0..=m {
            if !reach[i][j] {
                continue;
            }
            if i < n && p[i] == '*' {
                reach[i + 1][j] = true;
                if j < m {
                    reach[i][j + 1] = true;
                }
            }
            if i < n && j < m && p[i] != '*' {
                let ok = match p[i] {
                    '?' => q[j] != '*',
                    c => c == q[j],
                };
                if ok {
                    reach[i + 1][j + 1] = true;
                }
            }
        }
    }
    reach[n][m]
}

/// Whether some string matches both patterns.
pub fn overlaps(p: &str, q: &str) -> bool {
    let p: Vec<char> = p.chars().collect();
    let q: Vec<char> = q.chars().collect();
    // Up to the first `*` of either, the characters must agree (`?` agrees with any).
    for (a, b) in p.iter().zip(&q) {
        if *a == '*' || *b == '*' {
            break;
        }
        if *a != '?' && *b != '?' && a != b {
            return false;
        }
    }
    let (n, m) = (p.len(), q.len());
    let mut reach = vec![vec![false; m + 1]; n + 1];
    reach[0][0] = true;
    for i in 0..=n {
        for j in 0..=m {
            if !reach[i][j] {
                continue;
            }
            if i < n && p[i] == '*' {
                reach[i + 1][j] = true;
                if j < m {
                    reach[i][j + 1] = true;
                }
            }
            if j < m && q[j] == '*' {
                reach[i][j + 1] = true;
                if i < n {
                    reach[i + 1][j] = true;
                }
            }
            if i < n
                && j < m
                && p[i] != '*'
                && q[j] != '*'
                && (p[i] == '?' || q[j] == '?' || p[i] == q[j])
            {
                reach[i + 1][j + 1] = true;
            }
        }
    }
    reach[n][m]
}

#[cfg(test)]
mod tests;
