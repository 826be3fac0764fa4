//! The combined form's JSON Schema read as a tree of fields to draw: `$ref`s followed into the
//! embedded `$defs`, `allOf`s merged, each property given a kind (text, date, number, choice,
//! yes/no, group, list). Only the shape is read here: validation stays with `form`, which
//! judges the submitted data against the very same schema.

use crate::bundle::Text;
use crate::form::CombinedForm;
use serde_json::{Map, Value};

/// One field of the form, or a group of them.
#[derive(Debug, Clone)]
pub struct Field {
    /// The property name (the last segment of its JSON pointer).
    pub name: String,
    pub title: Text,
    pub hint: Option<Text>,
    pub required: bool,
    pub kind: Kind,
    /// Shown only when its sibling field `.0` has one of the values `.1`: a field its object's
    /// `if`/`then` requires only for that choice (the marriage record only for a marriage).
    pub shown_when: Option<(String, Vec<String>)>,
}

#[derive(Debug, Clone)]
pub enum Kind {
    /// An object: a fieldset of its properties.
    Group(Vec<Field>),
    Text {
        default: Option<String>,
        max_length: Option<u64>,
        format: Option<String>,
        /// A code or a number, not a name: drawn narrow.
        short: bool,
    },
    /// A string with a date format, typed as day.month.year.
    Date,
    Number {
        integer: bool,
    },
    /// One value of an `enum`.
    Choice(Vec<Choice>),
    Boolean,
    /// An array of anything but choices: rows to add and remove.
    List {
        item: Box<Field>,
        min_items: usize,
    },
    /// An array of `enum` values: several boxes to tick.
    MultiChoice(Vec<Choice>),
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: Text,
}

const DATE_FORMATS: [&str; 3] = ["date", "past-date", "adult-birth-date"];
const MAX_DEPTH: usize = 24;

/// The top-level fields of a combined form, in the order the form files declare them (the
/// combined form keeps it).
pub fn fields(form: &CombinedForm) -> Vec<Field> {
    let root = &form.bundled;
    let resolved = resolve(root, root, 0);
    children(&resolved, root, 0)
}

/// The properties of an object schema (already resolved), in the schema's order.
fn children(schema: &Value, root: &Value, depth: usize) -> Vec<Field> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<Field> = schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(name, s)| field(name, s, required.contains(&name.as_str()), root, depth))
                .collect()
        })
        .unwrap_or_default();
    for (name, values, then) in super::disclose::choices_requiring(schema) {
        for field in fields.iter_mut() {
            let only_then = then.contains(&field.name) && !required.contains(&field.name.as_str());
            if only_then && field.name != name {
                field.shown_when = Some((name.clone(), values.clone()));
            }
        }
    }
    fields
}

fn field(name: &str, schema: &Value, required: bool, root: &Value, depth: usize) -> Field {
    let schema = resolve(schema, root, depth + 1);
    let kind = kind(&schema, root, depth + 1);
    let title = match (text(&schema, "title", "x-title-en"), &kind) {
        // The codes of a choice (`(mother — мати)`) are said by its labelled options.
        (Some(title), Kind::Choice(options) | Kind::MultiChoice(options)) => Text {
            uk: without_codes(&title.uk, options),
            en: without_codes(&title.en, options),
        },
        (Some(title), _) => title,
        // An untitled list (a repeated service's items) is named after its items.
        (None, Kind::List { item, .. }) if !item.title.uk.is_empty() => item.title.clone(),
        (None, _) => Text {
            uk: name.to_owned(),
            en: name.to_owned(),
        },
    };
    Field {
        name: name.to_owned(),
        title,
        hint: text(&schema, "description", "x-description-en"),
        required,
        kind,
        shown_when: None,
    }
}

