//! The resources: this domain's exports and imports and the contracts it imports, as the
//! last fetched realm records them, each readable by its `realm://` URI.

use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};

use crate::member;
use crate::ops;

/// A resource: its URI, a name and description for the list, and its JSON.
pub struct Entry {
    pub uri: String,
    pub name: String,
    pub description: String,
    pub content: Value,
}

/// Every resource of this domain, in the realm last fetched into the repository at `cwd`.
pub fn entries(cwd: &Path) -> Result<Vec<Entry>> {
    let ctx = ops::Context::keeping_messages(cwd.to_path_buf(), ops::now()?);
    let mut entries = Vec::new();
    for member in member::load_all(&ctx, None)? {
        entries.extend(of_member(&member)?);
    }
    Ok(entries)
}

/// The resources of one membership.
fn of_member(member: &member::Member) -> Result<Vec<Entry>> {
    let realm = &member.config.realm;
    let (tip, snapshot) = member.repo.fetched_realm(realm)?;
    let (name, domain) = (&realm.name, &realm.domain);
    let state = snapshot.domain(domain);
    let base = format!("realm://{name}/domains/{domain}");
    let mut entries = vec![
        Entry {
            uri: format!("{base}/exports"),
            name: format!("{domain} exports"),
            description: format!(
                "What {domain} provides: domains/{domain}/exports.yaml of realm '{name}' at {tip}"
            ),
            content: json!({
                "realm": name,
                "domain": domain,
                "realm_commit": tip.to_string(),
                "exports": state.map(|s| &s.exports.exports),
            }),
        },
        Entry {
            uri: format!("{base}/imports"),
            name: format!("{domain} imports"),
            description: format!(
                "What {domain} depends on: domains/{domain}/imports.yaml of realm '{name}' at {tip}"
            ),
            content: json!({
                "realm": name,
                "domain": domain,
                "realm_commit": tip.to_string(),
                "imports": state.map(|s| &s.imports.imports),
            }),
        },
    ];
    for import in state.map(|s| s.imports.imports.as_slice()).unwrap_or(&[]) {
        let (provider, contract) = (&import.from, &import.contract);
        let uri = format!("realm://{name}/contracts/{provider}/{contract}");
        if entries.iter().any(|e| e.uri == uri) {
            continue;
        }
        entries.push(Entry {
            uri,
            name: format!("{provider}/{contract}"),
            description: format!(
                "The contract {domain} imports from {provider} (requires {}): its value, version, schema and changelog",
                import.version
            ),
            content: json!({
                "realm": name,
                "provider": provider,
                "realm_commit": tip.to_string(),
                "requirement": import.version,
                "export": snapshot.export(provider, contract),
            }),
        });
    }
    Ok(entries)
}

/// The resource at `uri`, if this domain has it.
pub fn read(cwd: &Path, uri: &str) -> Result<Option<Entry>> {
    Ok(entries(cwd)?.into_iter().find(|e| e.uri == uri))
}
