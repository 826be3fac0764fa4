//! Validation of a submission against a combined form: every error, as a kind with its
//! parameters (`Message`), with pointers and the services that need the field.

use super::combined::CombinedForm;
use super::messages::Message;
use crate::bundle::ServiceId;
use jsonschema::error::ValidationErrorKind;
use serde::Serialize;
use serde_json::Value;

/// One problem with the submitted data, next to the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON Pointer into the submitted `data`, e.g. `/mother/rnokpp`.
    pub pointer: String,
    /// What is wrong; serialised as its Ukrainian text, shown on pages in the page's language.
    pub message: Message,
    /// The services that need this field.
    pub services: Vec<String>,
}

impl FieldError {
    /// An error at `pointer` that no particular service asked for.
    pub fn new(pointer: impl Into<String>, message: Message) -> Self {
        Self {
            pointer: pointer.into(),
            message,
            services: Vec::new(),
        }
    }
}

/// Data that satisfied the combined form of the chosen services. Only `validate` makes one.
#[derive(Debug, Clone)]
pub struct ValidApplication {
    data: Value,
    services: Vec<ServiceId>,
}

impl ValidApplication {
    pub fn data(&self) -> &Value {
        &self.data
    }

    pub fn services(&self) -> &[ServiceId] {
        &self.services
    }
}

impl CombinedForm {
    /// Validate `data`, returning every error at once.
    pub fn validate(&self, data: Value) -> Result<ValidApplication, Vec<FieldError>> {
        let mut errors = self.schema_errors(&data);
        errors.extend(self.refused(&data));
        if errors.is_empty() {
            // Stored and sent as the registries write it: an IBAN without spaces, the
            // apostrophe as U+02BC.
            let mut data = data;
            super::formats::normalise::normalise(&self.validator, &mut data);
            Ok(ValidApplication {
                data,
                services: self.services.clone(),
            })
        } else {
            Err(errors)
        }
    }

    /// What the schema alone says of `data` (without the bundle's rules across fields): what
    /// the mobile kit judges on the device too (`assets/kit/validate.js`).
    pub fn schema_errors(&self, data: &Value) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> = Vec::new();
        for error in self.validator.iter_errors(data) {
            let base = error.instance_path().as_str().to_owned();
            let message = Message::from_kind(error.kind());
            let pointers = match error.kind() {
                ValidationErrorKind::Required { property } => {
                    vec![child(&base, property.as_str().unwrap_or_default())]
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    unexpected.iter().map(|name| child(&base, name)).collect()
                }
                _ => vec![base],
            };
            for pointer in pointers {
                let error = FieldError {
                    services: self
                        .services_for(&pointer)
                        .into_iter()
                        .map(|s| s.to_string())
                        .collect(),
                    pointer,
                    message: message.clone(),
                };
                if !errors.contains(&error) {
                    errors.push(error);
                }
            }
        }
        errors
    }
}

impl CombinedForm {
    /// What the schema cannot say: a field a condition now requires that is missing, and the
    /// bundle's refusals that hold for `data`.
    fn refused(&self, data: &Value) -> Vec<FieldError> {
        let mut found = Vec::new();
        for c in (self.conditional.iter()).filter(|c| c.required && data.get(&c.field).is_none()) {
            if c.when.iter().any(|w| w.evaluate(data) == Ok(true)) {
                let pointer = child("", &c.field);
                let services = self.services_for(&pointer);
                found.push(FieldError {
                    services: services.iter().map(ToString::to_string).collect(),
                    pointer,
                    message: Message::Required,
                });
            }
        }
        for refusal in &self.refusals {
            if refusal.condition.evaluate(data) == Ok(true) {
                let message = Message::Said {
                    uk: refusal.message.uk.clone(),
                    en: refusal.message.en.clone(),
                };
                let services = self.services_for(&refusal.pointer);
                found.push(FieldError {
                    services: services.iter().map(ToString::to_string).collect(),
                    pointer: refusal.pointer.clone(),
                    message,
                });
            }
        }
        found
    }
}

fn child(base: &str, name: &str) -> String {
    let escaped = name.replace('~', "~0").replace('/', "~1");
    format!("{base}/{escaped}")
}
