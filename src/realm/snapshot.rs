//! A realm as of one commit: every file parsed, nothing written.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::BadInput;
use crate::realm::model::{DomainFile, Export, ExportsFile, ImportsFile, RealmFile};
use crate::realm::{names, yaml};

/// Where a snapshot's files come from (a tree in the object database, in practice).
pub trait RealmSource {
    /// The bytes of the file at `path`, or `None` when there is none.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;
    /// The names of the directories directly under `dir`.
    fn subdirs(&self, dir: &str) -> Result<Vec<String>>;
    /// The names of the files directly under `dir`.
    fn files(&self, dir: &str) -> Result<Vec<String>>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub realm: RealmFile,
    pub domains: BTreeMap<String, DomainState>,
    /// Shared schemas by contract name (`contracts/<name>.schema.yaml`).
    pub contracts: BTreeMap<String, Value>,
    /// Domains whose files cannot be used, with why; every other domain works without them.
    pub broken: BTreeMap<String, String>,
    /// The CODEOWNERS lines of the broken domains, kept as they are when it is rewritten.
    pub broken_owners: BTreeMap<String, String>,
    /// The domains in `domains` loaded as skeletons (see [`Scope`]): their exports hold only
    /// what the status of an import of them depends on. [`Snapshot::export`] refuses them.
    pub skeletons: BTreeSet<String>,
}

/// How much of each domain a command reads. Every domain's file and imports are always
/// whole; a skeleton's exports keep what the status of an import of them depends on (see
/// [`skeleton`]): name, version and `effective_from`, the changelog only while a breaking
/// change is announced, the value only with a schema to validate it. A skeleton comes from
/// the cache only: a domain parsed now is whole, so a cold run and a cached one can be
/// compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every domain whole.
    Whole,
    /// `domain` and the domains its imports name whole; the others as skeletons: what
    /// `status` and `check` of `domain` read (its exports, what it imports, its consumers).
    Around(&'a str),
    /// Every domain as a skeleton: what the realm's graph of imports reads.
    Edges,
}

