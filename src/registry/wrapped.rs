//! Reading a registry's wrapped answer (the civil registry's methods): a result code, the
//! registry's words, and the data as base64 of an XML document whose elements hold the
//! outputs (`trembita.answer` in the service's file says which codes mean what, and where each
//! output is).

use super::xml;
use super::{Outcome, retry};
use crate::bundle::Service;
use crate::bundle::trembita::{CodeMeaning, WrappedAnswer};
use crate::form::Shape;
use crate::telemetry::CallOutcome;
use base64::Engine;
use serde_json::{Map, Value};

/// The outcome of a wrapped answer whose fields (the answer element's children, or a REST
/// answer's JSON) are `fields`.
pub fn read(service: &Service, answer: &WrappedAnswer, fields: &Value) -> Outcome {
    let code = match fields.get(&answer.code) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let Some(code) = code else {
        return nonsense(&format!(
            "у відповіді немає коду результату {}",
            answer.code
        ));
    };
    let words = fields
        .get(&answer.message)
        .and_then(Value::as_str)
        .map(|m| m.trim().chars().take(500).collect::<String>())
        .filter(|m| !m.is_empty());
    let said = |meaning: &str| match &words {
        Some(words) => format!("{meaning} ({} {code}): {words}", answer.code),
        None => format!("{meaning} ({} {code})", answer.code),
    };
    match answer.meaning(code) {
        None => nonsense(&format!("невідомий код результату {} {code}", answer.code)),
        Some(CodeMeaning::Retry(meaning)) => retry(
            CallOutcome::ServerError,
            &format!("реєстр: {}", said(meaning)),
            None,
        ),
        Some(CodeMeaning::Refused(meaning)) => {
            Outcome::Refused(format!("реєстр відмовив: {}", said(meaning)))
        }
        Some(CodeMeaning::Succeeded) => match outputs(service, answer, fields) {
            Ok(outputs) if service.output_validator.is_valid(&outputs) => {
                Outcome::Succeeded(outputs)
            }
            Ok(_) => nonsense("дані відповіді не відповідають схемі результату"),
            Err(why) => nonsense(&why),
        },
    }
}

/// The outputs held in the answer's data.
fn outputs(service: &Service, answer: &WrappedAnswer, fields: &Value) -> Result<Value, String> {
    let encoded = fields
        .get(&answer.data)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("у відповіді немає даних {}", answer.data))?;
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| format!("дані {} не є base64", answer.data))?;
    let root = xml::parse(&bytes).map_err(|e| format!("дані {} не є XML: {e}", answer.data))?;
    let shapes = match &service.output_shape {
        Shape::Object(fields) => Some(fields),
        _ => None,
    };
    let mut outputs = Map::new();
    for (field, path) in &answer.outputs {
        let mut element = Some(&root);
        for step in path.split('/') {
            element = element.and_then(|e| e.child(step));
        }
        if let Some(element) = element {
            let shape = shapes.and_then(|s| s.get(field)).unwrap_or(&Shape::Any);
            outputs.insert(field.clone(), xml::leaf(&element.text, shape));
        }
    }
    Ok(Value::Object(outputs))
}

fn nonsense(why: &str) -> Outcome {
    retry(
        CallOutcome::BadAnswer,
        &format!("реєстр повернув незрозумілу відповідь: {why}"),
        None,
    )
}

/// The data of a wrapped answer as a registry writes it: `outputs` placed at their declared
/// paths under a root element `Result`, as XML, base64 (the sandbox answers so).
pub fn encode(answer: &WrappedAnswer, outputs: &Value) -> String {
    let mut root = xml::Element {
        name: "Result".into(),
        ..Default::default()
    };
    for (field, path) in &answer.outputs {
        let Some(value) = outputs.get(field) else {
            continue;
        };
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut element = &mut root;
        for step in path.split('/') {
            let at = match element.children.iter().position(|c| c.name == step) {
                Some(at) => at,
                None => {
                    element.children.push(xml::Element {
                        name: step.into(),
                        ..Default::default()
                    });
                    element.children.len() - 1
                }
            };
            element = &mut element.children[at];
        }
        element.text = text;
    }
    base64::engine::general_purpose::STANDARD.encode(xml::write(&root))
}
