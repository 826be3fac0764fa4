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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::soap;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn service() -> &'static Service {
        let catalog = soap::tests::catalog();
        catalog
            .service("civil.birth-registration")
            .expect("the service is shipped")
    }

    /// The civil registry's wrapping, as a service's file would declare it.
    fn answer() -> WrappedAnswer {
        WrappedAnswer {
            code: "ResultCode".into(),
            data: "ResultData".into(),
            message: "ResultMessage".into(),
            codes: BTreeMap::from([
                (0, CodeMeaning::Succeeded),
                (1, CodeMeaning::Retry("внутрішня помилка реєстру".into())),
                (2, CodeMeaning::Refused("запис уже існує".into())),
                (5, CodeMeaning::Refused("дані не пройшли перевірку".into())),
            ]),
            outputs: BTreeMap::from([
                ("act_record_number".into(), "ActRecord/Number".into()),
                ("registered_on".into(), "ActRecord/Date".into()),
                ("registry_office".into(), "Office".into()),
            ]),
        }
    }

    fn outputs() -> Value {
        json!({
            "act_record_number": "0042",
            "registered_on": "2026-11-20",
            "registry_office": "Відділ державної реєстрації актів цивільного стану у місті Києві",
        })
    }

    fn fields(code: Value, message: &str, data: &str) -> Value {
        json!({ "ResultCode": code, "ResultMessage": message, "ResultData": data })
    }

    #[test]
    fn an_encoded_answer_reads_back_as_its_outputs() {
        let data = encode(&answer(), &outputs());
        let read = read(service(), &answer(), &fields(json!("0"), "", &data));
        assert_eq!(read, Outcome::Succeeded(outputs()));
    }

    #[test]
    fn a_wrapped_answer_in_a_soap_envelope_reads_back_as_its_outputs() {
        let header = soap::Header {
            client: soap::Subsystem::parse("SEVDEIR-TEST/GOV/12345678/ONESTOP").expect("client"),
            service: soap::ServiceId {
                provider: soap::Subsystem::parse("SEVDEIR-TEST/GOV/00015622/DRACS").expect("p"),
                code: "RegisterBirth".into(),
                version: None,
            },
            id: "0190f3a8-5b7c-7d2e-9f10-2a3b4c5d6e7f".into(),
            user_id: None,
            issue: None,
            protocol_version: soap::PROTOCOL_VERSION.into(),
            request_hash: Some(("aGFzaA==".into(), soap::SHA512.into())),
        };
        let body = fields(json!(0), "Успішно", &encode(&answer(), &outputs()));
        let envelope = soap::response(&header, "urn:dracs", &body);
        let Ok(soap::Envelope::Message { body, .. }) = soap::parse(envelope.as_bytes()) else {
            panic!("a message");
        };
        let fields = soap::outputs(&body, &Shape::Any);
        assert_eq!(
            read(service(), &answer(), &fields),
            Outcome::Succeeded(outputs())
        );
    }

    #[test]
    fn codes_other_than_success_are_retried_or_refused_with_their_meaning_and_the_words() {
        let data = encode(&answer(), &outputs());
        let said = "Запис №0042 уже є";
        let retried = read(service(), &answer(), &fields(json!(1), said, &data));
        let Outcome::Retry {
            reason, trouble, ..
        } = retried
        else {
            panic!("code 1 is retried: {retried:?}");
        };
        assert_eq!(trouble, CallOutcome::ServerError);
        assert_eq!(
            reason,
            format!("реєстр: внутрішня помилка реєстру (ResultCode 1): {said}")
        );
        for (code, meaning) in [(2, "запис уже існує"), (5, "дані не пройшли перевірку")]
        {
            let refused = read(service(), &answer(), &fields(json!(code), said, &data));
            let expected = format!("реєстр відмовив: {meaning} (ResultCode {code}): {said}");
            assert_eq!(refused, Outcome::Refused(expected));
        }
    }

    #[test]
    fn a_missing_code_bad_base64_or_data_that_is_not_xml_is_a_bad_answer() {
        let not_xml = base64::engine::general_purpose::STANDARD.encode("<Result><Office>");
        let cases = [
            (
                json!({ "ResultData": encode(&answer(), &outputs()) }),
                "немає коду",
            ),
            (fields(json!(7), "", ""), "невідомий код"),
            (fields(json!("0"), "", "not base64!"), "не є base64"),
            (fields(json!("0"), "", &not_xml), "не є XML"),
            (json!({ "ResultCode": 0 }), "немає даних"),
        ];
        for (fields, expected) in cases {
            let outcome = read(service(), &answer(), &fields);
            let Outcome::Retry {
                reason, trouble, ..
            } = &outcome
            else {
                panic!("{fields} is retried: {outcome:?}");
            };
            assert_eq!(*trouble, CallOutcome::BadAnswer, "{fields}");
            assert!(reason.contains(expected), "{reason}, expected {expected}");
        }
    }
}
