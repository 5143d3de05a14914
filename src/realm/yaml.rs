//! Reading YAML written by others: size bound, alias bound, errors that name the file.

use serde::de::DeserializeOwned;

use crate::error::BadInput;

/// Realm and config files larger than this are refused unread.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Parse `text` as `T`; `origin` names the file in errors (its path in the realm or repo).
pub fn from_str<T: DeserializeOwned>(origin: &str, text: &str) -> Result<T, BadInput> {
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large(origin, text.len() as u64));
    }
    // Without an anchor (`&a`) there is no alias to expand.
    if text.contains('&') && !within_node_budget(text) {
        return Err(BadInput::new(
            format!(
                "{origin}: YAML aliases expand to more than {} values",
                node_budget(text)
            ),
            format!("write `{origin}` without anchors and aliases (`&a`, `*a`)"),
        ));
    }
    serde_yaml::from_str(text).map_err(|e| {
        let line = e
            .location()
            .map(|l| format!(" at line {}", l.line()))
            .unwrap_or_default();
        let detail = e.to_string();
        let detail = detail.split(" at line ").next().unwrap_or(&detail);
        BadInput::new(
            format!("{origin}: invalid YAML{line}: {detail}"),
            format!("fix `{origin}` so it follows the realm file format (RFC 0001)"),
        )
    })
}

/// How many values (scalars, sequences, mappings) `text` may hold once its aliases are
/// expanded: one per byte, which no file reaches without aliases (`{a,b}` is the densest
/// YAML, a value a byte), plus room for anchors used as intended. So an alias bomb costs no
/// more than the largest file written out in full.
fn node_budget(text: &str) -> usize {
    text.len() + 10_000
}

/// Whether `text`, with its aliases expanded, stays within [`node_budget`]: a walk that
/// builds nothing and stops as soon as the budget is spent. A syntax error is left for the
/// real parse to report.
fn within_node_budget(text: &str) -> bool {
    use serde::de::DeserializeSeed;
    let left = std::cell::Cell::new(node_budget(text));
    let walked = Count(&left).deserialize(serde_yaml::Deserializer::from_str(text));
    walked.is_ok() || left.get() > 0
}

/// A value walked only to count it, against the budget in the cell.
struct Count<'a>(&'a std::cell::Cell<usize>);

impl Count<'_> {
    fn spend<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.0.get() {
            0 => Err(E::custom("alias expansion budget spent")),
            n => {
                self.0.set(n - 1);
                Ok(())
            }
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Count<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Count<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.spend()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.spend()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.spend()
    }
    fn visit_i128<E: serde::de::Error>(self, _: i128) -> Result<(), E> {
        self.spend()
    }
    fn visit_u128<E: serde::de::Error>(self, _: u128) -> Result<(), E> {
        self.spend()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.spend()
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.spend()
    }
    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<(), E> {
        self.spend()
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend()
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend()
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.spend()?;
        serde::de::DeserializeSeed::deserialize(Count(self.0), d)
    }
    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.spend()?;
        serde::de::DeserializeSeed::deserialize(Count(self.0), d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend()?;
        while seq.next_element_seed(Count(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend()?;
        while map.next_key_seed(Count(self.0))?.is_some() {
            map.next_value_seed(Count(self.0))?;
        }
        Ok(())
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        self.spend()?;
        let ((), variant) = data.variant_seed(Count(self.0))?;
        variant.newtype_variant_seed(Count(self.0))
    }
}

/// The error for a file over [`MAX_FILE_BYTES`].
pub fn too_large(origin: &str, bytes: u64) -> BadInput {
    BadInput::new(
        format!("{origin}: file is {bytes} bytes, more than the 1 MiB a realm file may be"),
        "split the value or shorten the file",
    )
}

/// Parse bytes that should be UTF-8 YAML.
pub fn from_slice<T: DeserializeOwned>(origin: &str, bytes: &[u8]) -> Result<T, BadInput> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        BadInput::new(
            format!("{origin}: file is not UTF-8"),
            format!("re-save `{origin}` as UTF-8"),
        )
    })?;
    from_str(origin, text)
}

/// Serialize for writing: stable key order comes from the types' field order.
pub fn to_string<T: serde::Serialize>(value: &T) -> String {
    serde_yaml::to_string(value).expect("realm types serialize to YAML")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_line() {
        let err =
            from_str::<serde_json::Value>("domains/a/exports.yaml", "a: [1\nb: 2").unwrap_err();
        assert!(
            err.message
                .starts_with("domains/a/exports.yaml: invalid YAML at line"),
            "{}",
            err.message
        );
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = if i == 1 {
                "a".to_owned()
            } else {
                format!("a{}", i - 1)
            };
            let star = format!("*{prev}, ").repeat(10);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", star.trim_end_matches(", ")));
        }
        assert!(from_str::<serde_json::Value>("bomb.yaml", &text).is_err());
    }

    #[test]
    fn alias_bombs_padded_to_raise_the_parsers_own_limit_are_refused() {
        // The parser allows a hundred alias jumps per event: padding a bomb with events
        // lets it expand to a hundred million values. The node budget does not grow with
        // padding faster than the padding itself.
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let star = format!("*a{}, ", i - 1).repeat(10);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", star.trim_end_matches(", ")));
        }
        text.push_str(&format!("pad: [{}]\n", "1,".repeat(200_000)));
        let started = std::time::Instant::now();
        let err = from_str::<serde_json::Value>("bomb.yaml", &text).unwrap_err();
        assert!(err.message.contains("aliases expand"), "{}", err.message);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn anchors_used_as_intended_are_read() {
        let text = "base: &base [a, b]\nread: *base\nwrite: *base\nnote: R&D\n";
        let value: serde_json::Value = from_str("ok.yaml", text).unwrap();
        assert_eq!(value["write"], serde_json::json!(["a", "b"]));
    }

    #[test]
    fn oversized_files_are_refused() {
        let text = format!("a: \"{}\"", "x".repeat(MAX_FILE_BYTES));
        let err = from_str::<serde_json::Value>("big.yaml", &text).unwrap_err();
        assert!(err.message.contains("1 MiB"));
    }
}
