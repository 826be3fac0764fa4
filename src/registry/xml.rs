//! JSON as XML and back, by one rule: an object is its properties as child elements, in order;
//! an array is its element repeated once per item (an array of arrays: each inner array is one
//! element whose items are nested `item` elements, `"a": [[1, 2], []]` is
//! `<a><item>1</item><item>2</item></a><a/>`); a string, number or boolean is the element's
//! text; `null` (in an array too) and an empty array are left out. No attributes. A property
//! name that is not an XML name is written with each offending character as `_xHHHH_` (as
//! .NET's `XmlConvert.EncodeName` does) and read back the same way; an empty name is left out.
//! A character XML 1.0 cannot carry at all (most C0 controls) is written as U+FFFD.
//!
//! Reading XML back needs the schema's `Shape` to know which elements repeat (arrays) and which
//! leaves are numbers or booleans. Reading a document refuses a DOCTYPE (no entity is ever
//! expanded), text in encodings other than UTF-8, and nesting deeper than `DEPTH`; how large a
//! document may be is the caller's limit. This module knows nothing of SOAP (`soap` does).

use crate::form::{Leaf, Shape};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;

mod names;
use names::{decode_name, encode_name};

/// How deep a document may nest (a SOAP answer needs a dozen levels at most).
pub const DEPTH: usize = 64;

/// A parsed XML element: its namespace, local name, attributes, child elements and text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub namespace: Option<String>,
    pub name: String,
    /// Attributes by local name (namespace declarations left out), values unescaped.
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The element's own text (unescaped, trimmed when it has children).
    pub text: String,
}

/// Why a document could not be read (the text is for people: in Ukrainian).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(pub String);

fn error(text: impl Into<String>) -> XmlError {
    XmlError(text.into())
}

/// Whether `name` is an XML name without a colon (an NCName), as element names must be.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    name_start(first) && chars.all(name_char)
}

fn name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Parse a whole document into its root element.
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| error("документ не в кодуванні UTF-8"))?;
    let mut reader = NsReader::from_str(text);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (namespace, event) = reader
            .read_resolved_event()
            .map_err(|e| error(format!("документ не є правильним XML: {e}")))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(error("у документі більше одного кореневого елемента"));
            }
            Event::Start(start) => {
                if open.len() >= DEPTH {
                    return Err(error(format!(
                        "документ вкладений глибше за {DEPTH} рівнів"
                    )));
                }
                open.push(element(namespace, &start)?);
            }
            Event::Empty(start) => {
                let done = element(namespace, &start)?;
                close(&mut open, &mut root, done);
            }
            Event::End(_) => {
                let done = open.pop().ok_or_else(|| error("зайвий закривний тег"))?;
                close(&mut open, &mut root, done);
            }
            Event::Text(text) => add_text(&mut open, &text.xml10_content())?,
            Event::CData(data) => add_text(&mut open, &data.xml10_content())?,
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => quick_xml::escape::resolve_xml_entity(&reference)
                        .ok_or_else(|| error(format!("невідома сутність &{};", &*reference)))?
                        .to_owned(),
                    Err(e) => return Err(error(format!("хибне посилання на символ: {e}"))),
                };
                add_text(&mut open, &resolved)?;
            }
            Event::DocType(_) => return Err(error("DOCTYPE у документі не дозволено")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof if !open.is_empty() => return Err(error("документ обірвано")),
            Event::Eof => return root.ok_or_else(|| error("документ порожній")),
        }
    }
}

/// A new element from its start tag: namespace, local name and attributes.
fn element(namespace: ResolveResult<'_>, start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let namespace = match namespace {
        ResolveResult::Bound(ns) => Some(ns.as_ref().to_owned()),
        ResolveResult::Unbound => None,
        ResolveResult::Unknown(prefix) => {
            return Err(error(format!("невідомий префікс простору імен {prefix}")));
        }
    };
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| error(format!("хибний атрибут: {e}")))?;
        if attribute.key.as_namespace_binding().is_some() {
            continue;
        }
        let local = attribute.key.local_name();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| error(format!("хибне значення атрибута: {e}")))?;
        attributes.push((local.as_ref().to_owned(), value.into_owned()));
    }
    Ok(Element {
        namespace,
        name: start.local_name().as_ref().to_owned(),
        attributes,
        ..Default::default()
    })
}

/// A finished element goes to its parent, or is the root.
fn close(open: &mut [Element], root: &mut Option<Element>, mut done: Element) {
    if !done.children.is_empty() {
        done.text = done.text.trim().to_owned();
    }
    match open.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

fn add_text(open: &mut [Element], text: &str) -> Result<(), XmlError> {
    match open.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(error("текст поза кореневим елементом")),
    }
    Ok(())
}

/// Write `value` as the children of an element (the caller writes the element itself): an
/// object's properties as elements, anything else as the text (an array's items as `item`).
pub fn write_children(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            for (name, value) in map {
                write_element(out, name, value);
            }
        }
        Value::Array(items) => {
            for item in items {
                write_item(out, "item", item);
            }
        }
        other => write_scalar(out, other),
    }
}

/// `value` as the element(s) `name`: none for `null`, one per item for an array.
fn write_element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                write_item(out, name, item);
            }
        }
        other => {
            let Some(name) = encode_name(name) else {
                return;
            };
            let _ = write!(out, "<{name}>");
            write_children(out, other);
            let _ = write!(out, "</{name}>");
        }
    }
}

