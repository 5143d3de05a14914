//! `graph`: who imports what from whom.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::per_realm::{PerRealm, each_realm};
use super::{Context, Outcome};
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::member::Member;
use crate::member::bindings;
use crate::output::Report;
use crate::realm::model::ImportStatus;
use crate::realm::snapshot::Snapshot;
use crate::realm::status;

/// What `graph` is asked.
#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// The realm to act on; all the repository belongs to when `None`.
    pub realm: Option<String>,
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
    /// The providing domain's realm, for an import across realms.
    #[serde(skip_serializing_if = "Option::is_none")]
    to_realm: Option<String>,
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
    /// The broken domains, asked of every domain: a set, so drawing stays linear.
    fn broken(&self) -> HashSet<&str> {
        self.broken_domains
            .iter()
            .map(|b| b.domain.as_str())
            .collect()
    }
}

/// The graph of the realm `graph` acted on, or of all the realms the repository belongs to
/// drawn as one, a subgraph per realm (JSON: `{"realms": [...]}`, one report per realm).
#[derive(Serialize)]
#[serde(untagged)]
pub enum Graph {
    One(GraphReport),
    Several { realms: Vec<GraphReport> },
}

impl Graph {
    fn parts(&self) -> Vec<&GraphReport> {
        match self {
            Graph::One(report) => vec![report],
            Graph::Several { realms } => realms.iter().collect(),
        }
    }
}

impl Report for Graph {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let parts = self.parts();
        let across = parts
            .iter()
            .any(|p| p.edges.iter().any(|e| e.to_realm.is_some()));
        match (parts.as_slice(), across) {
            ([one], false) => one.human(out),
            _ => match parts[0].format {
                GraphFormat::Text => {
                    for (i, part) in parts.iter().enumerate() {
                        if i > 0 {
                            writeln!(out)?;
                        }
                        part.human(out)?;
                    }
                    Ok(())
                }
                format => draw_realms(&parts, format, out),
            },
        }
    }
}

/// A domain as the combined drawing knows it: its realm and name.
type Node<'a> = (&'a str, &'a str);

