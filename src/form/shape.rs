//! The fields a form declares, nested: what a registry may receive. A request carries the
//! applicant's data projected onto its service's form — an object keeps only the properties the
//! form names, an array projects each item — so a registry never gets a field another service
//! asked for (the mother's identity document does not reach the tax service). Worked out once
//! per service when the definitions load, `$ref`s followed through the form files.
//!
//! A leaf keeps its declared type (`Leaf`), so that an answer in XML, all text, is read back as
//! the numbers and booleans its schema declares (`registry::xml`). Keywords side by side,
//! `allOf` and `then`/`else` add up (a sub-schema that says nothing of a shape, such as
//! `{"required": […]}`, adds nothing); `anyOf`/`oneOf` alternatives let through what any does.

use serde_json::Value;
use std::collections::BTreeMap;

/// What a schema lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Anything: a leaf of no one declared type, or an object whose fields the schema does not
    /// list.
    Any,
    /// A scalar of one declared type (what an XML answer's text is read as).
    Leaf(Leaf),
    /// Only these properties, each with its own shape.
    Object(BTreeMap<String, Shape>),
    /// Items of this shape.
    Array(Box<Shape>),
}

/// The type of a scalar, from a schema's `type` (or an `enum`/`const` whose values share one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    String,
    Integer,
    Number,
    Boolean,
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

    /// What either of two alternatives (`anyOf`, `oneOf`) lets through: an alternative that
    /// lets anything through makes the whole so.
    fn union(self, other: Shape) -> Shape {
        match (self, other) {
            (Shape::Object(a), Shape::Object(b)) => Shape::Object(fields(a, b, Shape::union)),
            (Shape::Array(a), Shape::Array(b)) => Shape::Array(Box::new(a.union(*b))),
            (Shape::Leaf(a), Shape::Leaf(b)) if a == b => Shape::Leaf(a),
            _ => Shape::Any,
        }
    }

    /// What a value satisfying both (`allOf`, `then`, keywords side by side) is: the fields
    /// either declares; `Any` (a schema that says nothing of a shape, such as
    /// `{"maximum": 3}`) adds nothing.
    fn merge(self, other: Shape) -> Shape {
        match (self, other) {
            (Shape::Any, shape) | (shape, Shape::Any) => shape,
            (Shape::Object(a), Shape::Object(b)) => Shape::Object(fields(a, b, Shape::merge)),
            (Shape::Array(a), Shape::Array(b)) => Shape::Array(Box::new(a.merge(*b))),
            (Shape::Leaf(a), Shape::Leaf(b)) if a == b => Shape::Leaf(a),
            _ => Shape::Any,
        }
    }
}

/// The fields of two objects, those both declare combined by `combine`.
fn fields(
    mut a: BTreeMap<String, Shape>,
    b: BTreeMap<String, Shape>,
    combine: fn(Shape, Shape) -> Shape,
) -> BTreeMap<String, Shape> {
    for (key, shape) in b {
        let combined = match a.remove(&key) {
            Some(existing) => combine(existing, shape),
            None => shape,
        };
        a.insert(key, combined);
    }
    a
}

fn of(schema: &Value, forms: &BTreeMap<String, Value>, depth: usize) -> Shape {
    let Some(map) = schema.as_object() else {
        return Shape::Any;
    };
    if depth > DEPTH
        || map
            .get("additionalProperties")
            .is_some_and(Value::is_object)
    {
        return Shape::Any;
    }
    let mut parts: Vec<Shape> = Vec::new();
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        let target = resolve(reference, forms);
        parts.push(target.map_or(Shape::Any, |t| of(&t, forms, depth + 1)));
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
    for keyword in [["anyOf"], ["oneOf"]] {
        let alternatives = subschemas(map, &keyword).map(|sub| of(sub, forms, depth + 1));
        parts.extend(alternatives.reduce(Shape::union));
    }
    // `if` only tests; what `then` and `else` add is declared.
    for sub in subschemas(map, &["allOf", "then", "else"]) {
        parts.push(of(sub, forms, depth + 1));
    }
    parts.extend(leaf(map).map(Shape::Leaf));
    parts.into_iter().reduce(Shape::merge).unwrap_or(Shape::Any)
}

/// The sub-schemas under `keywords` (arrays of schemas, or one schema).
fn subschemas<'a>(
    map: &'a serde_json::Map<String, Value>,
    keywords: &'a [&str],
) -> impl Iterator<Item = &'a Value> {
    keywords
        .iter()
        .filter_map(|k| map.get(*k))
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            one => vec![one],
        })
}

