//! Custom `format` checks for Ukrainian identifiers, names, dates and activity codes.
//!
//! Each check is a pure function from a string to `bool`, registered with the JSON Schema
//! validator by name; adding a format is one entry in `CUSTOM_FORMATS` plus its message
//! (`format-<name>`) in each language's `locales/<lang>/validation.ftl`. A format may also say
//! how its values are written for the registries ([`normalise::normalised`]: an IBAN without
//! spaces, a name with one apostrophe). This module only decides: it reads no settings and
//! stores nothing.
//! The legal source of each rule is in `docs/domain.md`.

mod dates;
mod kved;
mod names;
pub mod normalise;

pub use dates::{KYIV, is_past_date, today_in_kyiv};

/// A format check: does this string have the format?
pub type FormatCheck = fn(&str) -> bool;

/// The custom formats onestop adds to JSON Schema, by name.
pub const CUSTOM_FORMATS: &[(&str, FormatCheck)] = &[
    ("rnokpp", is_rnokpp),
    ("unzr", is_unzr),
    ("past-date", is_past_date),
    ("adult-birth-date", dates::is_adult_birth_date),
    ("age-14-birth-date", dates::is_age_14_birth_date),
    ("age-16-birth-date", dates::is_age_16_birth_date),
    ("minor-birth-date", dates::is_minor_birth_date),
    ("birth-within-12-months", dates::is_birth_within_12_months),
    ("iban-ua", is_iban_ua),
    ("id-card", is_id_card),
    ("passport-ua-old", is_old_passport),
    ("phone-ua", is_phone_ua),
    ("kved", kved::is_kved),
    ("kved-single-tax-group-1", kved::is_allowed_in_group_1),
    ("kved-single-tax-group-2", kved::is_allowed_in_group_2),
    ("name-ua", names::is_name_ua),
    ("name-latin-or-ua", names::is_name_latin_or_ua),
];

use jiff::civil::Date;

const RNOKPP_WEIGHTS: [i64; 9] = [-1, 5, 7, 9, 4, 6, 10, 5, 7];

/// The check digit of the first nine digits of a RNOKPP.
pub fn rnokpp_check_digit(first_nine: &[u8]) -> u8 {
    let sum: i64 = first_nine
        .iter()
        .zip(RNOKPP_WEIGHTS)
        .map(|(digit, weight)| i64::from(*digit) * weight)
        .sum();
    (sum.rem_euclid(11) % 10) as u8
}

/// RNOKPP: ten digits, the last one a check digit over the first nine.
pub fn is_rnokpp(value: &str) -> bool {
    let Some(digits) = ascii_digits(value) else {
        return false;
    };
    digits.len() == 10 && rnokpp_check_digit(&digits[..9]) == digits[9]
}

/// The check digit of the twelve digits of a UNZR before it (weights 7, 3, 1 repeating).
pub fn unzr_check_digit(first_twelve: &[u8]) -> u8 {
    let sum: u32 = first_twelve
        .iter()
        .zip([7u32, 3, 1].into_iter().cycle())
        .map(|(digit, weight)| u32::from(*digit) * weight)
        .sum();
    (sum % 10) as u8
}

/// UNZR: `YYYYMMDD-NNNNC`, a real date and a check digit.
pub fn is_unzr(value: &str) -> bool {
    let Some((date, serial)) = value.split_once('-') else {
        return false;
    };
    let (Some(date_digits), Some(serial_digits)) = (ascii_digits(date), ascii_digits(serial))
    else {
        return false;
    };
    if date_digits.len() != 8 || serial_digits.len() != 5 || parse_compact_date(date).is_none() {
        return false;
    }
    let mut all = date_digits;
    all.extend_from_slice(&serial_digits[..4]);
    unzr_check_digit(&all) == serial_digits[4]
}