/// One item of an array as the element `name`: an inner array nests its items as `item`.
fn write_item(out: &mut String, name: &str, item: &Value) {
    match item {
        Value::Null => {}
        Value::Array(inner) => {
            let Some(name) = encode_name(name) else {
                return;
            };
            let _ = write!(out, "<{name}>");
            for each in inner {
                write_item(out, "item", each);
            }
            let _ = write!(out, "</{name}>");
        }
        other => write_element(out, name, other),
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::String(text) => escape_into(out, text, false),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        _ => {}
    }
}

/// `text` escaped for element content or a double-quoted attribute value alike.
pub fn escape(out: &mut String, text: &str) {
    escape_into(out, text, true);
}

/// `text` escaped for element content (or, `attribute`, a double-quoted attribute value): what
/// a reader would change (`\r`, and in an attribute tabs and line ends) as character references.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Whether XML 1.0 can carry `c` at all (its `Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Read an element's children as JSON, guided by `shape` (an object's): an object (a leaf or
/// array shape reads the element itself as that).
pub fn to_json(element: &Element, shape: &Shape) -> Value {
    match shape {
        Shape::Object(_) | Shape::Any => object(element, shape),
        other => value(element, other),
    }
}

/// The children of `element` as an object: a field whose shape is an array collects every
/// element of its name (one is still an array); a name that repeats where the shape expects
/// one value (or declares nothing) becomes an array too, for the validator to judge.
fn object(element: &Element, shape: &Shape) -> Value {
    let fields = match shape {
        Shape::Object(fields) => Some(fields),
        _ => None,
    };
    let mut groups: Vec<(&str, Vec<&Element>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for child in &element.children {
        let at = *index.entry(child.name.as_str()).or_insert_with(|| {
            groups.push((child.name.as_str(), Vec::new()));
            groups.len() - 1
        });
        if let Some((_, same)) = groups.get_mut(at) {
            same.push(child);
        }
    }
    let mut map = Map::new();
    for (name, same) in groups {
        let name = decode_name(name);
        let field = fields
            .and_then(|f| f.get(name.as_ref()))
            .unwrap_or(&Shape::Any);
        let read = match (field, same.as_slice()) {
            (Shape::Array(item), _) => Value::Array(same.iter().map(|c| value(c, item)).collect()),
            (_, [one]) => value(one, field),
            _ => Value::Array(same.iter().map(|c| value(c, field)).collect()),
        };
        map.insert(name.into_owned(), read);
    }
    Value::Object(map)
}

/// One element as the value `shape` says it holds. An element that holds something else (text
/// where an object is declared, elements where a leaf is) is read as what it holds, for the
/// validator to report rather than be silently emptied.
fn value(element: &Element, shape: &Shape) -> Value {
    let text_only = element.children.is_empty() && !element.text.trim().is_empty();
    match shape {
        Shape::Object(_) if text_only => Value::String(element.text.clone()),
        Shape::Leaf(_) if !element.children.is_empty() => object(element, &Shape::Any),
        Shape::Object(_) => object(element, shape),
        Shape::Array(item) => {
            let items = element.children.iter().filter(|c| c.name == "item");
            Value::Array(items.map(|c| value(c, item)).collect())
        }
        Shape::Leaf(_) => leaf(&element.text, shape),
        Shape::Any if element.children.is_empty() => Value::String(element.text.clone()),
        Shape::Any => object(element, shape),
    }
}

/// A leaf's text as the JSON value `shape` declares (a number, a boolean, else a string). Text
/// that is not what the shape declares stays a string, for the validator to report.
pub fn leaf(text: &str, shape: &Shape) -> Value {
    let trimmed = text.trim();
    match shape {
        Shape::Leaf(Leaf::Integer | Leaf::Number) => {
            match serde_json::from_str::<serde_json::Number>(trimmed) {
                Ok(number) if !trimmed.is_empty() => Value::Number(number),
                _ => Value::String(text.to_owned()),
            }
        }
        Shape::Leaf(Leaf::Boolean) => match trimmed {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    }
}

impl Element {
    /// The first child named `name` (any namespace).
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The value of the attribute named `name` (any namespace).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        let found = self.attributes.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }
}

/// A document of `root` (an XML declaration, then the element with its children and text).
/// Each element's namespace is its default namespace, declared where it changes.
pub fn write(root: &Element) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_element_tree(&mut out, root, None);
    out
}

fn write_element_tree(out: &mut String, element: &Element, parent: Option<&str>) {
    let name = encode_name(&element.name).unwrap_or(Cow::Borrowed("_"));
    let _ = write!(out, "<{name}");
    let namespace = element.namespace.as_deref();
    if namespace != parent {
        out.push_str(" xmlns=\"");
        escape_into(out, namespace.unwrap_or(""), true);
        out.push('"');
    }
    for (attribute, value) in &element.attributes {
        if let Some(attribute) = encode_name(attribute) {
            let _ = write!(out, " {attribute}=\"");
            escape_into(out, value, true);
            out.push('"');
        }
    }
    out.push('>');
    escape_into(out, &element.text, false);
    for child in &element.children {
        write_element_tree(out, child, namespace);
    }
    let _ = write!(out, "</{name}>");
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
