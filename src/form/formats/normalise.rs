//! How a value of a format is written for the registries, once it has passed its check: an
//! IBAN pasted in groups of four loses its spaces, a name's apostrophe becomes `ʼ` (U+02BC).
//! Each format that accepts more than one way of writing the same value says its one way here,
//! beside its check, so that the rule has one home.
//!
//! [`normalise`] rewrites a valid submission in place, by the shape of each value (an IBAN typed
//! in groups, a name with an apostrophe). Nothing is rewritten in data that failed validation:
//! the person sees what they typed.

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

/// Rewrite every string of valid `data` written another way than the registries write it: a
/// value shaped as an IBAN typed with spaces, and a name-shaped value (letters, apostrophes,
/// hyphens, spaces) with the apostrophe `'` or `’`. Read from the values alone, not from the
/// validator's annotations: collecting those cost as much as validating the form again, for
/// every submission. A settlement named like a person (`Кам'янське`) is written with U+02BC too,
/// which is how it is spelled.
pub fn normalise(_validator: &jsonschema::Validator, data: &mut Value) {
    match data {
        Value::String(text) => {
            let written = if looks_like_spaced_iban(text) {
                normalised("iban-ua", text)
            } else if looks_like_a_name_with_an_apostrophe(text) {
                normalised("name-ua", text)
            } else {
                None
            };
            if let Some(written) = written {
                *text = written;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalise(_validator, v)),
        Value::Object(map) => map.values_mut().for_each(|v| normalise(_validator, v)),
        _ => {}
    }
}

fn looks_like_spaced_iban(text: &str) -> bool {
    let plain = super::iban_without_spaces(text);
    text.starts_with("UA")
        && plain.len() == 29
        && plain.len() != text.len()
        && plain.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn looks_like_a_name_with_an_apostrophe(text: &str) -> bool {
    text.contains(['\'', '\u{2019}'])
        && text
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '\'' | '\u{2019}' | '\u{2bc}' | '-' | ' '))
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