/// A title without the parenthesised parts that name the choice's values.
fn without_codes(title: &str, options: &[Choice]) -> String {
    let mut out = String::new();
    let mut rest = title;
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')').map(|c| open + c) else {
            break;
        };
        let inside = &rest[open + 1..close];
        if options.iter().any(|o| inside.contains(o.value.as_str())) {
            out.push_str(rest[..open].trim_end());
        } else {
            out.push_str(&rest[..=close]);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out.trim().to_owned()
}

fn kind(schema: &Value, root: &Value, depth: usize) -> Kind {
    if let Some(options) = choices(schema) {
        return Kind::Choice(options);
    }
    let format = schema["format"].as_str();
    match type_of(schema) {
        "object" if depth < MAX_DEPTH => Kind::Group(children(schema, root, depth)),
        "array" if depth < MAX_DEPTH => {
            let item = resolve(&schema["items"], root, depth + 1);
            if let Some(options) = choices(&item) {
                return Kind::MultiChoice(options);
            }
            Kind::List {
                item: Box::new(field("", &item, true, root, depth)),
                min_items: schema["minItems"].as_u64().unwrap_or(0) as usize,
            }
        }
        "integer" => Kind::Number { integer: true },
        "number" => Kind::Number { integer: false },
        "boolean" => Kind::Boolean,
        _ if format.is_some_and(|f| DATE_FORMATS.contains(&f)) => Kind::Date,
        _ => Kind::Text {
            default: schema["default"].as_str().map(str::to_owned),
            max_length: schema["maxLength"].as_u64(),
            format: format.map(str::to_owned),
            short: schema["maxLength"].as_u64().is_some_and(|m| m <= 30)
                || schema.get("pattern").is_some(),
        },
    }
}

/// The schema's type: its `type` (the first one not `null`), or what its keywords imply.
fn type_of(schema: &Value) -> &str {
    match &schema["type"] {
        Value::String(t) => t,
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "string",
    }
}

fn choices(schema: &Value) -> Option<Vec<Choice>> {
    let values = schema["enum"].as_array()?;
    let own_uk = schema["x-enum-titles"].as_object();
    let own_en = schema["x-enum-titles-en"].as_object();
    let options = values
        .iter()
        .filter_map(Value::as_str)
        .map(|value| {
            let own = |m: Option<&Map<String, Value>>| {
                m.and_then(|m| m.get(value))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let known = super::i18n::choice_label(value);
            let uk = own(own_uk)
                .or_else(|| known.as_ref().map(|k| k.uk.clone()))
                .unwrap_or_else(|| value.to_owned());
            let en = own(own_en)
                .or_else(|| known.as_ref().map(|k| k.en.clone()))
                .unwrap_or_else(|| uk.clone());
            Choice {
                value: value.to_owned(),
                label: Text { uk, en },
            }
        })
        .collect();
    Some(options)
}

fn text(schema: &Value, uk: &str, en: &str) -> Option<Text> {
    let uk = schema[uk].as_str()?.to_owned();
    let en = schema[en]
        .as_str()
        .map_or_else(|| uk.clone(), str::to_owned);
    Some(Text { uk, en })
}

/// The schema with its `$ref` followed and its `allOf` merged in; the schema's own keywords
/// (a property's own title) win over the referenced ones.
fn resolve(schema: &Value, root: &Value, depth: usize) -> Value {
    let Some(own) = schema.as_object() else {
        return schema.clone();
    };
    let mut out: Map<String, Value> = own
        .iter()
        .filter(|(k, _)| *k != "$ref" && *k != "allOf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if depth >= MAX_DEPTH {
        return Value::Object(out);
    }
    let mut parts = Vec::new();
    if let Some(target) = own
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| lookup(root, r))
    {
        parts.push(resolve(target, root, depth + 1));
    }
    for part in own
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        parts.push(resolve(part, root, depth + 1));
    }
    for part in parts {
        merge(&mut out, part);
    }
    Value::Object(out)
}

