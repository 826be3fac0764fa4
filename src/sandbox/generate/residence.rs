//! Where a person lives: the territorial community's register (declaring and ending a place of
//! residence, a newborn's registration) and the registers told of a move (the tax address, the
//! voter register, the military register, social payments), each office named by the region
//! of the new address.

use super::Draw;
use serde_json::{Map, Value, json};

/// The community whose register holds the address at `address` (or its settlement).
fn community(draw: &Draw, address: &str) -> String {
    draw.text(&format!("{address}/community"))
        .or_else(|| draw.text(&format!("{address}/settlement")))
        .unwrap_or("територіальна громада")
        .to_owned()
}

/// A record in the community's register, numbered within the community and year.
fn record(draw: &mut Draw, address: &str, number: &str, on: &str) -> Value {
    let community = community(draw, address);
    let record = draw.number_this_year(&format!("community/{community}"), 40);
    let mut made = Map::new();
    made.insert(number.to_owned(), json!(record.to_string()));
    made.insert(on.to_owned(), json!(draw.today.to_string()));
    made.insert("community".to_owned(), json!(community));
    Value::Object(made)
}

/// The newborn's place of residence, registered with the parents' address.
pub(super) fn child_registration(draw: &mut Draw) -> Value {
    record(draw, "/residence", "registration_record", "registered_on")
}

pub(super) fn deregistration(draw: &mut Draw) -> Value {
    record(
        draw,
        "/previous_address",
        "deregistration_record",
        "deregistered_on",
    )
}

pub(super) fn registration(draw: &mut Draw) -> Value {
    record(draw, "/new_address", "registration_record", "registered_on")
}

/// The tax address in the State Register of taxpayers, changed by the Tax Service's main
/// department of the new address's region.
pub(super) fn tax_address(draw: &mut Draw) -> Value {
    let office = draw
        .region("/new_address/region")
        .map_or_else(|| "ДПС України".to_owned(), |r| r.tax_service());
    let number = draw.number_this_year(&format!("tax-address/{office}"), 60);
    json!({
        "notice_number": number.to_string(),
        "updated_on": draw.today.to_string(),
        "tax_office": office,
    })
}

pub(super) fn voters(draw: &mut Draw) -> Value {
    let community = community(draw, "/new_address");
    let number = draw.number_this_year(&format!("voters/{community}"), 20);
    json!({
        "notice_number": number.to_string(),
        "updated_on": draw.today.to_string(),
    })
}

/// The notice to the recruitment centre (ТЦК та СП) of the new address's region.
pub(super) fn military(draw: &mut Draw) -> Value {
    let centre = draw.region("/new_address/region").map_or_else(
        || "Територіальний центр комплектування та соціальної підтримки".to_owned(),
        |r| r.recruitment_centre(),
    );
    let number = draw.number_this_year(&format!("military/{centre}"), 30);
    json!({
        "notice_number": number.to_string(),
        "notified_on": draw.today.to_string(),
        "recruitment_centre": centre,
    })
}

/// The payments move to the Pension Fund's main department of the new address's region.
pub(super) fn payments_transfer(draw: &mut Draw) -> Value {
    let office = draw
        .region("/new_address/region")
        .map_or_else(|| "Пенсійний фонд України".to_owned(), |r| r.pension_fund());
    let number = draw.number_this_year(&format!("payments/{office}"), 30);
    json!({
        "notice_number": number.to_string(),
        "decided_on": draw.today.to_string(),
        "pension_fund_office": office,
    })
}
