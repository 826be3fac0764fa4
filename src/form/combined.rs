//! The combined form of a bundle: the union of the chosen services' input forms, so that an
//! applicant fills in one form, and each piece of data once, for all the services they chose.
//!
//! A property several services need is asked once; its schema is the `allOf` of theirs (one
//! schema when they agree), `required` is the union, and each field remembers who needs it.
//! Inputs bound to earlier services' outputs are not asked at all.

use super::FormError;
use crate::bundle::{Bundle, Catalog, ServiceId};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The merged form for one selection of a bundle's services.
pub struct CombinedForm {
    /// The merged schema with absolute `$ref`s (what validation runs on).
    pub schema: Value,
    /// The same, self-contained (referenced files embedded under `$defs`), for front ends.
    pub bundled: Value,
    pub(super) validator: jsonschema::Validator,
    /// Top-level property → the services that need it.
    pub fields: BTreeMap<String, Vec<ServiceId>>,
    pub services: Vec<ServiceId>,
}

impl std::fmt::Debug for CombinedForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CombinedForm")
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

impl CombinedForm {
    /// Merge the forms of `selection` (service ids of `bundle`, in bundle order).
    pub fn build(
        bundle: &Bundle,
        catalog: &Catalog,
        selection: &[ServiceId],
    ) -> Result<Self, FormError> {
        let mut schemas: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut fields: BTreeMap<String, Vec<ServiceId>> = BTreeMap::new();
        let mut required: Vec<String> = Vec::new();
        for id in selection {
            let (Some(step), Some(service)) = (bundle.step(id), catalog.service(id)) else {
                return Err(FormError::UnknownService(id.to_string()));
            };
            let repeated = |name: &str| step.repeat.as_ref().is_some_and(|r| r.as_input == name);
            let bound =
                |name: &str| step.bindings.iter().any(|b| b.input == name) || repeated(name);
            let item_schema = step.repeat.as_ref().and_then(|r| {
                let item = service.input.properties.get(&r.as_input)?;
                Some((r.items.clone(), json!({ "type": "array", "items": item })))
            });
            let asked = service
                .input
                .properties
                .iter()
                .map(|(n, s)| (n.clone(), s.clone()));
            for (name, schema) in asked.chain(item_schema) {
                if bound(&name) {
                    continue;
                }
                let list = schemas.entry(name.clone()).or_default();
                if !list.contains(&schema) {
                    list.push(schema);
                }
                fields.entry(name).or_default().push(id.clone());
            }
            for name in &service.input.required {
                if !bound(name) && !required.contains(name) {
                    required.push(name.clone());
                }
            }
        }
        let schema = merged_schema(bundle, schemas, &required);
        let validator = catalog
            .schemas
            .validator(&schema)
            .map_err(FormError::Schema)?;
        let bundled = catalog.schemas.bundle(&schema).map_err(FormError::Schema)?;
        Ok(Self {
            schema,
            bundled,
            validator,
            fields,
            services: selection.to_vec(),
        })
    }

    /// The services that need the field at `pointer` (by its top-level property).
    pub fn services_for(&self, pointer: &str) -> Vec<ServiceId> {
        let top = pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        self.fields.get(top).cloned().unwrap_or_default()
    }
}

fn merged_schema(
    bundle: &Bundle,
    schemas: BTreeMap<String, Vec<Value>>,
    required: &[String],
) -> Value {
    let properties: Map<String, Value> = schemas
        .into_iter()
        .map(|(name, mut list)| {
            let schema = if list.len() == 1 {
                list.remove(0)
            } else {
                json!({ "allOf": list })
            };
            (name, schema)
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": bundle.title.uk,
        "x-title-en": bundle.title.en,
        "description": bundle.description.uk,
        "x-description-en": bundle.description.en,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}