/// Merge `part` into `out`: `required` lists and `properties` are united (a property both have
/// becomes the `allOf` of the two), any other keyword `out` already has is kept.
fn merge(out: &mut Map<String, Value>, part: Value) {
    let Value::Object(part) = part else { return };
    for (key, value) in part {
        match (key.as_str(), out.get_mut(&key), value) {
            ("required", Some(Value::Array(have)), Value::Array(more)) => {
                for name in more {
                    if !have.contains(&name) {
                        have.push(name);
                    }
                }
            }
            ("properties", Some(Value::Object(have)), Value::Object(more)) => {
                for (name, schema) in more {
                    match have.get_mut(&name) {
                        Some(existing) => {
                            let both = serde_json::json!({ "allOf": [existing.take(), schema] });
                            *existing = both;
                        }
                        None => {
                            have.insert(name, schema);
                        }
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                out.insert(key, value);
            }
        }
    }
}

/// What a `$ref` points at inside the bundled schema: one of its `$defs` (by key or `$id`),
/// then the fragment's JSON pointer within it.
fn lookup<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let (base, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let document = if base.is_empty() {
        root
    } else {
        let defs = root["$defs"].as_object()?;
        defs.get(base)
            .or_else(|| defs.values().find(|d| d["$id"].as_str() == Some(base)))?
    };
    if fragment.is_empty() {
        Some(document)
    } else {
        document.pointer(fragment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reference_is_followed_and_the_propertys_own_title_wins() {
        let root = json!({
            "properties": { "mother": { "$ref": "urn:person", "title": "Мати", "x-title-en": "Mother" } },
            "$defs": { "urn:person": { "title": "Особа", "type": "object",
                "properties": { "surname": { "type": "string", "title": "Прізвище" } },
                "required": ["surname"] } }
        });
        let resolved = resolve(&root, &root, 0);
        let fields = children(&resolved, &root, 0);
        assert_eq!(fields[0].title.uk, "Мати");
        let Kind::Group(inner) = &fields[0].kind else {
            panic!("a group")
        };
        assert!(inner[0].required);
    }

    #[test]
    fn all_of_two_array_schemas_is_one_list_of_their_items() {
        let schema = json!({ "allOf": [
            { "type": "array", "title": "КВЕД", "items": { "type": "string", "format": "kved" }, "minItems": 1 },
            { "type": "array", "items": { "type": "string" } }
        ]});
        let f = field("kved", &schema, true, &json!({}), 0);
        assert_eq!(f.title.uk, "КВЕД");
        assert!(matches!(f.kind, Kind::List { min_items: 1, .. }));
    }

    #[test]
    fn a_date_format_is_a_date_and_an_enum_is_a_choice() {
        let date = field(
            "d",
            &json!({"type": "string", "format": "past-date"}),
            false,
            &json!({}),
            0,
        );
        assert!(matches!(date.kind, Kind::Date));
        let sex = field(
            "s",
            &json!({"type": "string", "enum": ["female", "male"]}),
            false,
            &json!({}),
            0,
        );
        let Kind::Choice(options) = sex.kind else {
            panic!("a choice")
        };
        assert_eq!(options[0].label.uk, "Жіноча");
    }

    #[test]
    fn a_choices_codes_are_dropped_from_its_title() {
        let schema = json!({"type": "string", "enum": ["mother", "father"],
            "title": "Отримувач (mother — мати, father — батько)"});
        assert_eq!(
            field("r", &schema, true, &json!({}), 0).title.uk,
            "Отримувач"
        );
        let schema = json!({"type": "string", "enum": ["id-card", "passport"],
            "title": "Вид документа (ID-картка або паспорт)"});
        assert_eq!(
            field("k", &schema, true, &json!({}), 0).title.uk,
            "Вид документа (ID-картка або паспорт)"
        );
        let schema = json!({"type": "string", "enum": ["box", "compensation"],
            "title": "Пакунок (box) або компенсація (compensation)"});
        assert_eq!(
            field("b", &schema, true, &json!({}), 0).title.uk,
            "Пакунок або компенсація"
        );
    }
}
