//! Export values checked against their JSON Schema, inline or `$ref`'d from `contracts/`.

use std::collections::BTreeMap;

use jsonschema::{Retrieve, Uri};
use serde_json::Value;

use crate::error::BadInput;

/// The base the realm's `$ref`s resolve against: `contracts/x.schema.yaml` becomes
/// `realm:///contracts/x.schema.yaml`.
const BASE: &str = "realm:///";

struct Contracts(BTreeMap<String, Value>);

impl Retrieve for Contracts {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str().trim_start_matches('/');
        let name = path.strip_prefix("contracts/").unwrap_or(path);
        let name = name.strip_suffix(".schema.yaml").unwrap_or(name);
        self.0.get(name).cloned().ok_or_else(|| {
            format!("no contract schema `contracts/{name}.schema.yaml` in the realm").into()
        })
    }
}

/// Check `value` against `schema`; `what` names the export in errors.
pub fn validate(
    what: &str,
    schema: &Value,
    value: &Value,
    contracts: &BTreeMap<String, Value>,
) -> Result<(), BadInput> {
    let validator = jsonschema::options()
        .with_base_uri(BASE)
        .with_retriever(Contracts(contracts.clone()))
        .build(schema)
        .map_err(|e| {
            BadInput::new(
                format!("the schema of {what} is not a valid JSON Schema: {e}"),
                "fix the schema, or point `$ref` at contracts/<name>.schema.yaml",
            )
        })?;
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("at `{}`: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(BadInput::new(
            format!("the value of {what} fails its schema {}", errors.join("; ")),
            "change the value so it matches the schema, or change the schema",
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn s3_schema() -> Value {
        json!({"type": "object", "properties": {"read": {"type": "array", "items": {"type": "string"}}}})
    }

    #[test]
    fn inline_schema() {
        let none = BTreeMap::new();
        assert!(validate("e", &s3_schema(), &json!({"read": ["a"]}), &none).is_ok());
        let err = validate("e", &s3_schema(), &json!({"read": [1]}), &none).unwrap_err();
        assert!(err.message.contains("at `/read/0`"), "{}", err.message);
    }

    #[test]
    fn contract_refs() {
        let contracts = BTreeMap::from([("s3-paths".to_owned(), s3_schema())]);
        let schema = json!({"$ref": "contracts/s3-paths.schema.yaml"});
        assert!(validate("e", &schema, &json!({"read": ["a"]}), &contracts).is_ok());
        assert!(validate("e", &schema, &json!({"read": [true]}), &contracts).is_err());
        let missing = json!({"$ref": "contracts/nope.schema.yaml"});
        assert!(validate("e", &missing, &json!({}), &contracts).is_err());
    }
}
