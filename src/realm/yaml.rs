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
    fn oversized_files_are_refused() {
        let text = format!("a: \"{}\"", "x".repeat(MAX_FILE_BYTES));
        let err = from_str::<serde_json::Value>("big.yaml", &text).unwrap_err();
        assert!(err.message.contains("1 MiB"));
    }
}
