//! What a correction changed, without the values: each changed JSON pointer with keyed digests
//! of the value before and after. A plain hash of an RNOKPP or an IBAN would be reversed by trying
//! every number; an HMAC under the server's secret cannot be, yet whoever holds the secret (an
//! auditor's tool) can check whether a value was the one before or after.

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

/// Makes the digests, under the server's secret.
#[derive(Clone)]
pub struct Digests {
    key: Vec<u8>,
}

impl Digests {
    pub fn new(secret: &str) -> Self {
        Self {
            key: format!("onestop audit digests:{secret}").into_bytes(),
        }
    }

    /// The keyed digest of a value (its JSON text), shortened to 128 bits.
    pub fn of(&self, value: &Value) -> String {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("any key");
        mac.update(value.to_string().as_bytes());
        let bytes = mac.finalize().into_bytes();
        format!("hmac:{}", crate::access::secret::hex(&bytes[..16]))
    }

    /// Every pointer whose value differs between `before` and `after` (leaves of objects and
    /// arrays; a value added or removed has `null` on its missing side), with digests.
    pub fn changes(&self, before: &Value, after: &Value) -> Vec<Value> {
        let mut changed = Vec::new();
        diff("", before, after, &mut |pointer, old, new| {
            changed.push(json!({
                "pointer": pointer,
                "before": old.map(|v| self.of(v)),
                "after": new.map(|v| self.of(v)),
            }));
        });
        changed
    }
}

/// Every pointer whose value differs between `before` and `after`, with the two values (a
/// side that is missing is `None`).
pub fn each_change(
    before: &Value,
    after: &Value,
    out: &mut impl FnMut(&str, Option<&Value>, Option<&Value>),
) {
    diff("", before, after, out);
}

fn diff(
    at: &str,
    before: &Value,
    after: &Value,
    out: &mut impl FnMut(&str, Option<&Value>, Option<&Value>),
) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                let pointer = format!("{at}/{}", escape(key));
                match (old.get(key), new.get(key)) {
                    (Some(o), Some(n)) => diff(&pointer, o, n, out),
                    (o, n) => out(&pointer, o, n),
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            for i in 0..old.len().max(new.len()) {
                let pointer = format!("{at}/{i}");
                match (old.get(i), new.get(i)) {
                    (Some(o), Some(n)) => diff(&pointer, o, n, out),
                    (o, n) => out(&pointer, o, n),
                }
            }
        }
        (old, new) if old != new => out(at, Some(old), Some(new)),
        _ => {}
    }
}

/// A key as a JSON pointer token (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
