//! The combined form of a bundle: the union of the chosen services' input forms, so that an
//! applicant fills in one form, and each piece of data once, for all the services they chose.
//!
//! A property several services need is asked once; its schema is the `allOf` of theirs (one
//! schema when they agree), `required` is the union, and each field remembers who needs it.
//! Inputs bound to earlier services' outputs are not asked at all. Fields come in the order the
//! form files declare them, service by service in bundle order. A field that only services
//! with a condition need is asked, and required, only when one of the conditions holds (the
//! family's children count only for the large-family assistance); a field a condition reads
//! is always asked.

use super::FormError;
use crate::bundle::{Bundle, Catalog, Condition, ServiceId};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The merged form for one selection of a bundle's services.
pub struct CombinedForm {
    /// The merged schema with absolute `$ref`s (what validation runs on).
    pub schema: Value,
    /// The same, self-contained (referenced files embedded under `$defs`), for front ends.
    pub bundled: Value,
    pub(super) validator: jsonschema::Validator,
    /// Top-level property → the services that need it, in the order the form files declare
    /// the properties (the first service's first).
    pub fields: Vec<(String, Vec<ServiceId>)>,
    pub services: Vec<ServiceId>,
    /// Fields only services with a condition need, with those conditions: asked and required
    /// only when one of them holds for the data (`required` says which of them must be given).
    pub(super) conditional: Vec<Conditional>,
    /// The bundle's refusals across fields (`refuse:`).
    pub(super) refusals: Vec<crate::bundle::Refusal>,
}

/// A field only conditional services need.
pub(super) struct Conditional {
    pub field: String,
    pub when: Vec<Arc<Condition>>,
    pub required: bool,
}

impl std::fmt::Debug for CombinedForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CombinedForm")
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

/// What the services of a selection ask for: each field's schemas and services (file order),
/// the required fields, and the forms' cross-field rules.
#[derive(Default)]
struct Asked {
    fields: Vec<(String, Vec<Value>, Vec<ServiceId>)>,
    required: Vec<(String, ServiceId)>,
    rules: Vec<Value>,
}

impl Asked {
    /// The service form's rules across its fields, each once.
    fn rules_of(&mut self, service: &crate::bundle::Service) {
        for rule in &service.input.rules {
            if !self.rules.contains(rule) {
                self.rules.push(rule.clone());
            }
        }
    }

    fn add(&mut self, name: &str, schema: Value, service: &ServiceId) {
        let at = match self.fields.iter().position(|(n, ..)| n == name) {
            Some(at) => at,
            None => {
                self.fields.push((name.to_owned(), Vec::new(), Vec::new()));
                self.fields.len() - 1
            }
        };
        let (_, schemas, services) = &mut self.fields[at];
        if !schemas.contains(&schema) {
            schemas.push(schema);
        }
        if !services.contains(service) {
            services.push(service.clone());
        }
    }
}

impl CombinedForm {
    /// Merge the forms of `selection` (service ids of `bundle`, in bundle order).
    pub fn build(
        bundle: &Bundle,
        catalog: &Catalog,
        selection: &[ServiceId],
    ) -> Result<Self, FormError> {
        let mut asked = Asked::default();
        for id in selection {
            let (Some(step), Some(service)) = (bundle.step(id), catalog.service(id)) else {
                return Err(FormError::UnknownService(id.to_string()));
            };
            let repeated = |name: &str| step.repeat.as_ref().is_some_and(|r| r.as_input == name);
            let bound = |name: &str| step.bindings.iter().any(|b| b.input == name);
            for (name, schema) in &service.input.properties {
                if bound(name) {
                    continue;
                }
                match step.repeat.as_ref().filter(|_| repeated(name)) {
                    // The item's place in the form is where the service declares the item.
                    Some(r) => {
                        let list = json!({ "type": "array", "items": schema });
                        asked.add(&r.items, list, id);
                    }
                    None => asked.add(name, schema.clone(), id),
                }
            }
            for name in &service.input.required {
                if !bound(name) {
                    let name = (step.repeat.as_ref())
                        .filter(|_| repeated(name))
                        .map_or(name.clone(), |r| r.items.clone());
                    asked.required.push((name, id.clone()));
                }
            }
            asked.rules_of(service);
        }
        let conditional = conditional(bundle, selection, &asked);
        let required: Vec<String> = (asked.fields.iter())
            .map(|(name, ..)| name.clone())
            .filter(|name| asked.required.iter().any(|(r, _)| r == name))
            .filter(|name| !conditional.iter().any(|c| &c.field == name))
            .collect();
        let schema = merged_schema(bundle, &asked, &required);
        let validator = catalog
            .schemas
            .validator(&schema)
            .map_err(FormError::Schema)?;
        let bundled = catalog.schemas.bundle(&schema).map_err(FormError::Schema)?;
        Ok(Self {
            schema,
            bundled,
            validator,
            fields: (asked.fields.into_iter())
                .map(|(name, _, services)| (name, services))
                .collect(),
            services: selection.to_vec(),
            conditional,
            refusals: bundle.refusals.clone(),
        })
    }

