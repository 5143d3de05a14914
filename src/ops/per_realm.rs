//! Reading commands in a repository that belongs to several realms: one report per realm.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::member::{self, Member};
use crate::output::Report;

/// A command's report for the one realm it acted on (printed as it always was), or one
/// report per realm, in the order `.realm/config.yaml` lists them (JSON: `{"realms": [...]}`).
#[derive(Serialize)]
#[serde(untagged)]
pub enum PerRealm<R> {
    One(R),
    Several { realms: Vec<Named<R>> },
}

/// One realm's report in a [`PerRealm`]: the report's own fields, headed in the human form by
/// the realm's name.
#[derive(Serialize)]
pub struct Named<R> {
    #[serde(skip)]
    pub realm: String,
    #[serde(flatten)]
    pub report: R,
}

impl<R> PerRealm<R> {
    /// One form or the other, by how many realms there are; `None` for none.
    pub fn collect(reports: Vec<(String, R)>) -> Option<Self> {
        let mut reports = reports.into_iter().peekable();
        let (realm, report) = reports.next()?;
        if reports.peek().is_none() {
            return Some(PerRealm::One(report));
        }
        let mut realms = vec![Named { realm, report }];
        realms.extend(reports.map(|(realm, report)| Named { realm, report }));
        Some(PerRealm::Several { realms })
    }

    /// The reports, whichever the form.
    pub fn reports(&self) -> Vec<&R> {
        match self {
            PerRealm::One(report) => vec![report],
            PerRealm::Several { realms } => realms.iter().map(|n| &n.report).collect(),
        }
    }
}

impl<R: Report> Report for PerRealm<R> {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match self {
            PerRealm::One(report) => report.human(out),
            // A realm whose report says nothing (a hook's clean check) gets no section.
            PerRealm::Several { realms } => {
                let mut first = true;
                for named in realms {
                    let mut text = Vec::new();
                    named.report.human(&mut text)?;
                    if text.is_empty() {
                        continue;
                    }
                    if !first {
                        writeln!(out)?;
                    }
                    first = false;
                    writeln!(out, "── realm {} ──", named.realm)?;
                    out.write_all(&text)?;
                }
                Ok(())
            }
        }
    }
}

/// Run `one` for each realm `realm` selects (all of the repository's when `None`); the
/// outcome is findings when any realm's is.
pub fn each_realm<R>(
    ctx: &Context,
    realm: Option<&str>,
    mut one: impl FnMut(Member) -> Result<(R, Outcome)>,
) -> Result<(PerRealm<R>, Outcome)> {
    let mut outcome = Outcome::Clean;
    let mut reports = Vec::new();
    for member in member::load_all(ctx, realm)? {
        let name = member.config.realm.name.clone();
        let (report, found) = one(member)?;
        if found == Outcome::Findings {
            outcome = Outcome::Findings;
        }
        reports.push((name, report));
    }
    let reports = PerRealm::collect(reports).expect("a member has at least one realm");
    Ok((reports, outcome))
}
