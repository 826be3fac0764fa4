//! `$ref`s between the form files: each must name a form file that exists, and a part of it
//! that exists. A broken one is reported against the form that refers to it, with the JSON
//! pointer of the `$ref` and what it names, then left out, so that the forms can still be
//! indexed and every other problem reported at once. Reads nothing but the forms it is given.

use crate::bundle::diag::Diagnostic;
use crate::form::Schemas;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Report every broken `$ref` of `forms` (by path under `forms/`) and remove it.
pub(super) fn check(forms: &mut BTreeMap<String, Value>, diags: &mut Vec<Diagnostic>) {
    let mut broken = Vec::new();
    for (relative, form) in forms.iter() {
        let mut refs = Vec::new();
        collect(form, String::new(), &mut refs);
        let base = Schemas::uri_for(relative);
        for (pointer, reference) in refs {
            let Some(why) = problem(&base, &reference, forms) else {
                continue;
            };
            let file = Path::new("forms").join(relative);
            let message = format!("\"{reference}\" {why}");
            diags.push(Diagnostic::new(&file, format!("{pointer}/$ref"), message));
            broken.push((relative.clone(), pointer));
        }
    }
    for (relative, pointer) in broken {
        let schema = forms
            .get_mut(&relative)
            .and_then(|f| f.pointer_mut(&pointer));
        if let Some(Value::Object(map)) = schema {
            map.remove("$ref");
        }
    }
}

/// Why `reference`, written in the form at `base`, names nothing (`None`: it names a form
/// file, or a part of one, that exists; or it points outside the form files, which the index
/// reports itself).
fn problem(base: &str, reference: &str, forms: &BTreeMap<String, Value>) -> Option<String> {
    let absolute = Schemas::resolve(base, reference).ok()?;
    let (uri, fragment) = absolute.split_once('#').unwrap_or((&absolute, ""));
    let relative = uri.strip_prefix(Schemas::BASE)?;
    let Some(target) = forms.get(relative) else {
        return Some("does not exist".to_owned());
    };
    let whole_or_anchor = !fragment.starts_with('/');
    if whole_or_anchor || target.pointer(fragment).is_some() {
        return None;
    }
    Some(format!(
        "does not exist: forms/{relative} has nothing at \"{fragment}\""
    ))
}

/// Every `$ref` inside `value` (at JSON pointer `at`), with the pointer of the schema that
/// holds it. Values that are data, not schemas (`enum`, `const`, `default`, `examples`), are
/// not looked into.
fn collect(value: &Value, at: String, refs: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                refs.push((at.clone(), reference.clone()));
            }
            for (key, child) in map {
                if !["enum", "const", "default", "examples"].contains(&key.as_str()) {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    collect(child, format!("{at}/{escaped}"), refs);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect(child, format!("{at}/{i}"), refs);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_ref_to_a_missing_file_or_part_is_reported_and_left_out() {
        let mut forms = BTreeMap::from([
            (
                "main.schema.json".to_owned(),
                json!({ "properties": {
                    "a": { "$ref": "common/kid.schema.json" },
                    "b": { "$ref": "common/name.schema.json#/properties/nope" },
                    "c": { "$ref": "common/name.schema.json#/properties/given" },
                } }),
            ),
            (
                "common/name.schema.json".to_owned(),
                json!({ "properties": { "given": { "type": "string" } } }),
            ),
        ]);
        let mut diags = Vec::new();
        check(&mut forms, &mut diags);
        let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "forms/main.schema.json: /properties/a/$ref: \"common/kid.schema.json\" does not exist",
                "forms/main.schema.json: /properties/b/$ref: \"common/name.schema.json#/properties/nope\" does not exist: forms/common/name.schema.json has nothing at \"/properties/nope\"",
            ]
        );
        assert_eq!(forms["main.schema.json"]["properties"]["a"], json!({}));
        assert!(forms["main.schema.json"]["properties"]["c"]["$ref"].is_string());
    }
}
