//! The cache's encoding of one parsed domain: its fields in order, lengths as 4-byte
//! little-endian numbers. Reading it back builds the values directly, with no text to scan
//! and no field names to match, which is most of what a large realm costs to load.
//!
//! Every struct is taken apart and put together naming each field, so a field added to the
//! model fails to compile here until the encoding says it. A value that cannot be said (a
//! tagged YAML value) makes [`encode`] answer `None`: that domain is parsed each time.

use serde_json::Value as Json;
use serde_yaml::{Mapping, Value as Yaml};

use crate::realm::model::{
    ChangelogEntry, DomainFile, Export, ExportsFile, Import, ImportStatus, ImportsFile,
};
use crate::realm::snapshot::{DomainLoad, DomainState};

/// `load` encoded and appended to `out`, or `None` (and `out` as it was) when it holds what
/// the encoding cannot say.
pub(super) fn encode(load: &DomainLoad, out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    let done = Writer(out).load(load);
    if done.is_none() {
        out.truncate(start);
    }
    done
}

/// The domain `bytes` encode, or `None` unless they are exactly one encoded domain.
pub(super) fn decode(bytes: &[u8]) -> Option<DomainLoad> {
    decode_as(bytes, true)
}

/// [`decode`], a domain as a [`DomainLoad::Skeleton`] unless `whole`: what its exports do
/// not keep (see [`skeleton`](crate::realm::snapshot::skeleton)) is stepped over, not built.
pub(super) fn decode_as(bytes: &[u8], whole: bool) -> Option<DomainLoad> {
    let mut reader = Reader(bytes, whole);
    let load = reader.load()?;
    reader.0.is_empty().then_some(load)
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn len(&mut self, n: usize) -> Option<()> {
        self.0
            .extend_from_slice(&u32::try_from(n).ok()?.to_le_bytes());
        Some(())
    }

    fn u64(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn str(&mut self, s: &str) -> Option<()> {
        self.len(s.len())?;
        self.0.extend_from_slice(s.as_bytes());
        Some(())
    }

    fn opt_str(&mut self, s: &Option<String>) -> Option<()> {
        match s {
            None => self.byte(0),
            Some(s) => {
                self.byte(1);
                self.str(s)?;
            }
        }
        Some(())
    }

    fn strs(&mut self, v: &[String]) -> Option<()> {
        self.len(v.len())?;
        v.iter().try_for_each(|s| self.str(s))
    }

    fn load(&mut self, load: &DomainLoad) -> Option<()> {
        match load {
            DomainLoad::Loaded(state) => {
                self.byte(0);
                let DomainState {
                    domain,
                    exports,
                    imports,
                } = &**state;
                self.domain(domain)?;
                self.exports(exports)?;
                self.imports(imports)
            }
            // A skeleton is never kept.
            DomainLoad::Skeleton(_) => None?,
            DomainLoad::Absent => {
                self.byte(1);
                Some(())
            }
            DomainLoad::Broken(why) => {
                self.byte(2);
                self.str(why)
            }
        }
    }

    fn domain(&mut self, domain: &DomainFile) -> Option<()> {
        let DomainFile {
            name,
            repo_path,
            repo_url,
            maintainers,
            joined_at,
            signing_keys,
            extra,
        } = domain;
        self.str(name)?;
        self.opt_str(repo_path)?;
        self.opt_str(repo_url)?;
        self.strs(maintainers)?;
        self.opt_str(joined_at)?;
        self.strs(signing_keys)?;
        self.mapping(extra)
    }

    fn exports(&mut self, file: &ExportsFile) -> Option<()> {
        let ExportsFile { exports, extra } = file;
        self.len(exports.len())?;
        for export in exports {
            let Export {
                name,
                version,
                description,
                schema,
                value,
                changelog,
                effective_from,
                extra,
            } = export;
            self.str(name)?;
            self.str(version)?;
            self.opt_str(description)?;
            match schema {
                None => self.byte(0),
                Some(schema) => {
                    self.byte(1);
                    self.json(schema)?;
                }
            }
            self.json(value)?;
            self.len(changelog.len())?;
            for entry in changelog {
                let ChangelogEntry {
                    version,
                    date,
                    changes,
                    extra,
                } = entry;
                self.str(version)?;
                self.str(date)?;
                self.strs(changes)?;
                self.mapping(extra)?;
            }
            self.opt_str(effective_from)?;
            self.mapping(extra)?;
        }
        self.mapping(extra)
    }

    fn imports(&mut self, file: &ImportsFile) -> Option<()> {
        let ImportsFile { imports, extra } = file;
        self.len(imports.len())?;
        for import in imports {
            let Import {
                contract,
                from,
                realm,
                realm_url,
                version,
                binding,
                status,
                resolved_version,
                resolved_at,
                binding_blob,
                verified,
                ungranted,
                extra,
            } = import;
            self.str(contract)?;
            self.str(from)?;
            self.opt_str(realm)?;
            self.opt_str(realm_url)?;
            self.str(version)?;
            self.opt_str(binding)?;
            self.byte(match status {
                ImportStatus::Current => 0,
                ImportStatus::Stale => 1,
                ImportStatus::Broken => 2,
                ImportStatus::Ungranted => 3,
            });
            self.opt_str(resolved_version)?;
            self.opt_str(resolved_at)?;
            self.opt_str(binding_blob)?;
            self.byte(match verified {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            });
            self.strs(ungranted)?;
            self.mapping(extra)?;
        }
        self.mapping(extra)
    }

    fn json(&mut self, value: &Json) -> Option<()> {
        match value {
            Json::Null => self.byte(0),
            Json::Bool(false) => self.byte(1),
            Json::Bool(true) => self.byte(2),
            Json::Number(n) => {
                if let Some(n) = n.as_u64() {
                    self.byte(3);
                    self.u64(n);
                } else if let Some(n) = n.as_i64() {
                    self.byte(4);
                    self.u64(n as u64);
                } else {
                    self.byte(5);
                    self.u64(n.as_f64()?.to_bits());
                }
            }
            Json::String(s) => {
                self.byte(6);
                self.str(s)?;
            }
            Json::Array(items) => {
                self.byte(7);
                self.len(items.len())?;
                items.iter().try_for_each(|item| self.json(item))?;
            }
            Json::Object(map) => {
                self.byte(8);
                self.len(map.len())?;
                for (key, value) in map {
                    self.str(key)?;
                    self.json(value)?;
                }
            }
        }
        Some(())
    }

    fn mapping(&mut self, map: &Mapping) -> Option<()> {
        self.len(map.len())?;
        for (key, value) in map {
            self.yaml(key)?;
            self.yaml(value)?;
        }
        Some(())
    }

    fn yaml(&mut self, value: &Yaml) -> Option<()> {
        match value {
            Yaml::Null => self.byte(0),
            Yaml::Bool(false) => self.byte(1),
            Yaml::Bool(true) => self.byte(2),
            Yaml::Number(n) => {
                if let Some(n) = n.as_u64() {
                    self.byte(3);
                    self.u64(n);
                } else if let Some(n) = n.as_i64() {
                    self.byte(4);
                    self.u64(n as u64);
                } else {
                    self.byte(5);
                    self.u64(n.as_f64()?.to_bits());
                }
            }
            Yaml::String(s) => {
                self.byte(6);
                self.str(s)?;
            }
            Yaml::Sequence(items) => {
                self.byte(7);
                self.len(items.len())?;
                items.iter().try_for_each(|item| self.yaml(item))?;
            }
            Yaml::Mapping(map) => {
                self.byte(8);
                self.mapping(map)?;
            }
            Yaml::Tagged(_) => return None,
        }
        Some(())
    }
}

/// The bytes left, and whether domains are built whole rather than as skeletons.
struct Reader<'a>(&'a [u8], bool);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }

    fn len(&mut self) -> Option<usize> {
        let n = u32::from_le_bytes(self.bytes(4)?.try_into().ok()?);
        usize::try_from(n).ok()
    }

    /// A count of items, each at least one byte long: never more than the bytes left, so a
    /// damaged count cannot ask for a huge allocation.
    fn count(&mut self) -> Option<usize> {
        let n = self.len()?;
        (n <= self.0.len()).then_some(n)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }

    fn str(&mut self) -> Option<String> {
        let n = self.len()?;
        Some(std::str::from_utf8(self.bytes(n)?).ok()?.to_owned())
    }

    fn opt_str(&mut self) -> Option<Option<String>> {
        match self.byte()? {
            0 => Some(None),
            1 => Some(Some(self.str()?)),
            _ => None,
        }
    }

    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(item(self)?);
        }
        Some(out)
    }

    fn strs(&mut self) -> Option<Vec<String>> {
        self.list(Self::str)
    }

    /// Step over `n` items, each as `item` reads it.
    fn skip_n(&mut self, n: usize, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        (0..n).try_for_each(|_| item(self))
    }

    fn skip_str(&mut self) -> Option<()> {
        let n = self.len()?;
        std::str::from_utf8(self.bytes(n)?).ok()?;
        Some(())
    }

    fn skip_strs(&mut self) -> Option<()> {
        let n = self.count()?;
        self.skip_n(n, Self::skip_str)
    }

    fn load(&mut self) -> Option<DomainLoad> {
        Some(match self.byte()? {
            0 => {
                let state = Box::new(DomainState {
                    domain: self.domain()?,
                    exports: self.exports()?,
                    imports: self.imports()?,
                });
                if self.1 {
                    DomainLoad::Loaded(state)
                } else {
                    DomainLoad::Skeleton(state)
                }
            }
            1 => DomainLoad::Absent,
            2 => DomainLoad::Broken(self.str()?),
            _ => return None,
        })
    }

    fn domain(&mut self) -> Option<DomainFile> {
        Some(DomainFile {
            name: self.str()?,
            repo_path: self.opt_str()?,
            repo_url: self.opt_str()?,
            maintainers: self.strs()?,
            joined_at: self.opt_str()?,
            signing_keys: self.strs()?,
            extra: self.mapping()?,
        })
    }

    fn exports(&mut self) -> Option<ExportsFile> {
        Some(ExportsFile {
            exports: self.list(Self::export)?,
            extra: self.mapping()?,
        })
    }

    fn export(&mut self) -> Option<Export> {
        if !self.1 {
            return self.skeleton_export();
        }
        Some(Export {
            name: self.str()?,
            version: self.str()?,
            description: self.opt_str()?,
            schema: match self.byte()? {
                0 => None,
                1 => Some(self.json()?),
                _ => return None,
            },
            value: self.json()?,
            changelog: self.changelog()?,
            effective_from: self.opt_str()?,
            extra: self.mapping()?,
        })
    }

    fn changelog(&mut self) -> Option<Vec<ChangelogEntry>> {
        self.list(|r| {
            Some(ChangelogEntry {
                version: r.str()?,
                date: r.str()?,
                changes: r.strs()?,
                extra: r.mapping()?,
            })
        })
    }

    /// An export as [`skeleton`](crate::realm::snapshot::skeleton) leaves it, what it drops
    /// stepped over: the same as decoding it whole and then reducing it.
    fn skeleton_export(&mut self) -> Option<Export> {
        let name = self.str()?;
        let version = self.str()?;
        match self.byte()? {
            0 => {}
            1 => self.skip_str()?,
            _ => return None,
        }
        let schema = match self.byte()? {
            0 => None,
            1 => Some(self.json()?),
            _ => return None,
        };
        let value = match schema {
            Some(_) => self.json()?,
            None => {
                self.skip_json()?;
                Json::Null
            }
        };
        // The changelog comes before `effective_from`, which says whether it is kept.
        let changelog_at = self.0;
        let n = self.count()?;
        self.skip_n(n, |r| {
            r.skip_str()?;
            r.skip_str()?;
            r.skip_strs()?;
            r.skip_mapping()
        })?;
        let effective_from = self.opt_str()?;
        let changelog = match effective_from {
            Some(_) => Reader(changelog_at, true).changelog()?,
            None => Vec::new(),
        };
        Some(Export {
            name,
            version,
            description: None,
            schema,
            value,
            changelog,
            effective_from,
            extra: self.mapping()?,
        })
    }

    fn imports(&mut self) -> Option<ImportsFile> {
        Some(ImportsFile {
            imports: self.list(Self::import)?,
            extra: self.mapping()?,
        })
    }

    fn import(&mut self) -> Option<Import> {
        Some(Import {
            contract: self.str()?,
            from: self.str()?,
            realm: self.opt_str()?,
            realm_url: self.opt_str()?,
            version: self.str()?,
            binding: self.opt_str()?,
            status: match self.byte()? {
                0 => ImportStatus::Current,
                1 => ImportStatus::Stale,
                2 => ImportStatus::Broken,
                3 => ImportStatus::Ungranted,
                _ => return None,
            },
            resolved_version: self.opt_str()?,
            resolved_at: self.opt_str()?,
            binding_blob: self.opt_str()?,
            verified: match self.byte()? {
                0 => None,
                1 => Some(false),
                2 => Some(true),
                _ => return None,
            },
            ungranted: self.strs()?,
            extra: self.mapping()?,
        })
    }

    fn json(&mut self) -> Option<Json> {
        Some(match self.byte()? {
            0 => Json::Null,
            1 => Json::Bool(false),
            2 => Json::Bool(true),
            3 => Json::from(self.u64()?),
            4 => Json::from(self.u64()? as i64),
            5 => Json::Number(serde_json::Number::from_f64(f64::from_bits(self.u64()?))?),
            6 => Json::String(self.str()?),
            7 => Json::Array(self.list(Self::json)?),
            8 => {
                let n = self.count()?;
                let mut map = serde_json::Map::with_capacity(n);
                for _ in 0..n {
                    let key = self.str()?;
                    map.insert(key, self.json()?);
                }
                Json::Object(map)
            }
            _ => return None,
        })
    }

    fn skip_json(&mut self) -> Option<()> {
        match self.byte()? {
            0..=2 => {}
            3..=5 => {
                self.u64()?;
            }
            6 => self.skip_str()?,
            7 => {
                let n = self.count()?;
                self.skip_n(n, Self::skip_json)?;
            }
            8 => {
                let n = self.count()?;
                self.skip_n(n, |r| {
                    r.skip_str()?;
                    r.skip_json()
                })?;
            }
            _ => return None,
        }
        Some(())
    }

    fn skip_mapping(&mut self) -> Option<()> {
        let n = self.count()?;
        self.skip_n(n, |r| {
            r.skip_yaml()?;
            r.skip_yaml()
        })
    }

    fn skip_yaml(&mut self) -> Option<()> {
        match self.byte()? {
            0..=2 => {}
            3..=5 => {
                self.u64()?;
            }
            6 => self.skip_str()?,
            7 => {
                let n = self.count()?;
                self.skip_n(n, Self::skip_yaml)?;
            }
            8 => self.skip_mapping()?,
            _ => return None,
        }
        Some(())
    }

    fn mapping(&mut self) -> Option<Mapping> {
        let n = self.count()?;
        let mut map = Mapping::with_capacity(n);
        for _ in 0..n {
            let key = self.yaml()?;
            map.insert(key, self.yaml()?);
        }
        Some(map)
    }

    fn yaml(&mut self) -> Option<Yaml> {
        Some(match self.byte()? {
            0 => Yaml::Null,
            1 => Yaml::Bool(false),
            2 => Yaml::Bool(true),
            3 => Yaml::from(self.u64()?),
            4 => Yaml::from(self.u64()? as i64),
            5 => Yaml::from(f64::from_bits(self.u64()?)),
            6 => Yaml::String(self.str()?),
            7 => Yaml::Sequence(self.list(Self::yaml)?),
            8 => Yaml::Mapping(self.mapping()?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::snapshot::skeleton;

    fn yaml<T: serde::de::DeserializeOwned>(text: &str) -> T {
        serde_yaml::from_str(text).unwrap()
    }

    /// Every field and every kind of value reads back as it was, and what the encoding
    /// cannot say, or bytes that are not one encoded domain, give nothing.
    #[test]
    fn domains_read_back_as_they_were() {
        let state = DomainState {
            domain: yaml(
                "name: a\nrepo_path: /r/a\nrepo_url: https://h/a.git\nmaintainers: [a@x, b@y]\n\
                 joined_at: 2026-01-24T10:00:00Z\nsigning_keys: [a@x ssh-ed25519 AAAA]\n\
                 floor: .nan\nplan: {7: seven, -3: [1.5, -2, true, null, ~]}\nforge: gitlab\n",
            ),
            exports: yaml(
                "exports:\n- name: e\n  version: 1.2.0\n  description: d\n\
                 \x20 schema: {type: object, properties: {n: {type: number}}}\n\
                 \x20 value: {read: [x/*], n: -4, f: 2.5, big: 18446744073709551615, no: null, t: false}\n\
                 \x20 changelog: [{version: 1.2.0, date: 2026-01-24, changes: [one, two], who: me}]\n\
                 \x20 effective_from: 2026-02-01\n  note: kept\n- name: f\n  version: 1.0.0\n\
                 \x20 description: gone\n  value: [{x: [1, -2, 2.5, null, true]}]\n\
                 \x20 changelog: [{version: 1.0.0, date: 2026-01-01, changes: [c], extra: {k: [v]}}]\n\
                 top: level\n",
            ),
            imports: yaml(
                "imports:\n- contract: e\n  from: b\n  version: ^1\n  binding: p.py\n  status: ungranted\n\
                 \x20 resolved_version: 1.0.0\n  resolved_at: now\n  binding_blob: abc\n  verified: false\n\
                 \x20 ungranted: [z/*]\n  extra: {k: v}\n- contract: f\n  from: c\n  version: '>=1'\n  verified: true\n",
            ),
        };
        for load in [
            DomainLoad::Loaded(Box::new(state.clone())),
            DomainLoad::Absent,
            DomainLoad::Broken("domains/b/x.yaml: invalid".into()),
        ] {
            let mut bytes = vec![9];
            encode(&load, &mut bytes).unwrap();
            assert_eq!(decode(&bytes[1..]), Some(load.clone()));
            // A skeleton is the whole domain reduced, stepped over what it drops.
            let skeleton = match load.clone() {
                DomainLoad::Loaded(mut state) => {
                    state.exports.exports.iter_mut().for_each(skeleton);
                    DomainLoad::Skeleton(state)
                }
                other => other,
            };
            assert_eq!(decode_as(&bytes[1..], false), Some(skeleton));
            assert_eq!(decode_as(&bytes[1..bytes.len() - 1], false), None);
            assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
            bytes.push(0);
            assert_eq!(decode(&bytes[1..]), None);
        }
        let mut tagged = state;
        tagged.domain.extra = yaml("odd: !thing 1\n");
        let mut bytes = vec![9];
        assert!(encode(&DomainLoad::Skeleton(Box::new(tagged.clone())), &mut bytes).is_none());
        assert!(encode(&DomainLoad::Loaded(Box::new(tagged)), &mut bytes).is_none());
        assert_eq!(bytes, [9]);
        assert_eq!(decode(b"\x00\xff\xff\xff\xff"), None);
    }
}