/// A Ukrainian IBAN: `UA`, two check digits, 25 digits; mod-97 over the rearranged number is 1.
/// Spaces between the characters are allowed (an IBAN is printed in groups of four, ISO 13616's
/// paper format) and left out when the value is normalised for the registries.
pub fn is_iban_ua(value: &str) -> bool {
    let compact = iban_without_spaces(value);
    let bytes = compact.as_bytes();
    if bytes.len() != 29 || !compact.starts_with("UA") || !bytes[2..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    // Move "UA" and the check digits to the end; letters count as 10..35.
    let rearranged = compact[4..].chars().chain(compact[..4].chars());
    let remainder = rearranged.fold(0u32, |acc, c| match c.to_digit(36) {
        Some(n) if n >= 10 => (acc * 100 + n) % 97,
        Some(n) => (acc * 10 + n) % 97,
        None => acc,
    });
    remainder == 1
}

/// The spaces an IBAN may be pasted with: the plain one and the no-break ones that bank apps
/// and PDFs put between its groups.
pub(crate) const IBAN_SPACES: [char; 3] = [' ', '\u{00A0}', '\u{202F}'];

/// An IBAN as the registries get it: its characters without spaces.
pub(crate) fn iban_without_spaces(value: &str) -> String {
    value.chars().filter(|c| !IBAN_SPACES.contains(c)).collect()
}

/// An ID card (biometric passport of the new type) number: nine digits.
pub fn is_id_card(value: &str) -> bool {
    value.len() == 9 && value.bytes().all(|b| b.is_ascii_digit())
}

/// An old-style passport: two Ukrainian capital letters and six digits, e.g. `КВ123456`.
pub fn is_old_passport(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    chars.len() == 8
        && chars[..2]
            .iter()
            .all(|c| "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ".contains(*c))
        && chars[2..].iter().all(char::is_ascii_digit)
}

/// A Ukrainian phone number in international form: `+380` and nine digits.
pub fn is_phone_ua(value: &str) -> bool {
    value
        .strip_prefix("+380")
        .is_some_and(|rest| rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_compact_date(digits: &str) -> Option<Date> {
    let year = digits.get(0..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

fn ascii_digits(value: &str) -> Option<Vec<u8>> {
    value
        .bytes()
        .map(|b| b.is_ascii_digit().then(|| b - b'0'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rnokpp_with_a_correct_check_digit_is_accepted() {
        assert!(is_rnokpp("3440712340"));
        assert!(is_rnokpp("3378645672"));
    }

    #[test]
    fn rnokpp_with_a_wrong_check_digit_or_shape_is_rejected() {
        assert!(!is_rnokpp("3440712341"));
        assert!(!is_rnokpp("344071234"));
        assert!(!is_rnokpp("34407123400"));
        assert!(!is_rnokpp("34407a2340"));
        assert!(!is_rnokpp("３440712340"));
    }

    #[test]
    fn unzr_needs_a_real_date_and_check_digit() {
        let mut digits: Vec<u8> = "201611190001".bytes().map(|b| b - b'0').collect();
        let check = unzr_check_digit(&digits);
        digits.push(check);
        let good = format!("20161119-0001{check}");
        assert!(is_unzr(&good));
        let bad = format!("20161119-0001{}", (check + 1) % 10);
        assert!(!is_unzr(&bad));
        assert!(!is_unzr("20161331-00011"));
        assert!(!is_unzr("2016111900011"));
    }

    #[test]
    fn ukrainian_iban_needs_its_mod_97_check() {
        assert!(is_iban_ua("UA573220010000026007233566001"));
        assert!(!is_iban_ua("UA583220010000026007233566001"));
        assert!(!is_iban_ua("UA57322001000002600723356600"));
        assert!(!is_iban_ua("DE573220010000026007233566001"));
    }

    #[test]
    fn an_iban_pasted_with_spaces_is_accepted() {
        assert!(is_iban_ua("UA57 3220 0100 0002 6007 2335 6600 1"));
        assert!(is_iban_ua(
            "UA57\u{00A0}3220\u{00A0}0100\u{00A0}0002\u{00A0}6007\u{00A0}2335\u{00A0}6600\u{00A0}1"
        ));
        assert!(is_iban_ua(" UA573220010000026007233566001 "));
        assert!(
            !is_iban_ua("UA57-3220-0100-0002-6007-2335-6600-1"),
            "only spaces"
        );
        assert!(
            !is_iban_ua("UA58 3220 0100 0002 6007 2335 6600 1"),
            "the check still holds"
        );
        assert_eq!(
            iban_without_spaces("UA57 3220 0100 0002 6007 2335 6600 1"),
            "UA573220010000026007233566001"
        );
    }

    #[test]
    fn identity_documents_and_phone_have_their_shapes() {
        assert!(is_id_card("001234567"));
        assert!(!is_id_card("01234567"));
        assert!(is_old_passport("КВ123456"));
        assert!(
            !is_old_passport("KB123456"),
            "Latin letters are not accepted"
        );
        assert!(!is_old_passport("КВ12345"));
        assert!(is_phone_ua("+380671234567"));
        assert!(!is_phone_ua("0671234567"));
    }
}
