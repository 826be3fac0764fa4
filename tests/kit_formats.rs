//! The mobile kit judges values on the device with a JavaScript port of the server's format
//! checks (`assets/kit/formats.js`). Both judge the shared corpus (`tests/fixtures/
//! formats-corpus.json`, written by `scripts/format-corpus`) and must agree on every value; the
//! corpus must hold at least 200 values per format, valid and invalid ones both.
//!
//! Needs Node.js (the browser tests need it too).

use onestop::form::CUSTOM_FORMATS;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn corpus_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats-corpus.json")
}

fn corpus() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(corpus_path()).expect("the corpus is there");
    serde_json::from_str(&text).expect("the corpus is JSON")
}

/// The kit's verdicts, from Node; run twice around the server's, today is the same day for
/// both unless midnight in Kyiv passes between (then the two runs differ and the test says so).
fn kit_verdicts(corpus: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<bool>> {
    let corpus = serde_json::to_value(corpus).expect("the corpus as JSON");
    serde_json::from_value(node("judge.mjs", &corpus)).expect("a list of verdicts per format")
}

#[test]
fn the_kit_and_the_server_judge_every_value_of_the_shared_corpus_alike() {
    let corpus = corpus();
    let before = kit_verdicts(&corpus);
    let server: BTreeMap<&str, Vec<bool>> = CUSTOM_FORMATS
        .iter()
        .map(|(name, check)| {
            let values = corpus
                .get(*name)
                .unwrap_or_else(|| panic!("the corpus has {name}"));
            (*name, values.iter().map(|v| check(v)).collect())
        })
        .collect();
    let after = kit_verdicts(&corpus);
    assert_eq!(
        before, after,
        "midnight in Kyiv passed during the test: run it again"
    );
    let mut disagreements = Vec::new();
    for (name, verdicts) in &server {
        let kit = before
            .get(*name)
            .unwrap_or_else(|| panic!("the kit judged {name}"));
        for (i, (ours, theirs)) in verdicts.iter().zip(kit).enumerate() {
            if ours != theirs {
                disagreements.push(format!(
                    "{name} {:?}: server {ours}, kit {theirs}",
                    corpus[*name][i]
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn the_corpus_holds_two_hundred_values_per_format_both_valid_and_invalid_ones() {
    let corpus = corpus();
    for (name, check) in CUSTOM_FORMATS {
        let values = corpus
            .get(*name)
            .unwrap_or_else(|| panic!("the corpus has {name}"));
        let valid = values.iter().filter(|v| check(v)).count();
        assert!(values.len() >= 200, "{name}: {} values", values.len());
        // Group 2 of the single tax refuses four activity codes in all: it cannot have more.
        assert!(valid >= 4, "{name}: only {valid} valid values");
        assert!(
            values.len() - valid >= 4,
            "{name}: only {} invalid values",
            values.len() - valid
        );
    }
    assert_eq!(
        corpus.len(),
        CUSTOM_FORMATS.len(),
        "no format in the corpus the server lacks"
    );
}

/// Run a Node script of `tests/kit/` with `input` on its standard input; its JSON output.
fn node(script: &str, input: &Value) -> Value {
    use std::io::Write;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/kit")
        .join(script);
    let mut child = Command::new("node")
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs (Node.js is needed for the kit's tests: scripts/test installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    let text = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let output = child.wait_with_output().expect("node ends");
    writer.join().expect("written").expect("written");
    assert!(
        output.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

/// The example application of each shipped bundle and many near misses of it: each leaf
/// emptied, made too long, given the wrong type or a hostile text, left out; an unknown field
/// beside it; each list emptied.
fn cases(data: &Value) -> Vec<Value> {
    let mut out = vec![data.clone(), json!({})];
    let mut pointers = Vec::new();
    leaves(data, String::new(), &mut pointers);
    for pointer in &pointers {
        let replaced = [
            json!(""),
            json!("x".repeat(300)),
            json!(12345),
            json!(true),
            Value::Null,
            json!("Олена2"),
            json!("<script>"),
            json!("2999-01-01"),
            json!([]),
        ];
        for value in replaced {
            let mut case = data.clone();
            if let Some(slot) = case.pointer_mut(pointer) {
                *slot = value;
                out.push(case);
            }
        }
        let (parent, name) = pointer.rsplit_once('/').expect("a leaf has a parent");
        let mut case = data.clone();
        if let Some(Value::Object(map)) = case.pointer_mut(parent) {
            map.remove(name);
            map.insert("unknown_field".into(), json!(1));
            out.push(case);
        }
    }
    out
}

fn leaves(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(
                    v,
                    format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            out.push(pointer.clone());
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push(pointer),
    }
}

#[test]
fn the_kit_and_the_server_judge_the_shipped_forms_alike_on_the_examples_and_their_near_misses() {
    use onestop::lang::Lang;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let catalog = onestop::bundle::compile(root).expect("the shipped definitions compile");
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for bundle in catalog.bundles.values() {
        let example = root.join(format!("bundles/examples/{}.json", bundle.id));
        let Ok(text) = std::fs::read_to_string(example) else {
            continue;
        };
        let example: Value = serde_json::from_str(&text).expect("an example is JSON");
        let selection = bundle.select(None).expect("every service");
        let form = bundle
            .form(&catalog, &selection)
            .expect("the combined form");
        let messages = onestop::http::kit_messages(&[&form.bundled], Lang::Uk);
        let cases = cases(&example["data"]);
        let input = json!({"cases": cases.iter().map(|d| json!({"schema": form.bundled, "data": d})).collect::<Vec<_>>()});
        let kit = node("judge-form.mjs", &input);
        for (data, kit) in cases
            .iter()
            .zip(kit.as_array().expect("a judgment per case"))
        {
            let server: std::collections::BTreeSet<(String, String)> =
                (form.schema_errors(data).iter())
                    .map(|e| (e.pointer.clone(), e.message.text(Lang::Uk)))
                    .collect();
            let kit: std::collections::BTreeSet<(String, String)> =
                (kit.as_array().expect("errors").iter())
                    .map(|e| {
                        let key = e["key"].as_str().expect("a key");
                        let text = messages.get(key).or_else(|| messages.get("invalid"));
                        let text = text.and_then(Value::as_str).unwrap_or_default().to_owned();
                        (e["pointer"].as_str().expect("a pointer").to_owned(), text)
                    })
                    .collect();
            if server != kit {
                disagreements.push(format!("{}: server {server:?}, kit {kit:?}", bundle.id));
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} cases");
    assert!(
        disagreements.is_empty(),
        "{} of {checked} cases judged differently:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_keyword_of_the_shipped_forms_is_one_the_kit_judges_or_a_description() {
    let known: Vec<String> =
        serde_json::from_value(node("keywords.mjs", &json!({}))).expect("a list");
    let mut unknown = std::collections::BTreeSet::new();
    let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    let mut files = vec![forms.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .expect("a folder")
                    .map(|e| e.expect("an entry").path()),
            );
        } else if path.extension().is_some_and(|e| e == "json") {
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
            keywords(&schema, &known, &mut unknown);
        }
    }
    assert!(
        unknown.is_empty(),
        "keywords the kit would leave to the server: {unknown:?}"
    );
}

/// The keywords of `schema` not in `known` (extensions, `x-…`, only describe).
fn keywords(schema: &Value, known: &[String], unknown: &mut std::collections::BTreeSet<String>) {
    let Value::Object(map) = schema else {
        return;
    };
    for (key, value) in map {
        if !key.starts_with("x-") && !known.contains(key) {
            unknown.insert(key.clone());
        }
        match key.as_str() {
            "properties" | "$defs" => {
                for sub in value.as_object().into_iter().flat_map(|m| m.values()) {
                    keywords(sub, known, unknown);
                }
            }
            "allOf" | "anyOf" | "oneOf" => {
                for sub in value.as_array().into_iter().flatten() {
                    keywords(sub, known, unknown);
                }
            }
            "items" | "if" | "then" | "else" | "not" | "additionalProperties" => {
                keywords(value, known, unknown);
            }
            _ => {}
        }
    }
}
