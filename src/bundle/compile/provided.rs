//! What a form can provide to a template: its fields as a tree, nested through `$ref`s (into
//! other form files), `allOf`/`anyOf`/`oneOf`, `then`/`else` and array `items`, so that a
//! template's paths can be looked up in it when the definitions load. A field several schemas
//! describe provides what any of them declares. It reads nothing but the form files it is given.

use crate::form::Schemas;
use serde_json::Value;
use std::collections::BTreeMap;

/// What a value of a form may hold below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Provided {
    /// Anything: the schema does not list what is below (or a `$ref` could not be followed).
    Open,
    /// One value (a text, a number, yes or no) with nothing below it.
    Value,
    /// These named fields.
    Object(BTreeMap<String, Provided>),
    /// A list of items, each like this.
    List(Box<Provided>),
}

/// What a template may name anywhere: the stand-in for a value nothing is known about.
pub(super) static OPEN: Provided = Provided::Open;
/// A single value (an `@index`, a `#each` key).
pub(super) static VALUE: Provided = Provided::Value;

/// How deep `$ref`s are followed (a form that refers to itself stops here, as `Open`).
const DEPTH: usize = 32;

impl Provided {
    /// What `schema` (its `$ref`s absolute) provides, resolving against the form files `forms`
    /// (by their path under `forms/`).
    pub(super) fn of(schema: &Value, forms: &BTreeMap<String, Value>) -> Provided {
        of(schema, forms, 0).unwrap_or(Provided::Open)
    }

    /// What either provides: the fields of both, and anything where they disagree in kind.
    pub(super) fn union(self, other: Provided) -> Provided {
        match (self, other) {
            (Provided::Open, _) | (_, Provided::Open) => Provided::Open,
            (Provided::Value, x) | (x, Provided::Value) => x,
            (Provided::Object(mut a), Provided::Object(b)) => {
                for (key, field) in b {
                    let merged = match a.remove(&key) {
                        Some(existing) => existing.union(field),
                        None => field,
                    };
                    a.insert(key, merged);
                }
                Provided::Object(a)
            }
            (Provided::List(a), Provided::List(b)) => Provided::List(Box::new(a.union(*b))),
            _ => Provided::Open,
        }
    }
}

/// What `schema` provides, or `None` when it says nothing about what is below it (a schema
/// that only constrains, like `{"required": [...]}` inside an `allOf`).
fn of(schema: &Value, forms: &BTreeMap<String, Value>, depth: usize) -> Option<Provided> {
    let map = match schema {
        Value::Object(map) => map,
        Value::Bool(true) => return Some(Provided::Open),
        _ => return None,
    };
    if depth > DEPTH {
        return Some(Provided::Open);
    }
    let below = |sub: &Value| of(sub, forms, depth + 1);
    let mut parts: Vec<Provided> = Vec::new();
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        let target = resolve(reference, forms);
        parts.extend(target.map_or(Some(Provided::Open), |t| below(&t)));
    }
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        let fields = properties
            .iter()
            .map(|(k, v)| (k.clone(), below(v).unwrap_or(Provided::Open)))
            .collect();
        parts.push(Provided::Object(fields));
    }
    // Fields beyond the listed ones, under any name: a template may name anything there.
    let open_ended = map
        .get("additionalProperties")
        .is_some_and(|a| *a != Value::Bool(false))
        || map.contains_key("patternProperties");
    if open_ended {
        parts.push(Provided::Open);
    }
    if let Some(items) = map.get("items") {
        let item = below(items).unwrap_or(Provided::Open);
        parts.push(Provided::List(Box::new(item)));
    }
    // `if` only tests; what `then` and `else` add is declared.
    for keyword in ["allOf", "anyOf", "oneOf"] {
        let subs = map.get(keyword).and_then(Value::as_array);
        parts.extend(subs.into_iter().flatten().filter_map(below));
    }
    parts.extend(["then", "else"].iter().filter_map(|k| below(map.get(*k)?)));
    if parts.is_empty() {
        return by_type(map);
    }
    parts.into_iter().reduce(Provided::union)
}

/// What a schema without fields, items or references provides, by its `type` (or `enum`,
/// `const`): an object of unlisted fields is open, an array's items are unknown.
fn by_type(map: &serde_json::Map<String, Value>) -> Option<Provided> {
    let types: Vec<&str> = match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ if map.contains_key("enum") || map.contains_key("const") => return Some(Provided::Value),
        _ => return None,
    };
    if types.contains(&"object") {
        let closed = map.get("additionalProperties") == Some(&Value::Bool(false));
        Some(if closed {
            Provided::Object(BTreeMap::new())
        } else {
            Provided::Open
        })
    } else if types.contains(&"array") {
        Some(Provided::List(Box::new(Provided::Open)))
    } else {
        Some(Provided::Value)
    }
}

/// The schema an absolute `$ref` points at, its own `$ref`s made absolute against its file;
/// `None` when it is not one of the form files (a broken one is reported on its own).
fn resolve(reference: &str, forms: &BTreeMap<String, Value>) -> Option<Value> {
    let (uri, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let relative = uri.strip_prefix(Schemas::BASE)?;
    let mut target = forms.get(relative)?.pointer(fragment)?.clone();
    crate::form::absolutize(&mut target, uri).ok()?;
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::Provided;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn fields(list: &[(&str, Provided)]) -> Provided {
        let map = list.iter().map(|(k, v)| ((*k).to_owned(), v.clone()));
        Provided::Object(map.collect())
    }

    #[test]
    fn fields_are_found_through_refs_all_of_and_array_items() {
        let base = crate::form::Schemas::BASE;
        let forms = BTreeMap::from([(
            "common/child.schema.json".to_owned(),
            json!({ "type": "object", "properties": {
                "given_name": { "type": "string" },
                "birth": { "allOf": [
                    { "type": "object", "properties": { "date": { "type": "string" } } },
                    { "required": ["date"] },
                ] },
            } }),
        )]);
        let children = json!({ "type": "array", "items": {
            "$ref": format!("{base}common/child.schema.json"),
        } });
        let birth = fields(&[("date", Provided::Value)]);
        let child = fields(&[("birth", birth), ("given_name", Provided::Value)]);
        assert_eq!(
            Provided::of(&children, &forms),
            Provided::List(Box::new(child))
        );
    }

    #[test]
    fn an_object_that_lists_no_fields_may_hold_anything() {
        let forms = BTreeMap::new();
        assert_eq!(
            Provided::of(&json!({ "type": "object" }), &forms),
            Provided::Open
        );
        let map = json!({ "type": "object", "properties": { "a": {} },
            "additionalProperties": { "type": "string" } });
        assert_eq!(Provided::of(&map, &forms), Provided::Open);
        let missing = json!({ "$ref": "https://onestop.invalid/forms/nowhere.schema.json" });
        assert_eq!(Provided::of(&missing, &forms), Provided::Open);
        assert_eq!(
            Provided::of(&json!({ "type": ["string", "null"] }), &forms),
            Provided::Value
        );
    }
}
