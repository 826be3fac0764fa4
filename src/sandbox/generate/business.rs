//! Starting a business as a sole proprietor (ФОП): the Unified State Register's record, the
//! tax regime (single tax or general), VAT and the single social contribution (ЄСВ).

use super::{Draw, fnv1a};
use serde_json::{Value, json};

/// The record in the Unified State Register (ЄДР): 17 digits grouped `2 000 000 0000 012345`,
/// the first `2` for a sole proprietor (`1` is a legal entity's), the last six the record's
/// order. The middle groups name the registering body; the sandbox, an online registration,
/// keeps them zero.
pub(super) fn fop_registration(draw: &mut Draw) -> Value {
    let order = draw.number_this_year("edr", 300) % 1_000_000;
    json!({
        "record_number": format!("2 000 000 0000 {order:06}"),
        "registered_on": draw.today.to_string(),
    })
}

/// The entry in the register of single-tax payers (Tax Code, 299.1): the group and its rate,
/// from the day of the state registration. Group 3 pays 5 % of income (3 % with VAT, which the
/// sandbox does not know here); groups 1 and 2 pay up to 10 % of the subsistence minimum and up
/// to 20 % of the minimum wage a month, as the local council sets.
pub(super) fn single_tax(draw: &mut Draw) -> Value {
    let group = draw
        .request
        .pointer("/tax_regime/group")
        .and_then(Value::as_i64)
        .unwrap_or(3);
    let rate_percent = match group {
        1 => 10,
        2 => 20,
        _ => 5,
    };
    json!({
        "group": group,
        "rate_percent": rate_percent,
        "registered_on": draw.today.to_string(),
    })
}

/// On the general regime the proprietor is on the tax record under their tax number.
pub(super) fn general_regime(draw: &mut Draw) -> Value {
    json!({
        "tax_number": tax_number(draw),
        "registered_on": draw.today.to_string(),
    })
}

/// A VAT payer's individual tax number: 12 digits, the RNOKPP and two control digits (the
/// Tax Service's algorithm for those is not published; the sandbox derives them from the
/// RNOKPP, so a proprietor always gets the same number).
pub(super) fn vat(draw: &mut Draw) -> Value {
    let rnokpp = tax_number(draw);
    let control = fnv1a(&[b"vat", rnokpp.as_bytes()]) % 100;
    json!({
        "vat_number": format!("{rnokpp}{control:02}"),
        "registered_on": draw.today.to_string(),
    })
}

/// The single social contribution payer's registration number: ten digits, numbered in order.
pub(super) fn esv(draw: &mut Draw) -> Value {
    let order = draw.number_this_year("esv", 500);
    let first = 1_000_000_000 + fnv1a(&[b"esv"]) % 1_000_000_000;
    let number = 1_000_000_000 + (first + order - 1_000_000_000) % 9_000_000_000;
    json!({
        "payer_number": number.to_string(),
        "registered_on": draw.today.to_string(),
    })
}

/// The proprietor's RNOKPP; ten digits drawn from the key for one who has none (who pays by
/// passport for religious reasons).
fn tax_number(draw: &Draw) -> String {
    draw.text("/entrepreneur/rnokpp")
        .filter(|n| n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()))
        .map_or_else(
            || format!("{:010}", draw.drawn("tax-number", 10_000_000_000)),
            str::to_owned,
        )
}
