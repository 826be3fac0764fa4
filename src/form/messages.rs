//! What is wrong with a field, as a kind and its parameters ([`Message`]), and the rule that
//! turns the validator's error kinds into one. The words are not here: they come from the message
//! catalogue (`locales/<lang>/validation.ftl`, one message per kind, `format-<name>` per format)
//! in the language the caller asks for, Ukrainian when it asks for none.

use crate::lang::Lang;
use jsonschema::error::ValidationErrorKind;
use serde::{Serialize, Serializer};

/// What is wrong with a value. Its text is chosen at the edge, per language ([`Message::text`]);
/// shown or serialised without a language, it is Ukrainian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Required,
    WrongType,
    /// A text field left empty (`minLength: 1`).
    Empty,
    TooShort {
        min: u64,
    },
    TooLong {
        max: u64,
    },
    Pattern,
    OneOf {
        options: String,
    },
    Constant {
        expected: String,
    },
    UnknownField,
    Minimum {
        limit: String,
    },
    Maximum {
        limit: String,
    },
    TooFewItems {
        min: u64,
    },
    TooManyItems {
        max: u64,
    },
    Invalid,
    /// A value that does not have the named JSON Schema `format` (`rnokpp`, `iban-ua`, …).
    Format(String),
    /// A typed date that is not day, month and year.
    DateShape,
    /// A typed date that does not exist (`31.02.2026`).
    NoSuchDate {
        typed: String,
    },
    NotANumber,
    NotAWholeNumber,
    /// The application as a whole: no service applies to it, for these reasons.
    NothingApplies {
        reasons: String,
    },
    /// A text made elsewhere, shown as it is in every language.
    Text(String),
    /// A text a definition gives in both languages (a bundle's `refuse:` rule).
    Said {
        uk: String,
        en: String,
    },
}

impl Message {
    /// The message for one error of the JSON Schema validator.
    pub fn from_kind(kind: &ValidationErrorKind) -> Self {
        use ValidationErrorKind as K;
        match kind {
            K::Required { .. } => Self::Required,
            K::Type { .. } => Self::WrongType,
            K::Format { format } => Self::Format(format.clone()),
            K::MinLength { limit: 1 } => Self::Empty,
            K::MinLength { limit } => Self::TooShort { min: *limit },
            K::MaxLength { limit } => Self::TooLong { max: *limit },
            K::Pattern { .. } => Self::Pattern,
            K::Enum { options } => Self::one_of(options),
            K::Constant { expected_value } => Self::Constant {
                expected: expected_value.to_string(),
            },
            K::AdditionalProperties { .. } => Self::UnknownField,
            K::Minimum { limit } => Self::Minimum {
                limit: limit.to_string(),
            },
            K::Maximum { limit } => Self::Maximum {
                limit: limit.to_string(),
            },
            K::MinItems { limit } => Self::TooFewItems { min: *limit },
            K::MaxItems { limit } => Self::TooManyItems { max: *limit },
            _ => Self::Invalid,
        }
    }

    /// One of the values of an `enum` (`options`, a JSON array) is expected.
    pub fn one_of(options: &serde_json::Value) -> Self {
        Self::OneOf {
            options: list(options),
        }
    }

    /// The message in `lang`, from the catalogue.
    pub fn text(&self, lang: Lang) -> String {
        let text = |id: &str| lang.text(id);
        let with = |id: &str, name: &'static str, value: String| {
            lang.text_with(id, &[(name, value.into())])
        };
        let count = |id: &str, name: &'static str, n: u64| lang.text_with(id, &[(name, n.into())]);
        match self {
            Self::Required => text("required-field"),
            Self::WrongType => text("wrong-type"),
            Self::Empty => text("empty"),
            Self::TooShort { min } => count("too-short", "min", *min),
            Self::TooLong { max } => count("too-long", "max", *max),
            Self::Pattern => text("pattern"),
            Self::OneOf { options } => with("one-of", "options", options.clone()),
            Self::Constant { expected } => with("constant", "expected", expected.clone()),
            Self::UnknownField => text("unknown-field"),
            Self::Minimum { limit } => with("minimum", "limit", grouped(limit, lang)),
            Self::Maximum { limit } => with("maximum", "limit", grouped(limit, lang)),
            Self::TooFewItems { min } => count("too-few-items", "min", *min),
            Self::TooManyItems { max } => count("too-many-items", "max", *max),
            Self::Invalid => text("invalid"),
            Self::Format(format) => lang
                .find(&format!("format-{format}"), &[])
                .unwrap_or_else(|| text("format-other")),
            Self::DateShape => text("date-shape"),
            Self::NoSuchDate { typed } => with("no-such-date", "typed", typed.clone()),
            Self::NotANumber => text("not-a-number"),
            Self::NotAWholeNumber => text("not-a-whole-number"),
            Self::NothingApplies { reasons } => with("nothing-applies", "reasons", reasons.clone()),
            Self::Text(text) => text.clone(),
            Self::Said { uk, en } => match lang {
                Lang::En => en.clone(),
                _ => uk.clone(),
            },
        }
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::Uk))
    }
}