    /// The services that need the field at `pointer` (by its top-level property).
    pub fn services_for(&self, pointer: &str) -> Vec<ServiceId> {
        let top = pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        (self.fields.iter())
            .find(|(name, _)| name == top)
            .map(|(_, services)| services.clone())
            .unwrap_or_default()
    }

    /// Whether some field is asked only once a condition holds (the page then offers to draw
    /// the form again).
    pub fn discloses(&self) -> bool {
        !self.conditional.is_empty()
    }

    /// Whether the form asks for top-level field `name` given the data so far: always, unless
    /// only services whose conditions do not hold for `data` need it.
    pub fn asks(&self, name: &str, data: &Value) -> bool {
        match self.conditional.iter().find(|c| c.field == name) {
            None => true,
            Some(c) => c.when.iter().any(|w| w.evaluate(data) == Ok(true)),
        }
    }
}

/// The fields only conditional services need: neither asked nor required until a condition
/// holds. A field a condition reads is always asked (it is how the choice is made).
fn conditional(bundle: &Bundle, selection: &[ServiceId], asked: &Asked) -> Vec<Conditional> {
    let condition_of = |id: &ServiceId| {
        let step = bundle.step(id)?;
        let per_item = (step.repeat.as_ref()).is_some_and(|r| {
            step.condition
                .as_ref()
                .is_some_and(|c| c.reads(&r.as_input))
        });
        step.condition.clone().filter(|_| !per_item)
    };
    let read: Vec<&String> = (bundle.steps.iter())
        .filter(|s| selection.contains(&s.service))
        .filter_map(|s| s.condition.as_ref())
        .chain(
            bundle
                .human_steps
                .iter()
                .filter_map(|h| h.condition.as_ref()),
        )
        .flat_map(|c| c.fields())
        .collect();
    let mut found = Vec::new();
    for (name, _, services) in &asked.fields {
        let when: Vec<Option<Arc<Condition>>> = services.iter().map(condition_of).collect();
        if read.contains(&name) || when.iter().any(Option::is_none) {
            continue;
        }
        found.push(Conditional {
            field: name.clone(),
            when: when.into_iter().flatten().collect(),
            required: asked.required.iter().any(|(r, _)| r == name),
        });
    }
    found
}

fn merged_schema(bundle: &Bundle, asked: &Asked, required: &[String]) -> Value {
    let properties: Map<String, Value> = (asked.fields.iter())
        .map(|(name, list, _)| {
            let schema = match list.as_slice() {
                [one] => one.clone(),
                _ => json!({ "allOf": list }),
            };
            (name.clone(), schema)
        })
        .collect();
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": bundle.title.uk,
        "x-title-en": bundle.title.en,
        "description": bundle.description.uk,
        "x-description-en": bundle.description.en,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    });
    if !asked.rules.is_empty() {
        schema["allOf"] = Value::Array(asked.rules.clone());
    }
    schema
}
