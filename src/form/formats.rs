//! Custom `format` checks for Ukrainian identifiers and dates.
//!
//! Each check is a pure function from a string to `bool`, registered with the JSON Schema
//! validator by name; adding a format is one entry in `CUSTOM_FORMATS` plus its message
//! (`format-<name>`) in each language's `locales/<lang>/validation.ftl`. This module only decides.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::sync::LazyLock;

/// A format check: does this string have the format?
pub type FormatCheck = fn(&str) -> bool;

/// The custom formats onestop adds to JSON Schema, by name.
pub const CUSTOM_FORMATS: &[(&str, FormatCheck)] = &[
    ("rnokpp", is_rnokpp),
    ("unzr", is_unzr),
    ("past-date", is_past_date),
    ("adult-birth-date", is_adult_birth_date),
    ("iban-ua", is_iban_ua),
    ("id-card", is_id_card),
    ("passport-ua-old", is_old_passport),
    ("phone-ua", is_phone_ua),
    ("kved", is_kved),
];

const RNOKPP_WEIGHTS: [i64; 9] = [-1, 5, 7, 9, 4, 6, 10, 5, 7];

/// Kyiv time zone, used for "today" and for the dates shown to people.
pub static KYIV: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get("Europe/Kyiv").unwrap_or(TimeZone::UTC));

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

/// A calendar date `YYYY-MM-DD` that is not after today in Kyiv.
pub fn is_past_date(value: &str) -> bool {
    match value.parse::<Date>() {
        Ok(date) => value.len() == 10 && date <= today_in_kyiv(),
        Err(_) => false,
    }
}

/// A birth date of a person who is 18 or older today (in Kyiv).
pub fn is_adult_birth_date(value: &str) -> bool {
    let Ok(birth) = value.parse::<Date>() else {
        return false;
    };
    let today = today_in_kyiv();
    value.len() == 10
        && birth
            .checked_add(jiff::Span::new().years(18))
            .is_ok_and(|adult_on| adult_on <= today)
}

/// A Ukrainian IBAN: `UA`, two check digits, 25 digits; mod-97 over the rearranged number is 1.
pub fn is_iban_ua(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() != 29 || !value.starts_with("UA") || !bytes[2..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    // Move "UA" and the check digits to the end; letters count as 10..35.
    let rearranged = value[4..].chars().chain(value[..4].chars());
    let remainder = rearranged.fold(0u32, |acc, c| match c.to_digit(36) {
        Some(n) if n >= 10 => (acc * 100 + n) % 97,
        Some(n) => (acc * 10 + n) % 97,
        None => acc,
    });
    remainder == 1
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

/// A KVED-2010 class code: `NN.NN`, e.g. `62.01`.
pub fn is_kved(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 5
        && b[2] == b'.'
        && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit())
        && &value[..2] != "00"
}

/// Today's date in Kyiv.
pub fn today_in_kyiv() -> Date {
    jiff::Timestamp::now().to_zoned(KYIV.clone()).date()
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
    fn identity_documents_phone_and_kved_have_their_shapes() {
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
        assert!(is_kved("62.01"));
        assert!(!is_kved("6201"));
        assert!(!is_kved("00.01"));
    }

    #[test]
    fn an_adult_is_eighteen_or_older_today() {
        assert!(is_adult_birth_date("1990-01-01"));
        let today = today_in_kyiv();
        let seventeen = today
            .checked_sub(jiff::Span::new().years(17))
            .map(|d| d.to_string());
        assert!(!is_adult_birth_date(&seventeen.unwrap_or_default()));
        let eighteen = today
            .checked_sub(jiff::Span::new().years(18))
            .map(|d| d.to_string());
        assert!(is_adult_birth_date(&eighteen.unwrap_or_default()));
    }

    #[test]
    fn dates_in_the_future_are_not_past_dates() {
        assert!(is_past_date("2000-02-29"));
        assert!(!is_past_date("2001-02-29"));
        assert!(!is_past_date("2999-01-01"));
        assert!(!is_past_date("2000-1-1"));
        let today = today_in_kyiv().to_string();
        assert!(is_past_date(&today));
    }
}