/// The API speaks Ukrainian: a message goes into JSON as its Ukrainian text.
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text(Lang::Uk))
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

/// A whole number of five digits or more in groups of three, as each language writes money
/// (`1 444 049` грн, `1,444,049` UAH); anything else as it is.
fn grouped(number: &str, lang: Lang) -> String {
    let (sign, digits) = number.split_at(usize::from(number.starts_with('-')));
    if digits.len() < 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return number.to_owned();
    }
    let separator = if lang == Lang::En { ',' } else { ' ' };
    let mut out = String::from(sign);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

fn list(options: &serde_json::Value) -> String {
    match options.as_array() {
        Some(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        None => options.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::formats::CUSTOM_FORMATS;

    #[test]
    fn every_custom_format_has_its_own_message_in_both_languages() {
        for (name, _) in CUSTOM_FORMATS {
            let id = format!("format-{name}");
            assert!(Lang::Uk.exact(&id).is_some(), "{id} in Ukrainian");
            assert!(Lang::En.exact(&id).is_some(), "{id} in English");
        }
    }

    #[test]
    fn messages_are_ukrainian_by_default_and_english_when_asked() {
        let rnokpp = Message::Format("rnokpp".into());
        assert_eq!(
            rnokpp.to_string(),
            "РНОКПП має складатися з 10 цифр із правильною контрольною цифрою"
        );
        assert_eq!(
            rnokpp.text(Lang::En),
            "The RNOKPP has 10 digits with a correct check digit"
        );
        let date = Message::NoSuchDate {
            typed: "31.02.2026".into(),
        };
        assert_eq!(
            date.text(Lang::En),
            "There is no such date: 31.02.2026. Check the day and the month"
        );
        assert_eq!(
            Message::Format("no-such-format".into()).text(Lang::En),
            "Invalid format"
        );
        let reasons = "a: b".to_owned();
        assert_eq!(
            Message::NothingApplies { reasons }.to_string(),
            "Жодна послуга не застосовна до цієї заяви: a: b"
        );
    }

    #[test]
    fn counts_of_items_take_plural_forms() {
        let few = |min| Message::TooFewItems { min }.to_string();
        assert_eq!(few(1), "Потрібно щонайменше 1 елемент");
        assert_eq!(few(3), "Потрібно щонайменше 3 елементи");
        assert_eq!(few(5), "Потрібно щонайменше 5 елементів");
        assert_eq!(
            Message::TooManyItems { max: 2 }.text(Lang::En),
            "At most 2 items"
        );
    }

    #[test]
    fn large_limits_are_written_in_groups_of_three() {
        let limit = |limit: &str| Message::Maximum {
            limit: limit.into(),
        };
        assert_eq!(
            limit("1444049").to_string(),
            "Значення має бути не більше 1 444 049"
        );
        assert_eq!(
            limit("1444049").text(Lang::En),
            "The value must be at most 1,444,049"
        );
        assert_eq!(
            limit("8647").to_string(),
            "Значення має бути не більше 8647"
        );
        assert_eq!(limit("2.5").to_string(), "Значення має бути не більше 2.5");
        let below = Message::Minimum {
            limit: "-100000".into(),
        };
        assert_eq!(below.text(Lang::En), "The value must be at least -100,000");
    }

    #[test]
    fn a_text_made_elsewhere_stays_as_it_is() {
        let text = Message::from("Відмовлено");
        assert_eq!(text.text(Lang::En), "Відмовлено");
        assert_eq!(
            serde_json::to_value(&text).ok(),
            Some(serde_json::json!("Відмовлено"))
        );
    }
}
