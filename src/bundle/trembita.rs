//! Where a service lives on Trembita (Ukraine's X-Road), declared in its file, and how to read a
//! registry's wrapped answer (the civil registry's `ResultCode` and base64 `ResultData`).
//!
//! ```yaml
//! trembita:
//!   member_class: GOV
//!   member_code: "00015622"
//!   subsystem: DRACS
//!   service: RegisterBirth
//!   version: v1
//!   subject: /child/rnokpp         # whose data it is (Uxp-Subject-Id), a pointer into the request
//!   answer:                         # only where the registry wraps its answer
//!     codes:
//!       0: succeeded
//!       1: {retry: внутрішня помилка реєстру}
//!       5: {refused: дані не пройшли перевірку}
//!     outputs:
//!       act_record_number: ActRecord/Number
//! ```
//!
//! The declaration says nothing about which protocol is used: that is the deployment's choice
//! (`registries.protocol`); a service without one cannot be called through Trembita, which
//! `onestop check` and the server's start report.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A service's address on Trembita (the instance is the client's: `registries.trembita.client`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrembitaService {
    /// The provider's member class (`GOV`, `COM`, …).
    pub member_class: String,
    /// The provider's member code (its EDRPOU code).
    pub member_code: String,
    /// The provider's subsystem.
    pub subsystem: String,
    /// The service code: also the SOAP body element's name.
    pub service: String,
    /// The service version, if the provider versions it.
    #[serde(default)]
    pub version: Option<String>,
    /// The XML namespace of the body (default `https://onestop.invalid/trembita/<service id>`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Whose personal data the call carries (`Uxp-Subject-Id`): a JSON pointer into the request.
    #[serde(default)]
    pub subject: Option<String>,
    /// How to read a wrapped answer; without it the answer's elements are the outputs.
    #[serde(default)]
    pub answer: Option<WrappedAnswer>,
}

/// A registry's answer wrapped in a result code and encoded data.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedAnswer {
    /// The element (SOAP) or field (REST) holding the result code.
    #[serde(default = "result_code")]
    pub code: String,
    /// The element or field holding the data: base64 of an XML document.
    #[serde(default = "result_data")]
    pub data: String,
    /// The element or field holding the registry's own words, if any.
    #[serde(default = "result_message")]
    pub message: String,
    /// What each code means; a code not listed is a nonsense answer (retried).
    pub codes: BTreeMap<i64, CodeMeaning>,
    /// Each output field and the slash-separated path of the element holding it inside the
    /// data's document (below its root element).
    pub outputs: BTreeMap<String, String>,
}

/// What a result code means.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CodeMeaning {
    /// The call succeeded; the outputs are in the data.
    Succeeded,
    /// A passing trouble at the registry: try again. The text says what, in Ukrainian.
    Retry(String),
    /// The registry refused: retrying would not help. The text says why, in Ukrainian.
    Refused(String),
}

fn result_code() -> String {
    "ResultCode".into()
}

fn result_data() -> String {
    "ResultData".into()
}

fn result_message() -> String {
    "ResultMessage".into()
}

impl TrembitaService {
    /// The body's namespace for service `id`.
    pub fn namespace(&self, id: &str) -> String {
        self.namespace
            .clone()
            .unwrap_or_else(|| format!("https://onestop.invalid/trembita/{id}"))
    }

    /// `<member class>/<member code>/<subsystem>/<service>[/<version>]`: the service's
    /// identifier without the instance, as `Uxp-Service` and the sandbox name it.
    pub fn path(&self) -> String {
        let mut path = format!(
            "{}/{}/{}/{}",
            self.member_class, self.member_code, self.subsystem, self.service
        );
        if let Some(version) = &self.version {
            path.push('/');
            path.push_str(version);
        }
        path
    }

    /// What is wrong with the declaration (each a message for the field named).
    pub fn problems(&self, outputs: &serde_json::Value) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let parts = [
            ("member_class", &self.member_class),
            ("member_code", &self.member_code),
            ("subsystem", &self.subsystem),
            ("service", &self.service),
        ];
        for (field, value) in parts {
            if !is_identifier_part(value) {
                problems.push((
                    format!("trembita.{field}"),
                    format!("\"{value}\" is not an identifier part (letters, digits, - _ . only)"),
                ));
            }
        }
        if let Some(version) = &self.version
            && !is_identifier_part(version)
        {
            problems.push((
                "trembita.version".into(),
                format!("\"{version}\" is not an identifier part"),
            ));
        }
        if !crate::registry::xml::is_name(&self.service) {
            problems.push((
                "trembita.service".into(),
                "the service code names the SOAP body element: it must be an XML name".into(),
            ));
        }
        if let Some(subject) = &self.subject
            && !subject.starts_with('/')
        {
            problems.push((
                "trembita.subject".into(),
                format!("\"{subject}\" is not a JSON pointer (it starts with /)"),
            ));
        }
        if let Some(answer) = &self.answer {
            problems.extend(answer.problems(outputs));
        }
        problems
    }
}

impl WrappedAnswer {
    fn problems(&self, outputs: &serde_json::Value) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if !self.codes.values().any(|m| *m == CodeMeaning::Succeeded) {
            problems.push((
                "trembita.answer.codes".into(),
                "no code means succeeded".into(),
            ));
        }
        let declared = outputs.get("properties").and_then(|p| p.as_object());
        for (field, path) in &self.outputs {
            if !declared.is_some_and(|d| d.contains_key(field)) {
                problems.push((
                    format!("trembita.answer.outputs.{field}"),
                    "not a property of the service's outputs".into(),
                ));
            }
            if path
                .split('/')
                .any(|step| !crate::registry::xml::is_name(step))
            {
                problems.push((
                    format!("trembita.answer.outputs.{field}"),
                    format!("\"{path}\" is not a path of XML element names"),
                ));
            }
        }
        let required = (outputs.get("required").and_then(|r| r.as_array())).into_iter();
        for field in required.flatten().filter_map(|f| f.as_str()) {
            if !self.outputs.contains_key(field) {
                problems.push((
                    "trembita.answer.outputs".into(),
                    format!("the required output \"{field}\" is read from nowhere"),
                ));
            }
        }
        problems
    }

    /// What `code` means, if the declaration says.
    pub fn meaning(&self, code: i64) -> Option<&CodeMeaning> {
        self.codes.get(&code)
    }
}

/// Letters, digits and `-_.`: what an X-Road identifier part may hold here (it is written in
/// a `/`-separated header).
fn is_identifier_part(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
