//! The birth itself: the civil registry's act record and certificate, the taxpayer number
//! (RNOKPP), the demographic register's UNZR and the citizenship by birth.

use super::{Draw, fnv1a};
use crate::form::{rnokpp_check_digit, unzr_check_digit};
use jiff::civil::Date;
use serde_json::{Value, json};

const CIVIL_REGISTRY_OFFICE: &str = "Відділ державної реєстрації актів цивільного стану";

/// Capitals the sandbox makes a certificate series of (which pair a region's blanks carry is
/// not published where the sandbox could check it, so the pair is drawn from the region).
const SERIES_LETTERS: [char; 26] = [
    'А', 'Б', 'В', 'Г', 'Д', 'Е', 'Ж', 'З', 'И', 'К', 'Л', 'М', 'Н', 'О', 'П', 'Р', 'С', 'Т', 'У',
    'Ф', 'Х', 'Ц', 'Ч', 'Ш', 'Ю', 'Я',
];

/// The act record of the birth, numbered within its office and year; the office is named by
/// the region of the family's residence (or else of the place of birth).
pub(super) fn registration(draw: &mut Draw) -> Value {
    let office = match draw
        .region("/residence/region")
        .or_else(|| draw.region("/child/birth_place"))
    {
        Some(region) => region.civil_registry_office(),
        None => match draw.text("/residence/settlement") {
            Some(place) => format!("{CIVIL_REGISTRY_OFFICE} ({place})"),
            None => CIVIL_REGISTRY_OFFICE.to_owned(),
        },
    };
    // A city office registers a few births a day.
    let number = draw.number_this_year(&format!("act/{office}"), 6);
    json!({
        "act_record_number": number.to_string(),
        "registered_on": draw.today.to_string(),
        "registry_office": office,
    })
}

pub(super) fn rnokpp_assignment(draw: &mut Draw) -> Value {
    let born = draw.date_or_today("/child/birth_date");
    let male = draw.text("/child/sex") == Some("male");
    let n = draw.counters.next(&format!("rnokpp/{born}"));
    json!({ "rnokpp": rnokpp(born, male, n) })
}

pub(super) fn unzr_entry(draw: &mut Draw) -> Value {
    let born = draw.date_or_today("/child/birth_date");
    let n = draw.counters.next(&format!("unzr/{born}"));
    json!({ "unzr": unzr(born, n) })
}

/// A child one of whose parents is a citizen of Ukraine is a citizen by birth (part one of
/// article 7 of the Law «Про громадянство України»); otherwise the sandbox records the
/// mother's citizenship.
pub(super) fn citizenship(draw: &mut Draw) -> Value {
    let mother = draw.text("/mother/citizenship").unwrap_or("UKR");
    let father = draw.text("/father/citizenship");
    let (citizenship, basis) = if mother == "UKR" || father == Some("UKR") {
        (
            "UKR",
            "частина перша статті 7 Закону України «Про громадянство України»",
        )
    } else {
        (mother, "громадянство матері на момент народження дитини")
    };
    json!({
        "citizenship": citizenship,
        "basis": basis,
        "determined_on": draw.today.to_string(),
    })
}

/// The certificate: series «І-» and two capitals, a six-digit number taken in order from the
/// series' blanks.
pub(super) fn certificate(draw: &mut Draw) -> Value {
    let place = draw.region("/child/birth_place").map_or_else(
        || draw.text("/child/birth_place").unwrap_or(""),
        |r| r.locative,
    );
    let letters = fnv1a(&[place.as_bytes()]);
    let first = SERIES_LETTERS[(letters % 26) as usize];
    let second = SERIES_LETTERS[((letters / 26) % 26) as usize];
    let series = format!("І-{first}{second}");
    let first_blank = 100_000 + fnv1a(&[series.as_bytes()]) % 800_000;
    let taken = draw.counters.next(&format!("certificate/{series}"));
    let number = 100_000 + (first_blank + taken - 100_000) % 900_000;
    json!({
        "certificate_series": series,
        "certificate_number": format!("{number:06}"),
        "issued_on": draw.today.to_string(),
    })
}

/// The `n`th RNOKPP of a birth date (from 1), by the real rule: the days since 1899-12-31, a
/// serial whose last digit gives the sex (odd for a man), and the check digit.
pub fn rnokpp(birth_date: Date, male: bool, n: u64) -> String {
    let epoch = Date::constant(1899, 12, 31);
    let days = (birth_date - epoch).get_days().clamp(0, 99_999);
    // Serials of a day do not start at zero; where they start is fixed by the day.
    let index = fnv1a(&[birth_date.to_string().as_bytes()]) % 500 + n.saturating_sub(1);
    let serial = (index / 5) % 1000;
    let sex = 2 * (index % 5) + u64::from(male);
    let first_nine = format!("{days:05}{serial:03}{sex}");
    let digits: Vec<u8> = first_nine.bytes().map(|b| b - b'0').collect();
    format!("{first_nine}{}", rnokpp_check_digit(&digits))
}

/// The `n`th UNZR of a birth date (from 1): `YYYYMMDD-NNNNC`, with its check digit.
pub fn unzr(birth_date: Date, n: u64) -> String {
    let date = birth_date.strftime("%Y%m%d").to_string();
    let first = fnv1a(&[b"unzr", date.as_bytes()]) % 5_000;
    let serial = format!("{:04}", (first + n.saturating_sub(1)) % 10_000);
    let digits: Vec<u8> = format!("{date}{serial}")
        .bytes()
        .map(|b| b - b'0')
        .collect();
    format!("{date}-{serial}{}", unzr_check_digit(&digits))
}
