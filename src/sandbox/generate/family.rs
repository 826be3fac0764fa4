//! What the family receives after a birth: the birth assistance, the baby box, the large
//! family's certificate and assistance, and the child's eHealth patient record.

use super::Draw;
use serde_json::{Value, json};

/// The assistance at the birth of each child born from 1 January 2026: one payment of
/// 50 000 UAH (Law of Ukraine of 5 November 2025 on support for families with children, bill
/// No. 13532, in force 1 January 2026; it replaced 41 280 UAH paid in parts).
pub const BIRTH_ASSISTANCE_UAH: f64 = 50_000.0;

/// The monthly assistance for the third and each next child of a large family until the
/// child is six: 2 100 UAH, whatever the family's income (Cabinet of Ministers resolution
/// No. 250 of 13 March 2019; assigned by the Pension Fund since 1 July 2025).
pub const LARGE_FAMILY_MONTHLY_UAH: f64 = 2_100.0;

/// The decision on the birth assistance, taken by the Pension Fund's main department in the
/// region of the place of birth: one payment of 50 000 UAH for the child.
pub(super) fn birth_assistance(draw: &mut Draw) -> Value {
    let paying_body = draw
        .region("/child/birth_place")
        .map_or_else(|| "Пенсійний фонд України".to_owned(), |r| r.pension_fund());
    let number = draw.number_this_year(&format!("birth-assistance/{paying_body}"), 25);
    json!({
        "decision_number": number.to_string(),
        "decided_on": draw.today.to_string(),
        "amount": BIRTH_ASSISTANCE_UAH,
        "currency": "UAH",
        "payment": "one-time",
        "paying_body": paying_body,
    })
}

pub(super) fn baby_box(draw: &mut Draw) -> Value {
    let number = draw.number_this_year("baby-box", 15);
    let kind = match draw.text("/baby_box/choice") {
        Some("compensation") => "грошова компенсація",
        _ => "пакунок малюка",
    };
    json!({
        "decision_number": number.to_string(),
        "decided_on": draw.today.to_string(),
        "kind": kind,
    })
}

/// The parents' large-family certificate (a six-digit number) and the monthly assistance for
/// the newborn, who is the family's third or later child.
pub(super) fn large_family(draw: &mut Draw) -> Value {
    let children = draw
        .request
        .pointer("/family/children_count")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let number = draw.number_this_year("large-family", 4);
    let monthly = if children >= 3 {
        LARGE_FAMILY_MONTHLY_UAH
    } else {
        0.0
    };
    json!({
        "certificate_number": format!("{:06}", number % 1_000_000),
        "issued_on": draw.today.to_string(),
        "monthly_assistance": monthly,
        "currency": "UAH",
    })
}

/// The patient's identifier in the eHealth central component: a UUID.
pub(super) fn ehealth_entry(draw: &mut Draw) -> Value {
    let id = uuid::Builder::from_random_bytes(draw.drawn_bytes("patient")).into_uuid();
    json!({ "patient_id": id.to_string() })
}
