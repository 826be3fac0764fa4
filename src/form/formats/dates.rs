//! Dates and ages, judged against today in Kyiv: no birth in the future, who is old enough to
//! apply in their own name (14: declaring residence), to register as a sole proprietor (16,
//! with consent until 18), an adult (18), and whether a birth is recent enough for the birth
//! assistance (12 months). Each rule's source is in `docs/domain.md`.

use jiff::Span;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::sync::LazyLock;

/// Kyiv time zone, used for "today" and for the dates shown to people.
pub static KYIV: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get("Europe/Kyiv").unwrap_or(TimeZone::UTC));

/// Today's date in Kyiv.
pub fn today_in_kyiv() -> Date {
    jiff::Timestamp::now().to_zoned(KYIV.clone()).date()
}

/// A calendar date `YYYY-MM-DD` that is not after today in Kyiv.
pub fn is_past_date(value: &str) -> bool {
    birth_date(value).is_some()
}

/// A birth date of a person who is 18 or older today (in Kyiv).
pub fn is_adult_birth_date(value: &str) -> bool {
    is_at_least(value, 18)
}

/// A birth date of a person who is 14 or older today: who may apply in their own name (younger
/// children are represented by a parent or another legal representative).
pub fn is_age_14_birth_date(value: &str) -> bool {
    is_at_least(value, 14)
}

/// A birth date of a person who is 16 or older today: who may register as a sole proprietor
/// (until 18 with consent or full civil capacity, which the form asks for apart).
pub fn is_age_16_birth_date(value: &str) -> bool {
    is_at_least(value, 16)
}

/// A birth date of a minor: not in the future, and 18 not reached today.
pub fn is_minor_birth_date(value: &str) -> bool {
    birth_date(value).is_some() && !is_at_least(value, 18)
}

/// A birth at most 12 calendar months ago (the birth assistance is claimed within 12 months of
/// the birth; the anniversary itself still counts). It judges lateness only: a date in the
/// future or not a date at all is the date's own format to refuse, with its own message.
pub fn is_birth_within_12_months(value: &str) -> bool {
    let Some(birth) = iso_date(value) else {
        return true;
    };
    birth
        .checked_add(Span::new().months(12))
        .is_ok_and(|deadline| today_in_kyiv() <= deadline)
}

/// Whether the person born on `value` is `years` old or older today.
fn is_at_least(value: &str, years: i16) -> bool {
    birth_date(value).is_some_and(|birth| {
        birth
            .checked_add(Span::new().years(years))
            .is_ok_and(|birthday| birthday <= today_in_kyiv())
    })
}

/// `value` as a date written `YYYY-MM-DD` that is not after today in Kyiv.
fn birth_date(value: &str) -> Option<Date> {
    iso_date(value).filter(|date| *date <= today_in_kyiv())
}

/// A date written `YYYY-MM-DD` and nothing else (jiff would also read a date and time, or
/// `YYYYMMDD`; a form's date is only ever the one shape, and the kit's port reads only it).
fn iso_date(value: &str) -> Option<Date> {
    let b = value.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    shape.then(|| value.parse::<Date>().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The date `years` years and `days` days before today, as the form writes it.
    fn ago(years: i16, days: i32) -> String {
        today_in_kyiv()
            .checked_sub(Span::new().years(years).days(days))
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn dates_in_the_future_are_not_past_dates() {
        assert!(is_past_date("2000-02-29"));
        assert!(!is_past_date("2001-02-29"));
        assert!(!is_past_date("2999-01-01"));
        assert!(!is_past_date("2000-1-1"));
        assert!(is_past_date(&today_in_kyiv().to_string()));
    }

    #[test]
    fn an_adult_is_eighteen_or_older_today() {
        assert!(is_adult_birth_date("1990-01-01"));
        assert!(!is_adult_birth_date(&ago(17, 0)));
        assert!(is_adult_birth_date(&ago(18, 0)));
    }

    #[test]
    fn applying_in_ones_own_name_starts_at_fourteen() {
        assert!(is_age_14_birth_date(&ago(14, 0)), "on the birthday");
        assert!(!is_age_14_birth_date(&ago(13, 364)));
        assert!(!is_age_14_birth_date("2999-01-01"));
    }

    #[test]
    fn fop_registration_starts_at_sixteen() {
        assert!(is_age_16_birth_date(&ago(16, 0)));
        assert!(!is_age_16_birth_date(&ago(15, 300)));
    }

    #[test]
    fn a_minor_is_under_eighteen_and_born() {
        assert!(is_minor_birth_date(&ago(17, 300)));
        assert!(is_minor_birth_date(&today_in_kyiv().to_string()));
        assert!(!is_minor_birth_date(&ago(18, 0)));
        assert!(!is_minor_birth_date("2999-01-01"));
        assert!(!is_minor_birth_date("not a date"));
    }

    #[test]
    fn birth_assistance_is_claimed_within_twelve_months_of_the_birth() {
        let a_year_ago = today_in_kyiv()
            .checked_sub(Span::new().months(12))
            .map(|d| d.to_string())
            .unwrap_or_default();
        assert!(
            is_birth_within_12_months(&a_year_ago),
            "the anniversary counts"
        );
        assert!(is_birth_within_12_months(&today_in_kyiv().to_string()));
        assert!(!is_birth_within_12_months(&ago(1, 1)));
        assert!(
            is_birth_within_12_months("2999-01-01"),
            "a future date is past-date's to refuse"
        );
    }
}
