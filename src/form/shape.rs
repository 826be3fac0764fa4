//! The fields a form declares, nested: what a registry may receive. A request carries the
//! applicant's data projected onto its service's form — an object keeps only the properties the
//! form names, an array projects each item — so a registry never gets a field another service
//! asked for (the mother's identity document does not reach the tax service). Worked out once
//! per service when the definitions load, `$ref`s followed through the form files.

use serde_json::Value;
use std::collections::BTreeMap;

/// What a schema lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Anything: a leaf, or an object whose fields the schema does not list.
    Any,
    /// Only these properties, each with its own shape.
    Object(BTreeMap<String, Shape>),
    /// Items of this shape.
    Array(Box<Shape>),
}

/// How deep `$ref`s are followed (a form that refers to itself stops here).
const DEPTH: usize = 32;

impl Shape {
    /// The shape of `schema` (its `$ref`s absolute), resolving against the form files `forms`
    /// (by their path under `forms/`).
    pub fn of(schema: &Value, forms: &BTreeMap<String, Value>) -> Shape {
        of(schema, forms, 0)
    }

    /// `value` with what this shape does not declare left out.
    pub fn project(&self, value: &Value) -> Value {
        match (self, value) {
            (Shape::Object(fields), Value::Object(map)) => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| fields.get(k).map(|s| (k.clone(), s.project(v))))
                    .collect(),
            ),
            (Shape::Array(item), Value::Array(items)) => {
                Value::Array(items.iter().map(|v| item.project(v)).collect())
            }
            _ => value.clone(),
        }
    }

    /// What either lets through.
    fn union(self, other: Shape) -> Shape {
        match (self, other) {
            (Shape::Object(mut a), Shape::Object(b)) => {
                for (key, shape) in b {
                    let merged = match a.remove(&key) {
                        Some(existing) => existing.union(shape),
                        None => shape,
                    };
                    a.insert(key, merged);
                }
                Shape::Object(a)
            }
            (Shape::Array(a), Shape::Array(b)) => Shape::Array(Box::new(a.union(*b))),
            _ => Shape::Any,
        }
    }
}

fn of(schema: &Value, forms: &BTreeMap<String, Value>, depth: usize) -> Shape {
    let Some(map) = schema.as_object() else {
        return Shape::Any;
    };
    if depth > DEPTH {
        return Shape::Any;
    }
    let mut parts: Vec<Shape> = Vec::new();
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        parts.push(match resolve(reference, forms) {
            Some(target) => of(&target, forms, depth + 1),
            None => Shape::Any,
        });
    }
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        let fields = properties
            .iter()
            .map(|(k, v)| (k.clone(), of(v, forms, depth + 1)))
            .collect();
        parts.push(Shape::Object(fields));
    }
    if let Some(items) = map.get("items") {
        parts.push(Shape::Array(Box::new(of(items, forms, depth + 1))));
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        for sub in map
            .get(keyword)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            parts.push(of(sub, forms, depth + 1));
        }
    }
    // `if` only tests; what `then` and `else` add is declared.
    for keyword in ["then", "else"] {
        if let Some(sub) = map.get(keyword) {
            parts.push(of(sub, forms, depth + 1));
        }
    }
    let leaf = parts.is_empty()
        || map
            .get("additionalProperties")
            .is_some_and(|a| a.is_object());
    if leaf {
        return Shape::Any;
    }
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or(Shape::Any);
    parts.fold(first, Shape::union)
}

/// The schema an absolute `$ref` points at (its own `$ref`s made absolute against its file).
fn resolve(reference: &str, forms: &BTreeMap<String, Value>) -> Option<Value> {
    let (uri, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let relative = uri.strip_prefix(super::schemas::Schemas::BASE)?;
    let mut target = forms.get(relative)?.pointer(fragment)?.clone();
    super::schemas::absolutize_refs(&mut target, uri).ok()?;
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::Shape;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn a_request_keeps_only_the_nested_fields_its_form_declares() {
        let base = crate::form::Schemas::BASE;
        let forms = BTreeMap::from([(
            "common/person.schema.json".to_owned(),
            json!({ "type": "object", "properties": {
                "surname": { "type": "string" },
                "document": { "type": "object", "properties": { "number": { "type": "string" } } },
            } }),
        )]);
        let narrow = json!({ "type": "object", "properties": {
            "surname": { "$ref": format!("{base}common/person.schema.json#/properties/surname") },
        } });
        let whole = json!({ "$ref": format!("{base}common/person.schema.json"), "title": "Мати" });
        let mother =
            json!({ "surname": "Коваленко", "document": { "number": "000123456", "x": 1 } });
        assert_eq!(
            Shape::of(&narrow, &forms).project(&mother),
            json!({ "surname": "Коваленко" })
        );
        assert_eq!(
            Shape::of(&whole, &forms).project(&mother),
            json!({ "surname": "Коваленко", "document": { "number": "000123456" } })
        );
        let list = json!({ "type": "array", "items": narrow });
        assert_eq!(
            Shape::of(&list, &forms).project(&json!([mother, { "surname": "Б" }])),
            json!([{ "surname": "Коваленко" }, { "surname": "Б" }])
        );
        assert_eq!(Shape::of(&json!({ "type": "string" }), &forms), Shape::Any);
    }
}
