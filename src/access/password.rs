//! Passwords of local accounts: argon2id with the crate's defaults (OWASP's m=19 MiB, t=2,
//! p=1), at least twelve characters, and a check that takes as long for an unknown login as
//! for a wrong password.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 12;

/// Why a password is not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password is shorter than {MIN_LENGTH} characters")]
    TooShort,
    #[error("the password has a control character")]
    Control,
    #[error("the password cannot be hashed")]
    Hash,
}

/// The PHC string of `password` (argon2id, a fresh salt), if the password is acceptable.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordError::Control);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Whether `password` matches the PHC string `stored`. With `None` (no such login) a hash is
/// still checked, so that the answer takes as long as for a wrong password.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let dummy = dummy();
    let (phc, real) = match stored {
        Some(stored) => (stored, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

/// A password for an account made by onestop itself (first run, `--generate-password`): 20
/// characters of an alphabet without look-alikes, about 115 bits.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A hash of nothing anyone knows, made once.
fn dummy() -> &'static String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&generate()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_verified_against_its_hash_and_no_other() {
        let stored = hash("correct horse battery").expect("long enough");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("correct horse batterY", Some(&stored)));
        assert!(!verify("correct horse battery", None));
        assert!(!verify("anything", Some("not a hash")));
    }

    #[test]
    fn a_short_password_or_one_with_a_control_character_is_refused() {
        assert_eq!(hash("eleven char"), Err(PasswordError::TooShort));
        assert_eq!(hash("twelve chars\0x"), Err(PasswordError::Control));
        assert_eq!(generate().len(), 20);
    }
}
