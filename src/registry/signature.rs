//! Signed callbacks: a registry that answered 202 later posts the result to onestop, signed with
//! the secret onestop and that registry share.
//!
//! The signature is `X-Onestop-Signature: sha256=<hex>` where `<hex>` is HMAC-SHA256 over
//! `"{timestamp}.{body}"`, and `X-Onestop-Timestamp` carries `timestamp` in Unix seconds. A
//! callback is accepted only within a window around the receiver's clock, so a captured callback
//! cannot be replayed later. This module computes and checks; it stores nothing.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;

pub const SIGNATURE_HEADER: &str = "X-Onestop-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Onestop-Timestamp";
/// The header onestop sends with every registry call: where to post the result later.
pub const CALLBACK_URL_HEADER: &str = "Callback-Url";

/// The callback secret of the simulated registries; a deployment with real registries sets its
/// own (`onestop serve` warns when it talks to real registries with this one).
pub const SANDBOX_SECRET: &str = "onestop-sandbox-secret";

/// The shared secret of each registry: one default, and overrides by registry name.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub default: String,
    pub per_registry: BTreeMap<String, String>,
}

impl Default for Secrets {
    /// The sandbox's secret for every registry.
    fn default() -> Self {
        Self {
            default: SANDBOX_SECRET.to_owned(),
            per_registry: BTreeMap::new(),
        }
    }
}

impl Secrets {
    pub fn for_registry(&self, registry: &str) -> &str {
        self.per_registry
            .get(registry)
            .map_or(self.default.as_str(), String::as_str)
    }
}

/// Why a callback's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("немає підпису або позначки часу (missing signature or timestamp)")]
    Missing,
    #[error("позначка часу поза допустимим вікном (stale or future timestamp)")]
    Stale,
    #[error("підпис не збігається (signature mismatch)")]
    Mismatch,
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The value of the signature header for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Check a callback: the timestamp lies within `window_seconds` of `now` (Unix seconds) and the
/// signature matches (compared in constant time).
pub fn verify(
    secret: &str,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: i64,
    window_seconds: i64,
) -> Result<(), SignatureError> {
    let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
        return Err(SignatureError::Missing);
    };
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Missing)?;
    if (now - timestamp).abs() > window_seconds {
        return Err(SignatureError::Stale);
    }
    let tag = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(decode_hex)
        .ok_or(SignatureError::Mismatch)?;
    mac(secret, timestamp, body)
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let signature = sign("secret", 1_000, b"{\"a\":1}");
        assert!(signature.starts_with("sha256="));
        assert_eq!(
            verify(
                "secret",
                Some(&signature),
                Some("1000"),
                b"{\"a\":1}",
                1_010,
                300
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                "secret",
                Some(&signature),
                Some("1000"),
                b"{\"a\":2}",
                1_010,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                "other",
                Some(&signature),
                Some("1000"),
                b"{\"a\":1}",
                1_010,
                300
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_old_timestamp_is_refused_even_with_a_valid_signature() {
        let signature = sign("secret", 1_000, b"{}");
        assert_eq!(
            verify("secret", Some(&signature), Some("1000"), b"{}", 2_000, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("secret", None, Some("1000"), b"{}", 1_000, 300),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify("secret", Some("sha256=zz"), Some("1000"), b"{}", 1_000, 300),
            Err(SignatureError::Mismatch)
        );
    }
}
