//! Custom `format` checks for Ukrainian identifiers and dates.
//!
//! Each check is a pure function from a string to `bool`, registered with the JSON Schema
//! validator by name. Messages in Ukrainian live in `form::messages`; this module only decides.

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
    fn dates_in_the_future_are_not_past_dates() {
        assert!(is_past_date("2000-02-29"));
        assert!(!is_past_date("2001-02-29"));
        assert!(!is_past_date("2999-01-01"));
        assert!(!is_past_date("2000-1-1"));
        let today = today_in_kyiv().to_string();
        assert!(is_past_date(&today));
    }
}
