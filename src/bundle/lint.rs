//! Warnings: things in the definitions that do not break onestop but that an analyst should fix
//! (a form no service uses, a title with no English translation, a bundle of optional services
//! only).

use super::diag::Diagnostic;
use super::raw::RawBundle;
use super::{Service, ServiceId};
use crate::form::Schemas;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every warning about the form files, given the compiled services.
pub fn lint(
    forms: &BTreeMap<String, Value>,
    services: &BTreeMap<ServiceId, Service>,
) -> Vec<Diagnostic> {
    let mut warnings = unused_forms(forms, services);
    for (relative, form) in forms {
        missing_translations(&Path::new("forms").join(relative), form, "", &mut warnings);
    }
    warnings
}

/// A bundle whose every service is optional: an application may choose none and do nothing.
pub fn optional_only(file: &Path, raw: &RawBundle) -> Option<Diagnostic> {
    let all = !raw.services.is_empty() && raw.services.iter().all(|s| s.optional);
    let message = "every service is optional; an application may choose none";
    all.then(|| Diagnostic::new(file, "services", message))
}

/// Forms that no service names and no other form references.
fn unused_forms(
    forms: &BTreeMap<String, Value>,
    services: &BTreeMap<ServiceId, Service>,
) -> Vec<Diagnostic> {
    let mut used: BTreeSet<String> = services
        .values()
        .map(|s| Schemas::uri_for(&s.form))
        .collect();
    for (relative, form) in forms {
        let mut form = form.clone();
        if crate::form::absolutize(&mut form, &Schemas::uri_for(relative)).is_ok() {
            collect_refs(&form, &mut used);
        }
    }
    forms
        .keys()
        .filter(|relative| !used.contains(&Schemas::uri_for(relative)))
        .map(|relative| {
            Diagnostic::new(
                &Path::new("forms").join(relative),
                "",
                "unused form: no service names it and no form references it",
            )
        })
        .collect()
}

fn collect_refs(value: &Value, used: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                used.insert(reference.split('#').next().unwrap_or_default().to_owned());
            }
            map.values().for_each(|v| collect_refs(v, used));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, used)),
        _ => {}
    }
}

/// A `title` without `x-title-en` (or the other way round), anywhere in a form.
fn missing_translations(file: &Path, value: &Value, at: &str, warnings: &mut Vec<Diagnostic>) {
    match value {
        Value::Object(map) => {
            let pairs = [
                ("title", "x-title-en", "title"),
                ("description", "x-description-en", "help text"),
            ];
            for (uk_key, en_key, what) in pairs {
                let uk = map.get(uk_key).is_some_and(Value::is_string);
                let en = map.get(en_key).is_some_and(Value::is_string);
                if uk != en {
                    let missing = if uk {
                        format!("English {what} ({en_key})")
                    } else {
                        format!("Ukrainian {what} ({uk_key})")
                    };
                    let message = format!("missing translation: no {missing}");
                    warnings.push(Diagnostic::new(file, at.to_owned(), message));
                }
            }
            for (key, child) in map {
                if key != "enum" && key != "const" && key != "default" && key != "examples" {
                    missing_translations(file, child, &format!("{at}/{key}"), warnings);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                missing_translations(file, child, &format!("{at}/{i}"), warnings);
            }
        }
        _ => {}
    }
}
