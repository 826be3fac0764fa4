//! The identifiers of definitions: a bundle's (`birth`) and a service's
//! (`tax.rnokpp-assignment`). Made only by `parse`, so an id always has the one shape that is
//! safe in a URL path, a call key (`service#item`) and a file name.

use serde::Serialize;
use std::borrow::Borrow;
use std::fmt;

/// Identifier of a bundle (life event), e.g. `birth`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct BundleId(String);

/// Identifier of a service, e.g. `tax.rnokpp-assignment`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ServiceId(String);

/// Why a text is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an identifier: 1 to {MAX_LEN} Latin letters, digits, '.', '-' or '_'")]
pub struct IdError(String);

/// The longest id.
const MAX_LEN: usize = 128;

fn check(text: &str) -> Result<String, IdError> {
    let fine = !text.is_empty()
        && text.len() <= MAX_LEN
        && (text.bytes()).all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if fine {
        Ok(text.to_owned())
    } else {
        Err(IdError(text.to_owned()))
    }
}

macro_rules! id {
    ($name:ident) => {
        impl $name {
            pub fn parse(text: &str) -> Result<Self, IdError> {
                check(text).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Maps keyed by id are looked up by text.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

id!(BundleId);
id!(ServiceId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_latin_letters_digits_dots_dashes_and_underscores() {
        for text in ["birth", "tax.rnokpp-assignment", "s01", "a_b"] {
            assert_eq!(
                ServiceId::parse(text).map(|id| id.to_string()),
                Ok(text.into())
            );
            assert_eq!(
                BundleId::parse(text).map(|id| id.to_string()),
                Ok(text.into())
            );
        }
        let long = "a".repeat(MAX_LEN + 1);
        for text in [
            "",
            "a#0",
            "a b",
            "a/b",
            "../x",
            "реєстр",
            "a\n",
            long.as_str(),
        ] {
            assert!(ServiceId::parse(text).is_err(), "{text:?}");
            assert!(BundleId::parse(text).is_err(), "{text:?}");
        }
    }
}
