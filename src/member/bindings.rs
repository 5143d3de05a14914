//! Verified bindings: an import with a verifier (`verify: s3-iam` in .realm/config.yaml) is
//! current only when its binding file grants the value.

use anyhow::Result;

use super::Member;
use super::detection::At;
use crate::error::BadInput;
use crate::realm::config::VerifierKind;
use crate::realm::grants::{self, Coverage};
use crate::realm::model::Import;
use crate::realm::snapshot::Snapshot;
use crate::realm::status::{self, ImportState};

/// What a verifier found of one import's binding.
pub struct Verdict {
    pub coverage: Coverage,
}

impl Verdict {
    pub fn missing(&self) -> Vec<String> {
        self.coverage
            .missing
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

/// Check `import`'s binding at `at` against the value it imports; `None` without a verifier
/// or while the version consumers see is not the export's latest value.
pub fn verify(
    member: &Member,
    snapshot: &Snapshot,
    import: &Import,
    at: At,
    today: &str,
) -> Result<Option<Verdict>> {
    let Some(check) = member.config.import_check(&import.from, &import.contract) else {
        return Ok(None);
    };
    let Some(value) = status::granted_value(snapshot, import, today) else {
        return Ok(None);
    };
    match check.verify {
        VerifierKind::S3Iam => {}
    }
    let needs = grants::needs(value, check.bucket.as_deref()).map_err(|e| {
        BadInput::new(
            format!("import `{}` from {}: {e}", import.contract, import.from),
            "add `bucket: <name>` beside `verify: s3-iam` in .realm/config.yaml",
        )
    })?;
    let gap_for_all = |reason: String| Coverage {
        missing: needs
            .iter()
            .map(|n| grants::Gap {
                bucket: n.bucket.clone(),
                path: n.path.clone(),
                access: n.access,
                reason: reason.clone(),
            })
            .collect(),
        over_grants: Vec::new(),
    };
    let Some(path) = &import.binding else {
        return Ok(Some(Verdict {
            coverage: gap_for_all("the import names no binding file".to_owned()),
        }));
    };
    let bytes = match at {
        At::Commit(commit) => member.repo.file_at(commit, path)?,
        At::Worktree => member.repo.worktree_file(path.as_bytes())?,
    };
    let Some(bytes) = bytes else {
        return Ok(Some(Verdict {
            coverage: gap_for_all(format!("the binding `{path}` does not exist")),
        }));
    };
    let text = String::from_utf8_lossy(&bytes);
    let statements = grants::extract(path, &text, check.bucket.as_deref()).map_err(|e| {
        BadInput::new(
            format!("{path}:{}: {}", e.line, e.message),
            "s3-iam resolves string constants, f-strings, template literals and `+` within the file; spell the ARN out there, or remove `verify:` from the import in .realm/config.yaml",
        )
    })?;
    Ok(Some(Verdict {
        coverage: grants::coverage(&needs, &statements),
    }))
}

/// Every import of this domain, as the realm stands and as their bindings at `at` grant them.
pub fn imports_of(
    member: &Member,
    snapshot: &Snapshot,
    at: At,
    today: &str,
) -> Result<Vec<ImportState>> {
    let domain = &member.config.realm.domain;
    let Some(state) = snapshot.domain(domain) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for import in &state.imports.imports {
        let mut computed = status::import_state(snapshot, import, today);
        if let Some(verdict) = verify(member, snapshot, import, at, today)? {
            status::apply_grants(
                &mut computed,
                verdict.missing(),
                verdict.coverage.over_grants.clone(),
            );
        }
        out.push(computed);
    }
    Ok(out)
}
