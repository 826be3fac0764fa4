//! Dates as people type them (day, month, year: `19.11.2026`, `19/11/2026`, `19112026`) turned
//! into the `YYYY-MM-DD` the forms and the API want, with a clear message for an impossible one.
//! Whether a date may be in the future is the form's business, not this module's.

use crate::form::Message;

/// The ISO date of what a person typed, or what is wrong with it.
pub fn parse(typed: &str) -> Result<String, Message> {
    let typed = typed.trim();
    let (day, month, year) = parts(typed).ok_or(Message::DateShape)?;
    match jiff::civil::Date::new(year, month, day) {
        Ok(date) => Ok(date.strftime("%Y-%m-%d").to_string()),
        Err(_) => Err(Message::NoSuchDate {
            typed: typed.to_owned(),
        }),
    }
}

/// Day, month and year: `D.M.YYYY` with any of `. / - , space` between, `DDMMYYYY`, or an ISO
/// `YYYY-MM-DD` (pasted from elsewhere).
fn parts(typed: &str) -> Option<(i8, i8, i16)> {
    let pieces: Vec<&str> = typed
        .split(['.', '/', '-', ',', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let (d, m, y) = match pieces.as_slice() {
        [y, m, d] if digits(y, 4, 4) && digits(m, 1, 2) && digits(d, 1, 2) => (*d, *m, *y),
        [d, m, y] if digits(d, 1, 2) && digits(m, 1, 2) && digits(y, 4, 4) => (*d, *m, *y),
        [all] if digits(all, 8, 8) => (&all[0..2], &all[2..4], &all[4..8]),
        _ => return None,
    };
    Some((d.parse().ok()?, m.parse().ok()?, y.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::form::Message;

    #[test]
    fn a_date_typed_day_month_year_becomes_iso() {
        assert_eq!(parse("19.11.2026").as_deref(), Ok("2026-11-19"));
        assert_eq!(parse(" 1/2/2020 ").as_deref(), Ok("2020-02-01"));
        assert_eq!(parse("19112026").as_deref(), Ok("2026-11-19"));
        assert_eq!(parse("2026-11-19").as_deref(), Ok("2026-11-19"));
    }

    #[test]
    fn an_impossible_date_is_refused_in_ukrainian() {
        let error = parse("31.02.2026").unwrap_err().to_string();
        assert!(error.contains("Такої дати не існує: 31.02.2026"), "{error}");
        assert!(parse("29.02.2023").is_err());
        assert!(parse("29.02.2024").is_ok());
    }

    #[test]
    fn something_that_is_not_a_date_asks_for_day_month_year() {
        assert_eq!(parse("вчора").unwrap_err(), Message::DateShape);
        assert_eq!(parse("19.11.26").unwrap_err(), Message::DateShape);
    }
}
