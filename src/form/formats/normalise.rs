//! How a value of a format is written for the registries, once it has passed its check: an
//! IBAN pasted in groups of four loses its spaces, a name's apostrophe becomes `ʼ` (U+02BC).
//! Each format that accepts more than one way of writing the same value says its one way here,
//! beside its check, so that the rule has one home.
//!
//! [`normalise`] rewrites a valid submission in place, guided by the `format` annotations the
//! validator collected (so a field is normalised exactly where the combined form says it has
//! that format, whatever its name). Nothing is rewritten in data that failed validation: the
//! person sees what they typed.

use super::names::normalised_name;
use serde_json::Value;

/// `value` as the registries get it, when the format `format` writes it otherwise.
pub fn normalised(format: &str, value: &str) -> Option<String> {
    let written = match format {
        "iban-ua" => super::iban_without_spaces(value),
        "name-ua" | "name-latin-or-ua" => normalised_name(value),
        _ => return None,
    };
    (written != value).then_some(written)
}

/// Rewrite every string of `data` that has a format with its own way of writing (see
/// [`normalised`]); `data` must be valid against `validator`'s schema.
pub fn normalise(validator: &jsonschema::Validator, data: &mut Value) {
    // Most submissions hold nothing to rewrite; the (costly) annotated evaluation runs only
    // for those that may.
    if !may_need(data) {
        return;
    }
    let evaluation = validator.evaluate(&*data);
    let mut rewrites: Vec<(String, String)> = Vec::new();
    for entry in evaluation.iter_annotations() {
        let is_format = entry.schema_location.ends_with("/format");
        let Some(format) = entry.annotations.value().as_str().filter(|_| is_format) else {
            continue;
        };
        let pointer = entry.instance_location.as_str();
        let written = data
            .pointer(pointer)
            .and_then(Value::as_str)
            .and_then(|value| normalised(format, value));
        if let Some(written) = written {
            rewrites.push((pointer.to_owned(), written));
        }
    }
    for (pointer, written) in rewrites {
        if let Some(slot) = data.pointer_mut(&pointer) {
            *slot = Value::String(written);
        }
    }
}

/// Whether any text of `data` could be written otherwise: an apostrophe other than U+02BC, or
/// a space inside an IBAN-like value.
fn may_need(data: &Value) -> bool {
    match data {
        Value::String(text) => {
            text.contains(['\'', '\u{2019}'])
                || (text.starts_with("UA") && text.contains(char::is_whitespace))
        }
        Value::Array(items) => items.iter().any(may_need),
        Value::Object(map) => map.values().any(may_need),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn validator(schema: &Value) -> jsonschema::Validator {
        let mut options = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true);
        for (name, check) in super::super::CUSTOM_FORMATS {
            options = options.with_format(*name, *check);
        }
        options.build(schema).expect("a valid schema")
    }

    #[test]
    fn an_iban_pasted_with_spaces_reaches_the_registries_without_them() {
        let schema = json!({ "properties": {
            "benefit": { "properties": { "iban": { "format": "iban-ua" } } },
            "note": { "type": "string" },
        } });
        let mut data = json!({
            "benefit": { "iban": "UA57 3220 0100 0002 6007 2335 6600 1" },
            "note": "UA57 3220",
        });
        normalise(&validator(&schema), &mut data);
        assert_eq!(data["benefit"]["iban"], "UA573220010000026007233566001");
        assert_eq!(
            data["note"], "UA57 3220",
            "a field without the format stays"
        );
    }

    #[test]
    fn names_reach_the_registries_with_the_letter_apostrophe() {
        let name = json!({ "type": "string", "format": "name-ua" });
        let schema = json!({
            "properties": { "people": { "items": { "properties": { "given_name": name } } } },
        });
        let mut data =
            json!({ "people": [{ "given_name": "Мар'яна" }, { "given_name": "Мар’ян" }] });
        normalise(&validator(&schema), &mut data);
        assert_eq!(
            data,
            json!({ "people": [{ "given_name": "Марʼяна" }, { "given_name": "Марʼян" }] })
        );
    }

    #[test]
    fn a_format_under_a_condition_not_met_rewrites_nothing() {
        let schema = json!({
            "if": { "properties": { "kind": { "const": "bank" } } },
            "then": { "properties": { "account": { "format": "iban-ua" } } },
        });
        let mut data = json!({ "kind": "cash", "account": "UA57 3220" });
        normalise(&validator(&schema), &mut data);
        assert_eq!(data["account"], "UA57 3220");
        assert_eq!(normalised("rnokpp", "3440712340"), None);
        assert_eq!(normalised("iban-ua", "UA573220010000026007233566001"), None);
    }
}
