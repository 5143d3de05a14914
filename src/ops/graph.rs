//! `graph`: who imports what from whom.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::member as membership;
use crate::output::Report;
use crate::realm::model::ImportStatus;
use crate::realm::status;

/// What `graph` is asked.
#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// How the human form is drawn (the JSON form is the same for all).
    pub format: GraphFormat,
    /// Show the realm as of this revision (a realm branch, `main~3`, a commit) instead of the
    /// last fetched one.
    pub at: Option<String>,
}

/// How the graph's human form is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GraphFormat {
    /// One line per edge, domains without imports on a line of their own.
    #[default]
    Text,
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz dot.
    Dot,
}

#[derive(Serialize)]
pub struct GraphReport {
    realm: String,
    realm_commit: String,
    domains: Vec<String>,
    edges: Vec<Edge>,
    /// Domains whose realm files cannot be used (shown in the graph, marked broken).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    broken_domains: Vec<status::BrokenDomain>,
    #[serde(skip)]
    format: GraphFormat,
}

#[derive(Serialize)]
pub struct Edge {
    /// The consuming domain.
    from: String,
    /// The providing domain.
    to: String,
    contract: String,
    requirement: String,
    status: ImportStatus,
}

impl Edge {
    fn label(&self) -> String {
        format!(
            "{} {} ({})",
            self.contract,
            self.requirement,
            self.status.as_str()
        )
    }
}

impl GraphReport {
    fn is_broken(&self, domain: &str) -> bool {
        self.broken_domains.iter().any(|b| b.domain == domain)
    }
}

impl Report for GraphReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.format {
            GraphFormat::Text => {
                writeln!(out, "realm {}", self.realm)?;
                for broken in &self.broken_domains {
                    writeln!(out, "  {}", crate::error::one_line(&broken.line()))?;
                }
                for domain in &self.domains {
                    let edges: Vec<&Edge> =
                        self.edges.iter().filter(|e| &e.from == domain).collect();
                    if edges.is_empty() && !self.is_broken(domain) {
                        writeln!(out, "  {domain}")?;
                    }
                    for edge in edges {
                        writeln!(out, "  {} -> {}: {}", edge.from, edge.to, edge.label())?;
                    }
                }
                Ok(())
            }
            GraphFormat::Mermaid => {
                writeln!(out, "flowchart LR")?;
                let id = |name: &str| {
                    self.domains
                        .iter()
                        .position(|d| d == name)
                        .unwrap_or(usize::MAX)
                };
                for (i, domain) in self.domains.iter().enumerate() {
                    let label = if self.is_broken(domain) {
                        format!("{domain} (broken)")
                    } else {
                        domain.clone()
                    };
                    writeln!(out, "  d{i}[\"{}\"]", mermaid_text(&label))?;
                }
                for edge in &self.edges {
                    writeln!(
                        out,
                        "  d{} -->|\"{}\"| d{}",
                        id(&edge.from),
                        mermaid_text(&edge.label()),
                        id(&edge.to)
                    )?;
                }
                Ok(())
            }
            GraphFormat::Dot => {
                writeln!(out, "digraph {} {{", dot_id(&self.realm))?;
                writeln!(out, "  rankdir=LR;")?;
                writeln!(out, "  node [shape=box];")?;
                for domain in &self.domains {
                    if self.is_broken(domain) {
                        writeln!(out, "  {} [color=red, style=dashed];", dot_id(domain))?;
                    } else {
                        writeln!(out, "  {};", dot_id(domain))?;
                    }
                }
                for edge in &self.edges {
                    let style = match edge.status {
                        ImportStatus::Current => "",
                        ImportStatus::Stale => ", color=orange",
                        ImportStatus::Broken => ", color=red, style=dashed",
                        ImportStatus::Ungranted => ", color=purple, style=dashed",
                    };
                    writeln!(
                        out,
                        "  {} -> {} [label={}{style}];",
                        dot_id(&edge.from),
                        dot_id(&edge.to),
                        dot_id(&edge.label())
                    )?;
                }
                writeln!(out, "}}")
            }
        }
    }
}

/// `text` inside a quoted Mermaid label. Mermaid ends the label at `"`, reads `#…;` as an
/// entity code, a label opening with a backquote as Markdown, and the label as HTML; so `"`,
/// `#`, `` ` `` and HTML's `&`, `<` and `>` are written as entity codes, and read back as
/// themselves.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '`' => out.push_str("#96;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            _ => out.push(c),
        }
    }
    out
}

fn dot_id(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn graph(ctx: &Context, options: GraphOptions) -> Result<(GraphReport, Outcome)> {
    let member = membership::load(ctx)?;
    let realm = &member.config.realm;
    let (tip, snapshot) = match &options.at {
        None => member.repo.fetched_realm(realm)?,
        Some(rev) => {
            let realm_rev = format!("{}{rev}", CodeRepo::realm_ref(&realm.name, ""));
            // A realm commit by its id; any other name is a realm branch, not one of this
            // repository's own (`HEAD` here is the code, which has no realm.yaml).
            let is_id = (4..=64).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit());
            let commit = member
                .repo
                .resolve_commit(&realm_rev)
                .or_else(|e| {
                    if is_id {
                        member.repo.resolve_commit(rev)
                    } else {
                        Err(e)
                    }
                })
                .map_err(|_| {
                    BadInput::new(
                        format!("unknown realm revision `{rev}`"),
                        "name a realm branch (main, proposals/…), `main~N` or a realm commit",
                    )
                })?;
            (commit, member.repo.snapshot(commit, &realm.url)?)
        }
    };
    let today = ctx.date();
    let mut domains: Vec<String> = snapshot
        .domains
        .keys()
        .chain(snapshot.broken.keys())
        .cloned()
        .collect();
    let mut edges = Vec::new();
    for (name, state) in &snapshot.domains {
        for import in &state.imports.imports {
            if !domains.contains(&import.from) {
                domains.push(import.from.clone());
            }
            edges.push(Edge {
                from: name.clone(),
                to: import.from.clone(),
                contract: import.contract.clone(),
                requirement: import.version.clone(),
                status: status::import_state(&snapshot, import, &today).status,
            });
        }
    }
    domains.sort();
    let report = GraphReport {
        realm: snapshot.realm.name.clone(),
        realm_commit: tip.to_string(),
        domains,
        edges,
        broken_domains: status::broken_domains(&snapshot),
        format: options.format,
    };
    Ok((report, Outcome::Clean))
}

#[cfg(test)]
mod tests {
    /// Names and requirements are checked when the realm loads, so labels hold no `"`, `#`
    /// or `` ` ``; escaping them anyway keeps a label from ending early if that ever changes.
    #[test]
    fn mermaid_labels_are_text() {
        assert_eq!(
            super::mermaid_text("\"q\" <b>1</b> & #35; `c`"),
            "#quot;q#quot; #lt;b#gt;1#lt;/b#gt; #amp; #35;35; #96;c#96;"
        );
    }
}
