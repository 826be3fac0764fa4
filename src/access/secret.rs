//! The secrets that stand for a caller: a session (a person signed in), a machine client's
//! token, a citizen's access to their application. Each is 128 random bits in hex behind a
//! short prefix that says what it is, so a leaked one is recognised (and a scanner can find it)
//! and a request names the one table to look in. Only a secret's SHA-256 is ever stored; the
//! secret itself is shown once and never logged.

use sha2::{Digest, Sha256};

/// What a secret stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Session,
    Token,
    Citizen,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Session, Kind::Token, Kind::Citizen];

    fn prefix(self) -> &'static str {
        match self {
            Kind::Session => "oss_",
            Kind::Token => "ost_",
            Kind::Citizen => "osc_",
        }
    }

    /// As stored in `credentials.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Session => "session",
            Kind::Token => "token",
            Kind::Citizen => "citizen",
        }
    }
}

/// A new secret of `kind`, and its hash to store.
pub fn new(kind: Kind) -> (String, String) {
    let secret = format!("{}{}", kind.prefix(), crate::store::random_token());
    let hash = hash(&secret);
    (secret, hash)
}

/// What `secret` is, if it has the shape of one of ours (anything else is not looked up).
pub fn kind_of(secret: &str) -> Option<Kind> {
    let kind = Kind::ALL
        .into_iter()
        .find(|k| secret.starts_with(k.prefix()))?;
    let rest = &secret[kind.prefix().len()..];
    let hex = rest.len() == 32 && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then_some(kind)
}

/// The stored form of a secret: its SHA-256, hex.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `a` and `b` are equal, in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_is_recognised_by_its_kind_and_stored_only_as_its_hash() {
        for kind in Kind::ALL {
            let (secret, stored) = new(kind);
            assert_eq!(kind_of(&secret), Some(kind));
            assert_eq!(stored, hash(&secret));
            assert!(!stored.contains(&secret[4..]));
        }
    }

    #[test]
    fn a_secret_of_the_wrong_shape_is_not_one_of_ours() {
        for shape in [
            "",
            "oss_",
            "oss_XYZ",
            "ost_0123",
            "abc_0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(kind_of(shape), None, "{shape}");
        }
        let upper = "osc_0123456789ABCDEF0123456789ABCDEF";
        assert_eq!(kind_of(upper), None);
    }
}