/// `export` reduced to what the status of an import of it depends on (see [`Scope`]); what a
/// skeleton decoded from the cache holds.
pub fn skeleton(export: &mut Export) {
    export.description = None;
    if export.schema.is_none() {
        export.value = Value::Null;
    }
    if export.effective_from.is_none() {
        export.changelog = Vec::new();
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainState {
    pub domain: DomainFile,
    pub exports: ExportsFile,
    pub imports: ImportsFile,
}

/// What one directory under `domains/` yields: a domain, nothing (no domain.yaml), or why
/// its files cannot be used. It follows from that directory's files alone, so it can be kept
/// between runs, keyed by the directory's tree id (see [`DomainCache`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DomainLoad {
    Loaded(Box<DomainState>),
    /// A domain whose exports are reduced by [`skeleton`]: never kept, only taken from a cache
    /// asked for one.
    Skeleton(Box<DomainState>),
    Absent,
    Broken(String),
}

/// Domains parsed by an earlier run. `get` answers only for a directory whose files are the
/// same as when it was kept, with a [`DomainLoad::Skeleton`] rather than a whole domain when
/// not `whole` (or the whole one); `keep` is handed what a parse of the files gave.
pub trait DomainCache {
    fn get(&mut self, domain: &str, whole: bool) -> Option<DomainLoad>;
    fn keep(&mut self, domain: &str, load: &DomainLoad);
    /// Whether `get` would answer for `domain`, keeping its record as if it had: what
    /// [`warm`] asks, so that it decodes nothing.
    fn holds(&mut self, domain: &str) -> bool {
        self.get(domain, false).is_some()
    }
}

/// Parse into `cache` the domains of `source` it does not hold yet, decoding none that it
/// does: what a fetch does so that the next command finds the realm parsed. Nothing is
/// returned, so nothing can read the domains it skipped; whatever is wrong with the realm,
/// the command that loads it says.
pub fn warm(source: &dyn RealmSource, cache: &mut dyn DomainCache) -> Result<()> {
    for name in source.subdirs("domains")? {
        if !cache.holds(&name) {
            load_one(source, cache, &name, true);
        }
    }
    Ok(())
}

/// No cache: every domain is parsed.
pub struct NoCache;

impl DomainCache for NoCache {
    fn get(&mut self, _: &str, _: bool) -> Option<DomainLoad> {
        None
    }
    fn keep(&mut self, _: &str, _: &DomainLoad) {}
}

pub fn domain_dir(domain: &str) -> String {
    format!("domains/{domain}")
}

pub fn domain_file(domain: &str) -> String {
    format!("domains/{domain}/domain.yaml")
}

pub fn exports_file(domain: &str) -> String {
    format!("domains/{domain}/exports.yaml")
}

pub fn imports_file(domain: &str) -> String {
    format!("domains/{domain}/imports.yaml")
}

impl Snapshot {
    /// Parse the realm held by `source`; `origin` names the realm in errors.
    ///
    /// Every file is checked here, once, as data written by someone else: names follow the
    /// name rule, versions are semver, bindings stay inside their repository. A command
    /// never sees a snapshot that breaks these rules.
    pub fn load(source: &dyn RealmSource, origin: &str) -> Result<Snapshot> {
        Self::load_cached(source, origin, &mut NoCache)
    }

    /// [`Snapshot::load`], taking from `cache` the domains an earlier run parsed from the same
    /// files, and handing it the ones parsed now. The result is the same with any cache.
    pub fn load_cached(
        source: &dyn RealmSource,
        origin: &str,
        cache: &mut dyn DomainCache,
    ) -> Result<Snapshot> {
        Self::load_scoped(source, origin, cache, Scope::Whole)
    }

    /// [`Snapshot::load_cached`], the domains `scope` does not need whole taken from `cache`
    /// as skeletons. What the commands of `scope` read is the same as from a whole load.
    pub fn load_scoped(
        source: &dyn RealmSource,
        origin: &str,
        cache: &mut dyn DomainCache,
        scope: Scope,
    ) -> Result<Snapshot> {
        let realm_bytes = source.read("realm.yaml")?.ok_or_else(|| {
            BadInput::new(
                format!("`{origin}` is not a realm: it has no realm.yaml"),
                "create a realm with 'git realm init --name NAME', or check the path",
            )
        })?;
        let realm: RealmFile = yaml::from_slice("realm.yaml", &realm_bytes)?;
        check_realm(&realm)?;

        let mut domains = BTreeMap::new();
        let mut broken = BTreeMap::new();
        let mut skeletons = BTreeSet::new();
        let subdirs = source.subdirs("domains")?;
        // The domain a command is about is loaded first: its imports name the others it needs.
        let mut center = None;
        let whole: Option<BTreeSet<String>> = match scope {
            Scope::Whole => None,
            Scope::Edges => Some(BTreeSet::new()),
            Scope::Around(domain) => {
                let mut needed = BTreeSet::from([domain.to_owned()]);
                if subdirs.iter().any(|d| d == domain) {
                    let load = load_one(source, cache, domain, true);
                    if let DomainLoad::Loaded(state) = &load {
                        needed.extend(state.imports.imports.iter().map(|i| i.from.clone()));
                    }
                    center = Some(load);
                }
                Some(needed)
            }
        };
        for name in subdirs {
            let load = match center.take_if(|_| scope == Scope::Around(&name)) {
                Some(load) => load,
                None => {
                    let is_whole = whole.as_ref().is_none_or(|w| w.contains(&name));
                    load_one(source, cache, &name, is_whole)
                }
            };
            match load {
                DomainLoad::Loaded(state) => {
                    domains.insert(name, *state);
                }
                DomainLoad::Skeleton(state) => {
                    skeletons.insert(name.clone());
                    domains.insert(name, *state);
                }
                DomainLoad::Absent => {}
                DomainLoad::Broken(why) => {
                    broken.insert(name, why);
                }
            }
        }

        let mut broken_owners = BTreeMap::new();
        if !broken.is_empty()
            && let Ok(Some(bytes)) = source.read(".github/CODEOWNERS")
        {
            for line in String::from_utf8_lossy(&bytes).lines() {
                for domain in broken.keys() {
                    if line.starts_with(&format!("/domains/{domain}/ ")) {
                        let kept: &mut String = broken_owners.entry(domain.clone()).or_default();
                        kept.push_str(line);
                        kept.push('\n');
                    }
                }
            }
        }

        let mut contracts = BTreeMap::new();
        for file in source.files("contracts")? {
            let Some(name) = file.strip_suffix(".schema.yaml") else {
                continue;
            };
            let path = format!("contracts/{file}");
            names::check("contract", name).map_err(|e| in_file(&path, e))?;
            if let Some(bytes) = source.read(&path)? {
                contracts.insert(name.to_owned(), yaml::from_slice(&path, &bytes)?);
            }
        }
        Ok(Snapshot {
            realm,
            domains,
            contracts,
            broken,
            broken_owners,
            skeletons,
        })
    }

    pub fn domain(&self, name: &str) -> Option<&DomainState> {
        self.domains.get(name)
    }

    /// The export `domain/export`, whole.
    ///
    /// # Panics
    /// When `domain` was loaded as a skeleton: a command that reads a value, a changelog or a
    /// description of a domain must load it whole (see [`Scope`]).
    pub fn export(&self, domain: &str, export: &str) -> Option<&Export> {
        assert!(
            !self.skeletons.contains(domain),
            "bug: the export `{domain}/{export}` is read whole, but `{domain}` was loaded as a skeleton"
        );
        self.domains
            .get(domain)?
            .exports
            .exports
            .iter()
            .find(|e| e.name == export)
    }

    /// Domains whose imports name `domain` (other than `domain` itself).
    pub fn consumers_of(&self, domain: &str, export: Option<&str>) -> Vec<&str> {
        self.domains
            .iter()
            .filter(|(name, _)| name.as_str() != domain)
            .filter(|(_, state)| {
                state
                    .imports
                    .imports
                    .iter()
                    .any(|i| i.from == domain && export.is_none_or(|e| e == i.contract))
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// `.github/CODEOWNERS` as it follows from the domains' maintainers and the approvers.
    pub fn codeowners(&self) -> String {
        let mut out = String::from(
            "# Kept in step by git-realm: each domain's directory is owned by its maintainers.\n",
        );
        let approvers = self.realm.governance.approvers.join(" ");
        if !approvers.is_empty() {
            out.push_str(&format!(
                "/realm.yaml {approvers}\n/contracts/ {approvers}\n"
            ));
        }
        let names: BTreeSet<&String> = self
            .domains
            .keys()
            .chain(self.broken_owners.keys())
            .collect();
        for name in names {
            if let Some(state) = self.domains.get(name) {
                if !state.domain.maintainers.is_empty() {
                    out.push_str(&format!(
                        "/domains/{name}/ {}\n",
                        state.domain.maintainers.join(" ")
                    ));
                }
            } else if let Some(kept) = self.broken_owners.get(name) {
                out.push_str(kept);
            }
        }
        out
    }
}

/// What the directory of domain `name` yields: from `cache` (a skeleton unless `whole`), or
/// parsed (whole), and then handed to `cache`.
fn load_one(
    source: &dyn RealmSource,
    cache: &mut dyn DomainCache,
    name: &str,
    whole: bool,
) -> DomainLoad {
    if let Some(load) = cache.get(name, whole) {
        return load;
    }
    // One domain's bad files make that domain broken, not the realm unreadable.
    let (load, kept) = match load_domain(source, name) {
        Ok(Some(state)) => (DomainLoad::Loaded(Box::new(state)), true),
        Ok(None) => (DomainLoad::Absent, true),
        // A failure to read git's objects says nothing about the files: it is not kept, so
        // the next run tries again.
        Err(e) => (
            DomainLoad::Broken(format!("{e:#}")),
            e.downcast_ref::<BadInput>().is_some(),
        ),
    };
    if kept {
        cache.keep(name, &load);
    }
    load
}

/// The domain `name`'s files, checked; `None` for a directory without domain.yaml.
fn load_domain(source: &dyn RealmSource, name: &str) -> Result<Option<DomainState>> {
    let path = domain_file(name);
    let Some(bytes) = source.read(&path)? else {
        return Ok(None);
    };
    names::check("domain", name).map_err(|e| in_file(&path, e))?;
    let domain: DomainFile = yaml::from_slice(&path, &bytes)?;
    if domain.name != name {
        return Err(untrusted(
            &path,
            name,
            format!(
                "names the domain `{}`, but it is in `{}/`",
                domain.name.escape_debug(),
                domain_dir(name)
            ),
        )
        .into());
    }
    if let Some(bad) = domain.maintainers.iter().find(|m| !is_owner(m)) {
        return Err(untrusted(
            &path,
            name,
            format!("invalid maintainer `{}`", bad.escape_debug()),
        )
        .into());
    }
    let exports: ExportsFile = match source.read(&exports_file(name))? {
        Some(bytes) => yaml::from_slice(&exports_file(name), &bytes)?,
        None => ExportsFile::default(),
    };
    check_exports(name, &exports)?;
    let imports: ImportsFile = match source.read(&imports_file(name))? {
        Some(bytes) => yaml::from_slice(&imports_file(name), &bytes)?,
        None => ImportsFile::default(),
    };
    check_imports(name, &imports)?;
    Ok(Some(DomainState {
        domain,
        exports,
        imports,
    }))
}

fn in_file(path: &str, e: BadInput) -> BadInput {
    BadInput {
        message: format!("{path}: {}", e.message),
        hint: e.hint,
    }
}

/// A broken file in `domain`'s directory: what is wrong, and whom to ask.
fn untrusted(path: &str, domain: &str, what: String) -> BadInput {
    BadInput::new(
        format!("{path}: {what}"),
        format!("ask the maintainers of domain `{domain}` to fix `{path}` in the realm"),
    )
}

fn check_realm(realm: &RealmFile) -> Result<(), BadInput> {
    names::check("realm", &realm.name).map_err(|e| in_file("realm.yaml", e))?;
    for invited in &realm.governance.invited {
        names::check("domain", invited).map_err(|e| in_file("realm.yaml", e))?;
    }
    if let Some(bad) = realm.governance.approvers.iter().find(|a| !is_owner(a)) {
        return Err(BadInput::new(
            format!("realm.yaml: invalid approver `{}`", bad.escape_debug()),
            "approvers are email addresses (or @org/team handles), one per entry",
        ));
    }
    Ok(())
}

/// An email or `@org/team` handle as CODEOWNERS takes it: one word. A maintainer written as
/// `a@x\n/realm.yaml @mallory` would add a line of its own to CODEOWNERS, owning realm.yaml.
fn is_owner(who: &str) -> bool {
    who.contains('@') && !who.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn check_exports(domain: &str, exports: &ExportsFile) -> Result<(), BadInput> {
    let path = exports_file(domain);
    let mut seen = BTreeSet::new();
    for export in &exports.exports {
        names::check("export", &export.name).map_err(|e| in_file(&path, e))?;
        if !seen.insert(export.name.as_str()) {
            return Err(untrusted(
                &path,
                domain,
                format!("export `{}` is declared twice", export.name),
            ));
        }
        let versions = std::iter::once(export.version.as_str())
            .chain(export.changelog.iter().map(|c| c.version.as_str()));
        for version in versions {
            if let Err(e) = semver::Version::parse(version) {
                return Err(untrusted(
                    &path,
                    domain,
                    format!(
                        "export `{}` has invalid version `{}`: {e}",
                        export.name,
                        version.escape_debug()
                    ),
                ));
            }
        }
        if let Some(date) = &export.effective_from
            && date.parse::<jiff::civil::Date>().is_err()
        {
            return Err(untrusted(
                &path,
                domain,
                format!(
                    "export `{}` has invalid `effective_from` date `{}`",
                    export.name,
                    date.escape_debug()
                ),
            ));
        }
    }
    Ok(())
}

fn check_imports(domain: &str, imports: &ImportsFile) -> Result<(), BadInput> {
    let path = imports_file(domain);
    let mut seen = BTreeSet::new();
    for import in &imports.imports {
        names::check("contract", &import.contract).map_err(|e| in_file(&path, e))?;
        names::check("domain", &import.from).map_err(|e| in_file(&path, e))?;
        let what = format!("import `{}/{}`", import.from, import.contract);
        if !seen.insert((import.from.as_str(), import.contract.as_str())) {
            return Err(untrusted(
                &path,
                domain,
                format!("{what} is declared twice"),
            ));
        }
        if let Err(e) = semver::VersionReq::parse(&import.version) {
            return Err(untrusted(
                &path,
                domain,
                format!(
                    "{what} has invalid version requirement `{}`: {e}",
                    import.version.escape_debug()
                ),
            ));
        }
        if let Some(resolved) = &import.resolved_version
            && let Err(e) = semver::Version::parse(resolved)
        {
            return Err(untrusted(
                &path,
                domain,
                format!(
                    "{what} has invalid resolved_version `{}`: {e}",
                    resolved.escape_debug()
                ),
            ));
        }
        if let Some(binding) = &import.binding
            && !names::is_safe_relative(binding)
        {
            return Err(untrusted(
                &path,
                domain,
                format!(
                    "{what} has binding `{}`, which is not a path inside a repository",
                    binding.escape_debug()
                ),
            ));
        }
    }
    Ok(())
}

/// An in-memory realm for unit tests.
#[cfg(test)]
pub mod memory {
    use super::*;

    #[derive(Clone)]
    pub struct Files(pub BTreeMap<String, String>);

    impl Files {
        /// A realm of `(path, text)` pairs.
        pub fn of(files: &[(&str, &str)]) -> Files {
            Files(
                files
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        }
    }

    impl RealmSource for Files {
        fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
            Ok(self.0.get(path).map(|s| s.as_bytes().to_vec()))
        }
        fn subdirs(&self, dir: &str) -> Result<Vec<String>> {
            let prefix = format!("{dir}/");
            let mut out: Vec<String> = self
                .0
                .keys()
                .filter_map(|k| {
                    k.strip_prefix(&prefix)?
                        .split_once('/')
                        .map(|(d, _)| d.to_owned())
                })
                .collect();
            out.dedup();
            Ok(out)
        }
        fn files(&self, dir: &str) -> Result<Vec<String>> {
            let prefix = format!("{dir}/");
            Ok(self
                .0
                .keys()
                .filter_map(|k| {
                    k.strip_prefix(&prefix)
                        .filter(|r| !r.contains('/'))
                        .map(str::to_owned)
                })
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::Files;
    use super::*;

    fn realm(files: &[(&str, &str)]) -> Files {
        Files::of(files)
    }

    #[test]
    fn loads_domains_and_names_bad_files() {
        let files = realm(&[
            (
                "realm.yaml",
                "name: r\ngovernance: {admission: open, approvers: [a@x]}\n",
            ),
            ("domains/a/domain.yaml", "name: a\nmaintainers: [a@x]\n"),
            (
                "domains/a/exports.yaml",
                "exports: [{name: e, version: 1.0.0, value: [1]}]\n",
            ),
            ("domains/b/domain.yaml", "name: b\n"),
            (
                "domains/b/imports.yaml",
                "imports: [{contract: e, from: a, version: ^1}]\n",
            ),
        ]);
        let snap = Snapshot::load(&files, "r").unwrap();
        assert_eq!(snap.consumers_of("a", Some("e")), ["b"]);
        assert!(snap.codeowners().contains("/domains/a/ a@x\n"));

        let mut broken = files.clone();
        broken
            .0
            .insert("domains/b/imports.yaml".into(), "imports: [".into());
        // Only domain b is broken: a still works, and b's consumers can say why.
        let snap = Snapshot::load(&broken, "r").unwrap();
        assert!(snap.domain("a").is_some() && snap.domain("b").is_none());
        assert!(
            snap.broken["b"].starts_with("domains/b/imports.yaml: invalid YAML"),
            "{:?}",
            snap.broken
        );
    }

    /// A cache keyed by each domain's files, counting the domains it was handed.
    struct Memo<'a> {
        files: &'a Files,
        kept: BTreeMap<(String, String), DomainLoad>,
        parsed: usize,
    }

    impl Memo<'_> {
        fn files_of(&self, domain: &str) -> String {
            let dir = format!("domains/{domain}/");
            let mut out = String::new();
            for (path, text) in self.files.0.range(dir.clone()..) {
                if !path.starts_with(&dir) {
                    break;
                }
                out.push_str(&format!("{path}\0{text}\0"));
            }
            out
        }
    }

    impl DomainCache for Memo<'_> {
        fn get(&mut self, domain: &str, _: bool) -> Option<DomainLoad> {
            let key = (domain.to_owned(), self.files_of(domain));
            self.kept.get(&key).cloned()
        }
        fn keep(&mut self, domain: &str, load: &DomainLoad) {
            self.parsed += 1;
            let key = (domain.to_owned(), self.files_of(domain));
            self.kept.insert(key, load.clone());
        }
    }

    /// What a scope loads whole: the domain and the ones it imports from, and no other; a
    /// skeleton's export is refused whole, and a domain parsed now is whole whatever the scope.
    #[test]
    fn scopes_load_what_they_need_whole() {
        let files = realm(&[
            ("realm.yaml", "name: r\ngovernance: {}\n"),
            ("domains/a/domain.yaml", "name: a\n"),
            (
                "domains/a/exports.yaml",
                "exports: [{name: e, version: 1.0.0, description: d, value: [x]}]\n",
            ),
            ("domains/b/domain.yaml", "name: b\n"),
            (
                "domains/b/imports.yaml",
                "imports: [{contract: e, from: a, version: ^1}]\n",
            ),
            ("domains/c/domain.yaml", "name: c\n"),
            (
                "domains/c/exports.yaml",
                "exports: [{name: e, version: 1.0.0, value: [y]}]\n",
            ),
        ]);
        /// [`Memo`] answering skeletons when asked for them.
        struct Reducing<'a>(Memo<'a>);
        impl DomainCache for Reducing<'_> {
            fn get(&mut self, domain: &str, whole: bool) -> Option<DomainLoad> {
                match self.0.get(domain, whole)? {
                    DomainLoad::Loaded(mut state) if !whole => {
                        state.exports.exports.iter_mut().for_each(skeleton);
                        Some(DomainLoad::Skeleton(state))
                    }
                    load => Some(load),
                }
            }
            fn keep(&mut self, domain: &str, load: &DomainLoad) {
                self.0.keep(domain, load);
            }
        }
        let mut cache = Reducing(Memo {
            files: &files,
            kept: BTreeMap::new(),
            parsed: 0,
        });
        let whole = Snapshot::load(&files, "r").unwrap();
        let cold = Snapshot::load_scoped(&files, "r", &mut cache, Scope::Edges).unwrap();
        assert_eq!(cold, whole);
        let mut skeletons = |scope| {
            let snapshot = Snapshot::load_scoped(&files, "r", &mut cache, scope).unwrap();
            assert_eq!(snapshot.domains.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
            snapshot.skeletons
        };
        assert_eq!(skeletons(Scope::Whole), BTreeSet::new());
        assert_eq!(skeletons(Scope::Around("b")), BTreeSet::from(["c".into()]));
        assert_eq!(
            skeletons(Scope::Around("c")),
            BTreeSet::from(["a".into(), "b".into()])
        );
        assert_eq!(
            skeletons(Scope::Edges),
            BTreeSet::from(["a".into(), "b".into(), "c".into()])
        );
        let around = Snapshot::load_scoped(&files, "r", &mut cache, Scope::Around("b")).unwrap();
        assert_eq!(around.export("a", "e"), whole.export("a", "e"));
        let refused = std::panic::catch_unwind(|| around.export("c", "e").cloned());
        assert!(refused.is_err());
    }

    /// A snapshot loaded with domains kept from earlier loads is the one a cold load gives,
    /// and a realm that changed by one domain parses that domain alone.
    #[test]
    fn cached_domains_load_as_cold_ones() {
        let mut files = realm(&[
            ("realm.yaml", "name: r\ngovernance: {approvers: [a@x]}\n"),
            (
                "domains/a/domain.yaml",
                "name: a\nmaintainers: [a@x]\nextra: {k: [1, 2.5]}\n",
            ),
            (
                "domains/a/exports.yaml",
                "exports: [{name: e, version: 1.0.0, value: {read: [x/*]}, note: kept}]\n",
            ),
            ("domains/b/domain.yaml", "name: b\n"),
            (
                "domains/b/imports.yaml",
                "imports: [{contract: e, from: a, version: ^1}]\n",
            ),
            ("domains/c/domain.yaml", "name: c\n"),
            (
                "domains/c/exports.yaml",
                "exports: [{name: E, version: 1.0.0}]\n",
            ),
            ("domains/empty/README", "no domain here\n"),
            (".github/CODEOWNERS", "/domains/c/ c@x\n"),
        ]);
        fn load(
            files: &Files,
            kept: &mut BTreeMap<(String, String), DomainLoad>,
        ) -> (Snapshot, usize) {
            let mut memo = Memo {
                files,
                kept: std::mem::take(kept),
                parsed: 0,
            };
            let snapshot = Snapshot::load_cached(files, "r", &mut memo).unwrap();
            *kept = memo.kept;
            (snapshot, memo.parsed)
        }
        let mut kept = BTreeMap::new();
        let cold = Snapshot::load(&files, "r").unwrap();
        assert_eq!(load(&files, &mut kept), (cold.clone(), 4));
        assert_eq!(load(&files, &mut kept), (cold, 0));
        assert!(matches!(
            kept.values().find(|l| matches!(l, DomainLoad::Broken(_))),
            Some(DomainLoad::Broken(why)) if why.contains("invalid export name `E`")
        ));

        files.0.insert(
            "domains/b/imports.yaml".into(),
            "imports: [{contract: e, from: a, version: ^2}]\n".into(),
        );
        let cold = Snapshot::load(&files, "r").unwrap();
        assert_eq!(load(&files, &mut kept), (cold, 1));
    }

    /// Realm files are written by other organisations: whatever they break is refused when
    /// the snapshot loads, naming the file, before any command acts on it.
    #[test]
    fn untrusted_content_is_refused_where_it_is() {
        let good = realm(&[
            ("realm.yaml", "name: r\ngovernance: {approvers: [a@x]}\n"),
            ("domains/a/domain.yaml", "name: a\n"),
            (
                "domains/a/exports.yaml",
                "exports: [{name: e, version: 1.0.0, value: [1]}]\n",
            ),
            ("domains/b/domain.yaml", "name: b\n"),
            (
                "domains/b/imports.yaml",
                "imports: [{contract: e, from: a, version: ^1, binding: cdk/x.py}]\n",
            ),
        ]);
        Snapshot::load(&good, "r").unwrap();
        let exports = |e: &str| ("domains/a/exports.yaml", format!("exports: [{e}]\n"));
        let imports = |i: &str| ("domains/b/imports.yaml", format!("imports: [{i}]\n"));
        let import = |extra: &str| format!("{{contract: e, from: a, version: ^1, {extra}}}");
        let cases = [
            (
                ("realm.yaml", "name: r\n".to_owned()),
                "realm.yaml: invalid YAML at line 1: missing field `governance`",
            ),
            (
                (
                    "realm.yaml",
                    "name: r\ngovernance: {invited: [X]}\n".to_owned(),
                ),
                "realm.yaml: invalid domain name `X`",
            ),
            (
                ("domains/a/domain.yaml", "name: b\n".to_owned()),
                "domains/a/domain.yaml: names the domain `b`, but it is in `domains/a/`",
            ),
            (
                ("domains/Evil/domain.yaml", "name: Evil\n".to_owned()),
                "domains/Evil/domain.yaml: invalid domain name `Evil`",
            ),
            (
                ("domains/..x/domain.yaml", "name: ..x\n".to_owned()),
                "invalid domain name `..x`",
            ),
            (
                exports("{name: e, version: 1.0.0}, {name: e, version: 2.0.0}"),
                "export `e` is declared twice",
            ),
            (
                exports("{name: E, version: 1.0.0}"),
                "invalid export name `E`",
            ),
            (
                exports("{name: e, version: one}"),
                "export `e` has invalid version `one`",
            ),
            (
                exports("{name: e, version: 1.0.0, changelog: [{version: v1, date: x}]}"),
                "export `e` has invalid version `v1`",
            ),
            (
                exports("{name: e, version: 2.0.0, effective_from: soon}"),
                "invalid `effective_from` date `soon`",
            ),
            (
                imports("{contract: e, from: ../a, version: ^1}"),
                "invalid domain name `../a`",
            ),
            (
                imports("{contract: \"e\\nf\", from: a, version: ^1}"),
                "invalid contract name `e\\nf`",
            ),
            (
                imports(&format!(
                    "{}, {}",
                    import("status: current"),
                    import("status: stale")
                )),
                "import `a/e` is declared twice",
            ),
            (
                imports("{contract: e, from: a, version: '>>1'}"),
                "import `a/e` has invalid version requirement `>>1`",
            ),
            (
                imports(&import("resolved_version: latest")),
                "invalid resolved_version `latest`",
            ),
            (
                imports(&import("binding: ../../etc/passwd")),
                "binding `../../etc/passwd`, which is not a path inside a repository",
            ),
            (
                imports(&import("binding: /etc/passwd")),
                "binding `/etc/passwd`",
            ),
            (
                imports(&import("binding: .git/config")),
                "binding `.git/config`",
            ),
            (
                imports(&import("binding: 'cdk\\x.py'")),
                "binding `cdk\\\\x.py`",
            ),
            (
                ("contracts/Bad.schema.yaml", "{}".to_owned()),
                "contracts/Bad.schema.yaml: invalid contract name `Bad`",
            ),
            (
                (
                    "domains/a/domain.yaml",
                    "name: a\nmaintainers: [\"a@x\\n/realm.yaml @m\"]\n".to_owned(),
                ),
                "domains/a/domain.yaml: invalid maintainer `a@x\\n/realm.yaml @m`",
            ),
            (
                (
                    "realm.yaml",
                    "name: r\ngovernance: {approvers: [a@x b@y]}\n".to_owned(),
                ),
                "realm.yaml: invalid approver `a@x b@y`",
            ),
        ];
        for ((path, text), expected) in cases {
            let mut files = good.clone();
            files.0.insert(path.to_owned(), text.clone());
            // A domain's bad file breaks that domain; a bad realm.yaml, the realm.
            let message = match Snapshot::load(&files, "r") {
                Err(err) => {
                    let bad = err.downcast_ref::<BadInput>().expect("bad input");
                    assert!(bad.hint.is_some(), "{}", bad.message);
                    assert!(!path.starts_with("domains/"), "{path}: {}", bad.message);
                    bad.message.clone()
                }
                Ok(snapshot) => {
                    assert!(path.starts_with("domains/"), "{path}: {text}");
                    assert_eq!(snapshot.broken.len(), 1, "{path}: {text}");
                    snapshot.broken.values().next().expect("one").clone()
                }
            };
            assert!(message.contains(expected), "{path}: {text}\n{message}");
        }
    }
}

/// A realm source with a change's edits laid over it: the realm as it would be after.
pub struct Overlay<'a> {
    pub base: &'a dyn RealmSource,
    pub edits: &'a BTreeMap<String, Option<Vec<u8>>>,
}

impl Overlay<'_> {
    fn removed(&self, path: &str) -> bool {
        self.edits.iter().any(|(edit, content)| {
            content.is_none()
                && (path == edit
                    || path
                        .strip_prefix(edit.as_str())
                        .is_some_and(|r| r.starts_with('/')))
        })
    }

    /// Entries directly under `dir` added by the edits: (name, is a directory).
    fn added(&self, dir: &str) -> Vec<(String, bool)> {
        let prefix = format!("{dir}/");
        self.edits
            .iter()
            .filter(|(_, content)| content.is_some())
            .filter_map(|(path, _)| path.strip_prefix(&prefix))
            .map(|rest| match rest.split_once('/') {
                Some((name, _)) => (name.to_owned(), true),
                None => (rest.to_owned(), false),
            })
            .collect()
    }

    fn children(&self, dir: &str, dirs: bool) -> Result<Vec<String>> {
        let base = if dirs {
            self.base.subdirs(dir)?
        } else {
            self.base.files(dir)?
        };
        let mut out: Vec<String> = base
            .into_iter()
            .filter(|n| !self.removed(&format!("{dir}/{n}")))
            .collect();
        out.extend(
            self.added(dir)
                .into_iter()
                .filter(|(_, is_dir)| *is_dir == dirs)
                .map(|(n, _)| n),
        );
        out.sort();
        out.dedup();
        Ok(out)
    }
}

impl RealmSource for Overlay<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match self.edits.get(path) {
            Some(content) => Ok(content.clone()),
            None if self.removed(path) => Ok(None),
            None => self.base.read(path),
        }
    }

    fn subdirs(&self, dir: &str) -> Result<Vec<String>> {
        self.children(dir, true)
    }

    fn files(&self, dir: &str) -> Result<Vec<String>> {
        self.children(dir, false)
    }
}
