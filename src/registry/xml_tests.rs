//! The JSON↔XML rule over hand-made cases, hostile documents, hostile text (proptest) and every
//! service of the shipped catalog with the example applications' data.

use super::*;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

/// `value` written as the children of `<root>`, then read back by `shape`.
fn round_trip(value: &Value, shape: &Shape) -> Value {
    let mut document = String::from("<root>");
    write_children(&mut document, value);
    document.push_str("</root>");
    let root = parse(document.as_bytes()).expect("what was written parses");
    to_json(&root, shape)
}

fn object(fields: &[(&str, Shape)]) -> Shape {
    Shape::Object(
        fields
            .iter()
            .map(|(name, shape)| ((*name).to_owned(), shape.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn text() -> Shape {
    Shape::Leaf(Leaf::String)
}

#[test]
fn a_document_is_read_with_namespaces_unescaped_text_and_without_comments() {
    let document = br#"<?xml version="1.0" encoding="UTF-8"?>
        <!-- a comment -->
        <a:root xmlns:a="urn:a" xmlns="urn:default" kind="x &amp; y">
            <?pi ignored?>
            <first>1 &lt; 2 &amp;&#32;3 &#x44F;</first>
            <second xmlns=""><![CDATA[<raw>]]></second>
            <empty/>
        </a:root>"#;
    let root = parse(document).expect("a well-formed document");
    assert_eq!(root.namespace.as_deref(), Some("urn:a"));
    assert_eq!(root.name, "root");
    assert_eq!(root.attribute("kind"), Some("x & y"));
    assert_eq!(root.text, "", "text of an element with children is trimmed");
    let first = root.child("first").expect("first");
    assert_eq!(first.namespace.as_deref(), Some("urn:default"));
    assert_eq!(first.text, "1 < 2 & 3 я");
    let second = root.child("second").expect("second");
    assert_eq!(
        (second.namespace.as_deref(), second.text.as_str()),
        (None, "<raw>")
    );
    assert_eq!(root.child("empty").map(|e| e.text.as_str()), Some(""));
}

#[test]
fn hostile_documents_are_refused_without_a_panic() {
    let deep = "<a>".repeat(DEPTH + 1) + &"</a>".repeat(DEPTH + 1);
    let fine = "<a>".repeat(DEPTH) + &"</a>".repeat(DEPTH);
    assert!(parse(fine.as_bytes()).is_ok());
    let doctype = br#"<?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
        <lolz>&lol2;</lolz>"#;
    let cases: [(&[u8], &str); 10] = [
        (b"not xml at all", "текст поза кореневим елементом"),
        (b"", "документ порожній"),
        (doctype, "DOCTYPE"),
        (deep.as_bytes(), "глибше"),
        (b"<a><b></a>", "XML"),
        (b"<a><b>", "обірвано"),
        (b"<a/><b/>", "більше одного кореневого"),
        (b"<a>&custom;</a>", "невідома сутність &custom;"),
        (b"<p:a/>", "префікс"),
        (b"<a>\xFF\xFE</a>", "UTF-8"),
    ];
    for (bytes, expected) in cases {
        let e = parse(bytes).expect_err(&String::from_utf8_lossy(bytes));
        assert!(
            e.0.contains(expected),
            "{e} for {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn json_is_written_by_the_documented_rule() {
    let value = json!({
        "name": "Тарас & <Ко>",
        "count": 3,
        "ok": true,
        "none": null,
        "empty": [],
        "list": [1, null, 2],
        "grid": [[1, 2], []],
        "nested": { "b": "x", "a": "y" },
    });
    let mut out = String::new();
    write_children(&mut out, &value);
    assert_eq!(
        out,
        "<name>Тарас &amp; &lt;Ко&gt;</name><count>3</count><ok>true</ok>\
         <list>1</list><list>2</list><grid><item>1</item><item>2</item></grid><grid></grid>\
         <nested><b>x</b><a>y</a></nested>"
    );
}

#[test]
fn a_name_that_is_not_an_xml_name_is_escaped_and_read_back() {
    let value = json!({ "1st name": "a", "_x0041_": "b", "ok": "c", "": "gone" });
    let mut out = String::new();
    write_children(&mut out, &value);
    assert_eq!(
        out,
        "<_x0031_st_x0020_name>a</_x0031_st_x0020_name><_x005F_x0041_>b</_x005F_x0041_><ok>c</ok>"
    );
    assert_eq!(
        round_trip(&value, &Shape::Any),
        json!({ "1st name": "a", "_x0041_": "b", "ok": "c" })
    );
}

#[test]
fn the_shape_says_what_repeats_and_what_a_leaf_is() {
    let shape = object(&[
        ("list", Shape::Array(Box::new(Shape::Leaf(Leaf::Integer)))),
        ("count", Shape::Leaf(Leaf::Integer)),
        ("share", Shape::Leaf(Leaf::Number)),
        ("ok", Shape::Leaf(Leaf::Boolean)),
        (
            "grid",
            Shape::Array(Box::new(Shape::Array(Box::new(text())))),
        ),
        ("nested", object(&[("a", text())])),
    ]);
    let value = json!({
        "list": [7], "count": 3, "share": 0.25, "ok": false, "grid": [["a"], []],
        "nested": {}, "free": { "x": "1", "y": ["2", "3"] },
    });
    assert_eq!(round_trip(&value, &shape), value);
    let document = b"<r><count>three</count><ok>yes</ok><count2> 4 </count2></r>";
    let root = parse(document).expect("parses");
    assert_eq!(
        to_json(&root, &shape),
        json!({ "count": "three", "ok": "yes", "count2": " 4 " }),
        "what does not parse stays a string, for the validator to report"
    );
    let twice = parse(b"<r><count>1</count><count>2</count></r>").expect("parses");
    assert_eq!(to_json(&twice, &shape), json!({ "count": [1, 2] }));
    let mismatched = parse(b"<r><count><n>1</n></count><nested>text</nested></r>").expect("parses");
    assert_eq!(
        to_json(&mismatched, &shape),
        json!({ "count": { "n": "1" }, "nested": "text" }),
        "what holds something else than declared is read as what it holds"
    );
}

#[test]
fn an_element_is_written_as_a_document_and_read_back() {
    let root = Element {
        namespace: Some("urn:x".into()),
        name: "Result".into(),
        attributes: vec![("note".into(), "a \"b\"\n<c>".into())],
        children: vec![Element {
            name: "Number".into(),
            namespace: Some("urn:x".into()),
            text: " 12 & 13\r\n".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let written = write(&root);
    assert!(written.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert_eq!(parse(written.as_bytes()).expect("parses"), root);
}

#[test]
fn every_service_s_example_request_survives_json_to_xml_and_back() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let catalog = crate::bundle::compile(&root).expect("the shipped catalog compiles");
    let examples = std::fs::read_dir(root.join("bundles/examples")).expect("examples");
    let mut checked = 0;
    for path in examples.map(|e| e.expect("entry").path()) {
        let text = std::fs::read_to_string(&path).expect("readable");
        let example: Value = serde_json::from_str(&text).expect("JSON");
        for service in catalog.services.values() {
            let mut request = Map::new();
            for (name, shape) in &service.input.shapes {
                if let Some(value) = example["data"].get(name) {
                    request.insert(name.clone(), shape.project(value));
                }
            }
            if request.is_empty() {
                continue;
            }
            let request = Value::Object(request);
            let shape = Shape::Object(service.input.shapes.clone());
            let back = round_trip(&request, &shape);
            assert_eq!(back, request, "{} with {}", service.id, path.display());
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} requests checked");
}

/// Text of characters XML 1.0 can carry, hostile ones often.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<".to_owned()),
        Just("&".to_owned()),
        Just("]]>".to_owned()),
        Just("&amp;".to_owned()),
        Just("\t\n\r\r\n ".to_owned()),
        Just("Мар\u{2BC}яна".to_owned()),
        Just("\"'>".to_owned()),
        any::<char>()
            .prop_filter("XML 1.0 can carry it", |c| is_xml_char(*c))
            .prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn hostile_text_survives_json_to_xml_and_back(text in hostile_text(), key in hostile_text()) {
        let shape = object(&[("s", Shape::Leaf(Leaf::String)), ("l", Shape::Array(Box::new(Shape::Leaf(Leaf::String))))]);
        let value = json!({ "s": text, "l": [text, "x"] });
        prop_assert_eq!(round_trip(&value, &shape), value);
        prop_assume!(!key.is_empty());
        let keyed = json!({ (key.clone()): text });
        prop_assert_eq!(round_trip(&keyed, &Shape::Any), keyed);
    }

    #[test]
    fn any_bytes_are_parsed_or_refused_without_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse(&bytes);
    }
}
