//! The identifiers of the lifecycle: an application's id and a call's key within it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An application's id: a UUID (version 7 for new ones, so they sort by time), in its
/// hyphenated lower-case text form, as stored and shown in URLs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApplicationId(String);

impl ApplicationId {
    /// The id of a UUID (new ones are made with `Uuid::now_v7`, so they sort by time: the
    /// caller reads the clock, this module does not).
    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id.hyphenated().to_string())
    }

    /// The id written in `text` (a URL segment, a stored column), or `None` when it is not one
    /// in the form ids are made in (hyphenated, lower case).
    pub fn parse(text: &str) -> Option<Self> {
        let id = uuid::Uuid::parse_str(text).ok()?.hyphenated().to_string();
        (id == text).then_some(Self(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ApplicationId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// One call of an application: a service (or a person's step) and the item it is for (0 for a
/// service that is not repeated). Written `service#item`: in the stored dependencies, the
/// history, the API. This type is the one place that writes and reads that form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallKey {
    service: String,
    item: i64,
}

/// Why a text is not a call key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a call key (service#item)")]
pub struct CallKeyError(String);

impl CallKey {
    pub fn new(service: impl Into<String>, item: i64) -> Self {
        Self {
            service: service.into(),
            item,
        }
    }

    /// `service#item`, with a non-empty service and a non-negative item.
    pub fn parse(text: &str) -> Result<Self, CallKeyError> {
        let bad = || CallKeyError(text.to_owned());
        let (service, item) = text.rsplit_once('#').ok_or_else(bad)?;
        if service.is_empty() || item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let item: i64 = item.parse().map_err(|_| bad())?;
        Ok(Self::new(service, item))
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    pub fn item(&self) -> i64 {
        self.item
    }

    /// Whether this is the key of `service`'s call for `item`.
    pub fn is(&self, service: &str, item: i64) -> bool {
        self.item == item && self.service == service
    }
}

impl fmt::Display for CallKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.service, self.item)
    }
}

impl Serialize for CallKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CallKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_key_is_written_and_read_as_service_hash_item() {
        let key = CallKey::new("tax.rnokpp-assignment", 2);
        assert_eq!(key.to_string(), "tax.rnokpp-assignment#2");
        assert_eq!(CallKey::parse("tax.rnokpp-assignment#2"), Ok(key.clone()));
        assert!(key.is("tax.rnokpp-assignment", 2));
        assert!(!key.is("tax.rnokpp-assignment", 0));
        let json = serde_json::to_string(&vec![key.clone()]).expect("json");
        assert_eq!(json, r##"["tax.rnokpp-assignment#2"]"##);
        let back: Vec<CallKey> = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, [key]);
    }

    #[test]
    fn a_text_without_a_service_or_a_whole_item_is_not_a_call_key() {
        for text in [
            "", "#0", "svc", "svc#", "svc#-1", "svc#x", "svc#1 ", "svc#+1",
        ] {
            assert!(CallKey::parse(text).is_err(), "{text:?}");
        }
        // The service part may itself hold a '#': the item is after the last one.
        assert_eq!(CallKey::parse("a#b#3"), Ok(CallKey::new("a#b", 3)));
        assert!(serde_json::from_str::<CallKey>(r#""svc""#).is_err());
    }

    #[test]
    fn an_application_id_is_a_uuid_in_its_lower_case_form() {
        let id = ApplicationId::from_uuid(uuid::Uuid::now_v7());
        assert_eq!(ApplicationId::parse(id.as_str()), Some(id.clone()));
        let simple = id.as_str().replace('-', "");
        for text in [
            "",
            "1",
            "not-a-uuid",
            "../etc/passwd",
            &id.as_str().to_uppercase(),
            &simple,
        ] {
            assert_eq!(ApplicationId::parse(text), None, "{text:?}");
        }
    }
}