/// The scalar type a schema declares: its `type` (a name, or an array where exactly one name
/// is not `null`), else what all of its `enum`/`const` values are.
fn leaf(map: &serde_json::Map<String, Value>) -> Option<Leaf> {
    let named = |name: &str| match name {
        "string" => Some(Leaf::String),
        "integer" => Some(Leaf::Integer),
        "number" => Some(Leaf::Number),
        "boolean" => Some(Leaf::Boolean),
        _ => None,
    };
    match map.get("type") {
        Some(Value::String(name)) => return named(name),
        Some(Value::Array(names)) => {
            let mut types = names
                .iter()
                .filter_map(Value::as_str)
                .filter(|n| *n != "null");
            return match (types.next(), types.next()) {
                (Some(one), None) => named(one),
                _ => None,
            };
        }
        _ => {}
    }
    let mut values: Vec<&Value> = map.get("const").into_iter().collect();
    values.extend(
        map.get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    let mut leaves = values.into_iter().map(|v| match v {
        Value::String(_) => Some(Leaf::String),
        Value::Bool(_) => Some(Leaf::Boolean),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(Leaf::Integer),
        Value::Number(_) => Some(Leaf::Number),
        _ => None,
    });
    let first = leaves.next()??;
    leaves.all(|l| l == Some(first)).then_some(first)
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
    use super::{Leaf, Shape};
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
        assert_eq!(Shape::of(&json!({ "type": "object" }), &forms), Shape::Any);
    }

    #[test]
    fn a_leaf_is_typed_by_its_type_keyword_or_by_its_enumerated_values() {
        let forms = BTreeMap::new();
        let shape = |schema| Shape::of(&schema, &forms);
        assert_eq!(
            shape(json!({ "type": "string" })),
            Shape::Leaf(Leaf::String)
        );
        assert_eq!(
            shape(json!({ "type": "string", "format": "date", "pattern": "^2" })),
            Shape::Leaf(Leaf::String)
        );
        assert_eq!(
            shape(json!({ "type": "integer" })),
            Shape::Leaf(Leaf::Integer)
        );
        assert_eq!(
            shape(json!({ "type": "number" })),
            Shape::Leaf(Leaf::Number)
        );
        assert_eq!(
            shape(json!({ "type": "boolean" })),
            Shape::Leaf(Leaf::Boolean)
        );
        assert_eq!(
            shape(json!({ "type": ["integer", "null"] })),
            Shape::Leaf(Leaf::Integer)
        );
        assert_eq!(shape(json!({ "type": ["integer", "string"] })), Shape::Any);
        assert_eq!(shape(json!({ "type": ["null"] })), Shape::Any);
        assert_eq!(
            shape(json!({ "enum": ["a", "b"] })),
            Shape::Leaf(Leaf::String)
        );
        assert_eq!(
            shape(json!({ "const": "marriage" })),
            Shape::Leaf(Leaf::String)
        );
        assert_eq!(shape(json!({ "enum": ["a", 1] })), Shape::Any);
        assert_eq!(shape(json!({ "pattern": "^[0-9]+$" })), Shape::Any);
        assert_eq!(shape(json!({})), Shape::Any);
    }

    #[test]
    fn equal_leaves_unite_into_that_leaf_and_different_ones_into_anything() {
        let forms = BTreeMap::new();
        let shape = |schema| Shape::of(&schema, &forms);
        assert_eq!(
            shape(json!({ "anyOf": [{ "type": "string" }, { "type": "string", "maxLength": 3 }] })),
            Shape::Leaf(Leaf::String)
        );
        assert_eq!(
            shape(json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] })),
            Shape::Any
        );
        assert_eq!(
            shape(json!({ "oneOf": [{ "type": "integer" }, {}] })),
            Shape::Any,
            "a branch that says nothing lets anything through"
        );
    }

    #[test]
    fn a_then_that_only_requires_fields_keeps_the_object_s_declared_fields() {
        let forms = BTreeMap::new();
        let schema = json!({
            "type": "object",
            "properties": { "basis": { "type": "string" }, "count": { "type": "integer" } },
            "if": { "properties": { "basis": { "const": "marriage" } } },
            "then": { "required": ["count"] },
        });
        let expected = Shape::Object(BTreeMap::from([
            ("basis".to_owned(), Shape::Leaf(Leaf::String)),
            ("count".to_owned(), Shape::Leaf(Leaf::Integer)),
        ]));
        assert_eq!(Shape::of(&schema, &forms), expected);
        assert_eq!(
            expected.project(&json!({ "basis": "marriage", "count": 2, "x": 1 })),
            json!({ "basis": "marriage", "count": 2 })
        );
    }
}
