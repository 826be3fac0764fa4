//! A service: its input form (found among the form files, its properties made absolute, its
//! validator compiled once), its output schema, its reference templates and its retry policy.

use super::{check_id_matches_file, compile_policy, text};
use crate::bundle::diag::Diagnostic;
use crate::bundle::raw::RawService;
use crate::bundle::{Service, ServiceId, ServiceInput};
use crate::form::Schemas;
use jsonschema::Validator;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A service, or nothing when anything about it is wrong (every problem reported).
pub(super) fn compile_service(
    file: &Path,
    raw: RawService,
    forms: &BTreeMap<String, Value>,
    schemas: &Schemas,
    diags: &mut Vec<Diagnostic>,
) -> Option<Service> {
    let before = diags.len();
    check_id_matches_file(file, &raw.id, diags);
    let input = input(file, &raw.form, forms, schemas, diags);
    let output_validator = outputs(file, &raw.outputs, schemas, diags);
    for (lang, template) in [("uk", &raw.reference.uk), ("en", &raw.reference.en)] {
        if let Err(e) = handlebars::Template::compile(template) {
            diags.push(Diagnostic::new(
                file,
                format!("reference.{lang}"),
                format!("invalid template: {e}"),
            ));
        }
    }
    let policy = compile_policy(file, "", raw.retry.as_ref(), raw.timeout_ms, diags);
    for (field, problem) in (raw.trembita.iter()).flat_map(|t| t.problems(&raw.outputs)) {
        diags.push(Diagnostic::new(file, field, problem));
    }
    if diags.len() > before {
        return None;
    }
    let (input, input_validator) = input?;
    let output_shape = crate::form::Shape::of(&raw.outputs, forms);
    Some(Service {
        id: ServiceId::parse(&raw.id).ok()?,
        file: file.to_string_lossy().replace('\\', "/"),
        title: text(raw.title),
        registry: raw.registry,
        authority: text(raw.authority),
        form: raw.form,
        input,
        input_validator,
        outputs: raw.outputs,
        output_validator: output_validator?,
        reference: text(raw.reference),
        policy,
        trembita: raw.trembita,
        output_shape,
    })
}

/// The service's input form `form` (a path under `forms/`) and its validator. Only a form that
/// was read can be compiled; a missing one is reported once.
fn input(
    file: &Path,
    form: &str,
    forms: &BTreeMap<String, Value>,
    schemas: &Schemas,
    diags: &mut Vec<Diagnostic>,
) -> Option<(ServiceInput, Validator)> {
    let form_file = Path::new("forms").join(form);
    let Some(schema) = forms.get(form) else {
        diags.push(Diagnostic::new(
            file,
            "form",
            format!("form file not found or unreadable: {}", form_file.display()),
        ));
        return None;
    };
    let input = service_input(schema, &Schemas::uri_for(form), forms)
        .map_err(|e| diags.push(Diagnostic::new(&form_file, "", e)))
        .ok()?;
    let form_ref = serde_json::json!({ "$ref": Schemas::uri_for(form) });
    let invalid = |e| Diagnostic::new(&form_file, "", format!("invalid JSON Schema: {e}"));
    let validator = schemas
        .validator(&form_ref)
        .map_err(|e| diags.push(invalid(e)))
        .ok()?;
    Some((input, validator))
}

/// The validator of the declared answer schema, which must be an object schema.
fn outputs(
    file: &Path,
    outputs: &Value,
    schemas: &Schemas,
    diags: &mut Vec<Diagnostic>,
) -> Option<Validator> {
    let validator = schemas
        .validator(outputs)
        .map_err(|e| {
            diags.push(Diagnostic::new(
                file,
                "outputs",
                format!("invalid JSON Schema: {e}"),
            ))
        })
        .ok();
    if !outputs.get("properties").is_some_and(Value::is_object) {
        diags.push(Diagnostic::new(
            file,
            "outputs",
            "the output schema must be an object schema with \"properties\"",
        ));
    }
    validator
}

/// The top-level properties (with `$ref`s made absolute) and required fields of a form file.
fn service_input(
    form: &Value,
    uri: &str,
    forms: &BTreeMap<String, Value>,
) -> Result<ServiceInput, String> {
    let Some(properties) = form.get("properties").and_then(Value::as_object) else {
        return Err("a service form must be an object schema with top-level \"properties\"".into());
    };
    let mut out = serde_json::Map::new();
    for (name, schema) in properties {
        let mut schema = schema.clone();
        crate::form::absolutize(&mut schema, uri).map_err(|e| format!("properties.{name}: {e}"))?;
        out.insert(name.clone(), schema);
    }
    let required = form
        .get("required")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let shapes = (out.iter())
        .map(|(name, schema)| (name.clone(), crate::form::Shape::of(schema, forms)))
        .collect();
    let mut rules = Vec::new();
    for keyword in ["if", "allOf", "dependentRequired"] {
        if form.get(keyword).is_none() {
            continue;
        }
        let mut rule = serde_json::Map::new();
        let parts: &[&str] = if keyword == "if" {
            &["if", "then", "else"]
        } else {
            &[keyword]
        };
        for part in parts {
            if let Some(schema) = form.get(*part) {
                let mut schema = schema.clone();
                crate::form::absolutize(&mut schema, uri).map_err(|e| format!("{part}: {e}"))?;
                rule.insert((*part).to_owned(), schema);
            }
        }
        rules.push(Value::Object(rule));
    }
    Ok(ServiceInput {
        properties: out,
        required,
        rules,
        shapes,
    })
}