/// Several realms (or one with imports from another) in one drawing: a subgraph per realm,
/// edges across the boundary between them.
fn draw_realms(
    parts: &[&GraphReport],
    format: GraphFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    // Each realm's domains, in the reports' order; providers in a realm no report covers
    // (imported read-only, or --realm chose one) get a subgraph of their own.
    let mut groups: Vec<(&str, Vec<&str>)> = parts
        .iter()
        .map(|p| {
            (
                p.realm.as_str(),
                p.domains.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    for part in parts {
        for edge in &part.edges {
            let Some(realm) = edge.to_realm.as_deref() else {
                continue;
            };
            let at = match groups.iter().position(|(r, _)| *r == realm) {
                Some(at) => at,
                None => {
                    groups.push((realm, Vec::new()));
                    groups.len() - 1
                }
            };
            if !groups[at].1.contains(&edge.to.as_str()) {
                groups[at].1.push(&edge.to);
            }
        }
    }
    let broken: HashSet<Node> = parts
        .iter()
        .flat_map(|p| {
            p.broken_domains
                .iter()
                .map(|b| (p.realm.as_str(), b.domain.as_str()))
        })
        .collect();
    let edges: Vec<(Node, Node, &Edge)> = parts
        .iter()
        .flat_map(|p| {
            p.edges.iter().map(|e| {
                let to_realm = e.to_realm.as_deref().unwrap_or(&p.realm);
                (
                    (p.realm.as_str(), e.from.as_str()),
                    (to_realm, e.to.as_str()),
                    e,
                )
            })
        })
        .collect();
    match format {
        GraphFormat::Mermaid => {
            writeln!(out, "flowchart LR")?;
            let mut ids: HashMap<Node, usize> = HashMap::new();
            for (r, (realm, domains)) in groups.iter().enumerate() {
                writeln!(out, "  subgraph r{r}[\"{}\"]", mermaid_text(realm))?;
                for domain in domains {
                    let i = ids.len();
                    ids.insert((realm, domain), i);
                    let label = if broken.contains(&(*realm, *domain)) {
                        format!("{domain} (broken)")
                    } else {
                        (*domain).to_owned()
                    };
                    writeln!(out, "    d{i}[\"{}\"]", mermaid_text(&label))?;
                }
                writeln!(out, "  end")?;
            }
            let id = |node: &Node| ids.get(node).copied().unwrap_or(usize::MAX);
            for (from, to, edge) in &edges {
                writeln!(
                    out,
                    "  d{} -->|\"{}\"| d{}",
                    id(from),
                    mermaid_text(&edge.label()),
                    id(to)
                )?;
            }
            Ok(())
        }
        _ => {
            let node_id = |(realm, domain): &Node| dot_id(&format!("{realm}/{domain}"));
            let name: Vec<&str> = parts.iter().map(|p| p.realm.as_str()).collect();
            writeln!(out, "digraph {} {{", dot_id(&name.join(" + ")))?;
            writeln!(out, "  rankdir=LR;")?;
            writeln!(out, "  node [shape=box];")?;
            for (realm, domains) in &groups {
                writeln!(out, "  subgraph {} {{", dot_id(&format!("cluster_{realm}")))?;
                writeln!(out, "    label={};", dot_id(realm))?;
                for domain in domains {
                    let node = (*realm, *domain);
                    let style = if broken.contains(&node) {
                        ", color=red, style=dashed"
                    } else {
                        ""
                    };
                    writeln!(
                        out,
                        "    {} [label={}{style}];",
                        node_id(&node),
                        dot_id(domain)
                    )?;
                }
                writeln!(out, "  }}")?;
            }
            for (from, to, edge) in &edges {
                writeln!(
                    out,
                    "  {} -> {} [label={}{}];",
                    node_id(from),
                    node_id(to),
                    dot_id(&edge.label()),
                    dot_style(edge.status)
                )?;
            }
            writeln!(out, "}}")
        }
    }
}

fn dot_style(status: ImportStatus) -> &'static str {
    match status {
        ImportStatus::Current => "",
        ImportStatus::Stale => ", color=orange",
        ImportStatus::Broken => ", color=red, style=dashed",
        ImportStatus::Ungranted => ", color=purple, style=dashed",
    }
}

impl Report for GraphReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let broken = self.broken();
        match self.format {
            GraphFormat::Text => {
                writeln!(out, "realm {}", self.realm)?;
                for broken in &self.broken_domains {
                    writeln!(out, "  {}", crate::output::broken_domain_line(broken))?;
                }
                // Each domain's edges, in the order of `edges`, found once rather than by a
                // scan of every edge for every domain.
                let mut edges_from: HashMap<&str, Vec<&Edge>> = HashMap::new();
                for edge in &self.edges {
                    edges_from.entry(&edge.from).or_default().push(edge);
                }
                for domain in &self.domains {
                    let edges = edges_from
                        .get(domain.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    if edges.is_empty() && !broken.contains(domain.as_str()) {
                        writeln!(out, "  {domain}")?;
                    }
                    for edge in edges {
                        let to = match &edge.to_realm {
                            Some(realm) => format!("{realm}/{}", edge.to),
                            None => edge.to.clone(),
                        };
                        writeln!(out, "  {} -> {to}: {}", edge.from, edge.label())?;
                    }
                }
                Ok(())
            }
            GraphFormat::Mermaid => {
                writeln!(out, "flowchart LR")?;
                let mut ids: HashMap<&str, usize> = HashMap::with_capacity(self.domains.len());
                for (i, domain) in self.domains.iter().enumerate() {
                    ids.entry(domain).or_insert(i);
                }
                let id = |name: &str| ids.get(name).copied().unwrap_or(usize::MAX);
                for (i, domain) in self.domains.iter().enumerate() {
                    let label = if broken.contains(domain.as_str()) {
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
                    if broken.contains(domain.as_str()) {
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

pub fn graph(ctx: &Context, options: GraphOptions) -> Result<(Graph, Outcome)> {
    let realm = options.realm.clone();
    let (reports, outcome) = each_realm(ctx, realm.as_deref(), |member| {
        graph_in(ctx, &options, member)
    })?;
    let graph = match reports {
        PerRealm::One(report) => Graph::One(report),
        PerRealm::Several { realms } => Graph::Several {
            realms: realms.into_iter().map(|named| named.report).collect(),
        },
    };
    Ok((graph, outcome))
}

/// `graph` as a member of one realm.
fn graph_in(
    ctx: &Context,
    options: &GraphOptions,
    member: Member,
) -> Result<(GraphReport, Outcome)> {
    let realm = &member.config.realm;
    let (tip, snapshot) = match &options.at {
        None => member
            .repo
            .fetched_realm_for(realm, crate::realm::snapshot::Scope::Edges)?,
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
    let elsewhere = bindings::elsewhere(&member, &snapshot)?;
    let (domains, edges) = domains_and_edges_in(&snapshot, &elsewhere, &ctx.date());
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

/// Every domain of the realm (broken ones and those only imported from included), sorted, and
/// one edge per import, as of `today`.
#[cfg(test)]
fn domains_and_edges(snapshot: &Snapshot, today: &str) -> (Vec<String>, Vec<Edge>) {
    domains_and_edges_in(snapshot, status::nowhere(), today)
}

/// [`domains_and_edges`], imports across realms drawn to their providers `elsewhere` (which
/// are not domains of this realm).
fn domains_and_edges_in(
    snapshot: &Snapshot,
    elsewhere: &status::Elsewhere,
    today: &str,
) -> (Vec<String>, Vec<Edge>) {
    let mut domains: Vec<String> = snapshot
        .domains
        .keys()
        .chain(snapshot.broken.keys())
        .cloned()
        .collect();
    let mut listed: HashSet<String> = domains.iter().cloned().collect();
    let mut edges = Vec::new();
    for (name, state) in &snapshot.domains {
        for import in &state.imports.imports {
            let across = import.is_across(&snapshot.realm.name);
            if !across && listed.insert(import.from.clone()) {
                domains.push(import.from.clone());
            }
            edges.push(Edge {
                from: name.clone(),
                to: import.from.clone(),
                to_realm: across.then(|| import.provider_realm(&snapshot.realm.name).to_owned()),
                contract: import.contract.clone(),
                requirement: import.version.clone(),
                status: status::import_state_in(snapshot, elsewhere, import, today).status,
            });
        }
    }
    domains.sort();
    (domains, edges)
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

#[cfg(test)]
mod drawing {
    //! The graph drawn with an index of edges and sets gives the same text as the scans it
    //! replaced (kept here as the reference), in every format.

    use super::*;
    use crate::realm::snapshot::memory::Files;

    /// The graph as it was built before: a list scan for every import.
    fn scanned_domains_and_edges(snapshot: &Snapshot, today: &str) -> (Vec<String>, Vec<Edge>) {
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
                    to_realm: None,
                    contract: import.contract.clone(),
                    requirement: import.version.clone(),
                    status: status::import_state(snapshot, import, today).status,
                });
            }
        }
        domains.sort();
        (domains, edges)
    }

    /// The graph as it was drawn before: every edge scanned for every domain.
    fn scanned(report: &GraphReport) -> String {
        let mut out = String::new();
        let is_broken = |d: &str| report.broken_domains.iter().any(|b| b.domain == d);
        match report.format {
            GraphFormat::Text => {
                out += &format!("realm {}\n", report.realm);
                for broken in &report.broken_domains {
                    out += &format!("  {}\n", crate::error::one_line(&broken.line()));
                }
                for domain in &report.domains {
                    let edges: Vec<&Edge> =
                        report.edges.iter().filter(|e| &e.from == domain).collect();
                    if edges.is_empty() && !is_broken(domain) {
                        out += &format!("  {domain}\n");
                    }
                    for edge in edges {
                        out += &format!("  {} -> {}: {}\n", edge.from, edge.to, edge.label());
                    }
                }
            }
            GraphFormat::Mermaid => {
                out += "flowchart LR\n";
                let id = |name: &str| {
                    report
                        .domains
                        .iter()
                        .position(|d| d == name)
                        .unwrap_or(usize::MAX)
                };
                for (i, domain) in report.domains.iter().enumerate() {
                    let label = if is_broken(domain) {
                        format!("{domain} (broken)")
                    } else {
                        domain.clone()
                    };
                    out += &format!("  d{i}[\"{}\"]\n", mermaid_text(&label));
                }
                for edge in &report.edges {
                    out += &format!(
                        "  d{} -->|\"{}\"| d{}\n",
                        id(&edge.from),
                        mermaid_text(&edge.label()),
                        id(&edge.to)
                    );
                }
            }
            GraphFormat::Dot => {
                out += &format!(
                    "digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n",
                    dot_id(&report.realm)
                );
                for domain in &report.domains {
                    if is_broken(domain) {
                        out += &format!("  {} [color=red, style=dashed];\n", dot_id(domain));
                    } else {
                        out += &format!("  {};\n", dot_id(domain));
                    }
                }
                for edge in &report.edges {
                    let style = match edge.status {
                        ImportStatus::Current => "",
                        ImportStatus::Stale => ", color=orange",
                        ImportStatus::Broken => ", color=red, style=dashed",
                        ImportStatus::Ungranted => ", color=purple, style=dashed",
                    };
                    out += &format!(
                        "  {} -> {} [label={}{style}];\n",
                        dot_id(&edge.from),
                        dot_id(&edge.to),
                        dot_id(&edge.label())
                    );
                }
                out += "}\n";
            }
        }
        out
    }

    /// A realm of `n` domains: each exports `e`, imports it from a few others (current, stale,
    /// or at a version that breaks), some only from a domain that is not in the realm, some
    /// nothing; every seventh is broken.
    fn realm(n: usize) -> Snapshot {
        let mut files = vec![(
            "realm.yaml".to_owned(),
            "name: r\ngovernance: {}\n".to_owned(),
        )];
        for i in 0..n {
            let name = format!("d{i:03}");
            files.push((
                format!("domains/{name}/domain.yaml"),
                format!("name: {name}\n"),
            ));
            files.push((
                format!("domains/{name}/exports.yaml"),
                "exports:\n- {name: e, version: 1.1.0, value: [x]}\n".to_owned(),
            ));
            let mut imports = String::from("imports:\n");
            for step in [5, 2, 11] {
                if (i + step) % 4 == 0 {
                    continue;
                }
                let from = format!("d{:03}", (i * 7 + step) % n);
                let (version, resolved) = match (i + step) % 3 {
                    0 => ("^1", "1.1.0"),
                    1 => ("^1", "1.0.0"),
                    _ => ("^2", "1.0.0"),
                };
                imports += &format!(
                    "- {{contract: e, from: {from}, version: '{version}', resolved_version: {resolved}}}\n"
                );
            }
            if i % 9 == 0 {
                imports += "- {contract: e, from: gone, version: '^1'}\n";
            }
            if i % 7 == 3 {
                imports = "imports: [unclosed\n".to_owned();
            }
            if i % 10 != 1 {
                files.push((format!("domains/{name}/imports.yaml"), imports));
            }
        }
        Snapshot::load(&Files(files.into_iter().collect()), "r").expect("a realm")
    }

    #[test]
    fn drawn_as_the_scans_drew_it() {
        let snapshot = realm(60);
        assert!(!snapshot.broken.is_empty());
        let today = "2026-01-25";
        let (domains, edges) = domains_and_edges(&snapshot, today);
        assert!(domains.iter().any(|d| d == "gone"));
        assert!(edges.iter().any(|e| e.status == ImportStatus::Stale));
        assert!(edges.iter().any(|e| e.status == ImportStatus::Broken));
        assert_eq!(domains, scanned_domains_and_edges(&snapshot, today).0);
        for format in [GraphFormat::Text, GraphFormat::Mermaid, GraphFormat::Dot] {
            let report = |(domains, edges)| GraphReport {
                realm: "r".to_owned(),
                realm_commit: "0".repeat(40),
                domains,
                edges,
                broken_domains: status::broken_domains(&snapshot),
                format,
            };
            let mut drawn = Vec::new();
            report(domains_and_edges(&snapshot, today))
                .human(&mut drawn)
                .expect("drawn");
            let expected = scanned(&report(scanned_domains_and_edges(&snapshot, today)));
            assert_eq!(
                String::from_utf8(drawn).expect("utf-8"),
                expected,
                "{format:?}"
            );
        }
    }
}
