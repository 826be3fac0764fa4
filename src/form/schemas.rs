//! The offline registry of every form file, and validators built against it.

use super::formats::CUSTOM_FORMATS;
use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

/// All schema files under `forms/`, by URI, ready to resolve `$ref`s offline.
pub struct Schemas {
    registry: Registry<'static>,
}

impl Schemas {
    /// The base URI that form files are known under; never fetched.
    pub const BASE: &'static str = "https://onestop.invalid/forms/";

    /// The URI of a form file given its path relative to `forms/`.
    pub fn uri_for(relative: &str) -> String {
        format!("{}{relative}", Self::BASE)
    }

    /// `reference` resolved against `base` (the URI of the form it is written in).
    pub fn resolve(base: &str, reference: &str) -> Result<String, String> {
        let base_uri = jsonschema::uri::from_str(base).map_err(|e| e.to_string())?;
        let resolved = jsonschema::uri::resolve_against(&base_uri.borrow(), reference)
            .map_err(|e| format!("$ref \"{reference}\": {e}"))?;
        Ok(resolved.to_string())
    }

    /// Index the given `(uri, schema)` documents.
    pub fn new(documents: Vec<(String, Value)>) -> Result<Self, String> {
        let registry = Registry::new()
            .extend(documents)
            .and_then(|builder| builder.prepare())
            .map_err(|e| e.to_string())?;
        Ok(Self { registry })
    }

    /// Compile a validator (formats asserted, unknown formats refused) resolving against every
    /// form file.
    pub fn validator(&self, schema: &Value) -> Result<Validator, String> {
        let mut options = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(false)
            .with_registry(&self.registry);
        for (name, check) in CUSTOM_FORMATS {
            options = options.with_format(*name, *check);
        }
        options.build(schema).map_err(|e| {
            let at = e.instance_path().as_str();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{e} (at {at})")
            }
        })
    }

    /// One self-contained schema, with every referenced file embedded, for front ends.
    pub fn bundle(&self, schema: &Value) -> Result<Value, String> {
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .bundle(schema)
            .map_err(|e| e.to_string())
    }
}

/// Rewrite every `$ref` inside `value` to an absolute URI, resolved against `base`, so that a
/// piece of a form file keeps its meaning when moved into a combined form.
pub fn absolutize_refs(value: &mut Value, base: &str) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                *reference = Schemas::resolve(base, reference)?;
            }
            for (key, child) in map.iter_mut() {
                if key != "$ref" {
                    absolutize_refs(child, base)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| absolutize_refs(v, base)),
        _ => Ok(()),
    }
}
