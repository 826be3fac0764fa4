//! Realistic outputs for simulated registries: known services get the real rules (RNOKPP from
//! the birth date and sex with its check digit, UNZR with its check digit); any other service
//! gets values made from its output schema, format-aware.

use crate::bundle::Service;
use crate::form::{rnokpp_check_digit, today_in_kyiv, unzr_check_digit};
use jiff::civil::Date;
use serde_json::{Map, Value, json};

/// The answer of the simulated registry for `service` to a valid `request`.
pub fn outputs(service: &Service, request: &Value, sequence: u64) -> Value {
    match service.id.as_str() {
        "civil.birth-registration" => json!({
            "act_record_number": format!("{}", 100 + sequence),
            "registered_on": today_in_kyiv().to_string(),
            "registry_office": registry_office(request),
        }),
        "tax.rnokpp-assignment" => {
            json!({ "rnokpp": rnokpp(child_birth_date(request), child_is_male(request)) })
        }
        "migration.unzr-entry" => json!({ "unzr": unzr(child_birth_date(request)) }),
        "migration.citizenship-determination" => json!({
            "citizenship": "UKR",
            "basis": "ст. 7 Закону України «Про громадянство України»",
        }),
        "civil.birth-certificate" => json!({
            "certificate_series": "І-БК",
            "certificate_number": format!("{:06}", 100_000 + sequence % 900_000),
        }),
        "social.birth-assistance" => json!({
            "decision_number": format!("ПФУ-{}-{sequence:06}", today_in_kyiv().year()),
            "amount": 41_280,
            "currency": "грн",
        }),
        "social.baby-box" => json!({
            "decision_number": format!("СЗ-{sequence:06}"),
            "kind": match request.pointer("/baby_box/choice").and_then(Value::as_str) {
                Some("compensation") => "грошова компенсація",
                _ => "пакунок малюка",
            },
        }),
        "tax.single-tax-registration" => json!({
            "registration_number": format!("ЄП-{sequence:08}"),
            "group": request.pointer("/tax_regime/group").and_then(Value::as_i64).unwrap_or(3),
        }),
        // A VAT payer's individual tax number: 12 digits.
        "tax.vat-registration" => {
            json!({ "vat_number": format!("{:012}", 100_000_000_000 + sequence) })
        }
        "business.fop-registration" => json!({
            "record_number": format!("2 010 000 0000 {:06}", sequence % 1_000_000),
            "registered_on": today_in_kyiv().to_string(),
        }),
        _ => from_schema(&service.outputs, sequence),
    }
}

fn registry_office(request: &Value) -> String {
    let settlement = request
        .pointer("/residence/settlement")
        .and_then(Value::as_str)
        .unwrap_or("Київ");
    format!("Відділ державної реєстрації актів цивільного стану ({settlement})")
}

fn child_birth_date(request: &Value) -> Date {
    request
        .pointer("/child/birth_date")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(today_in_kyiv)
}

fn child_is_male(request: &Value) -> bool {
    request.pointer("/child/sex").and_then(Value::as_str) == Some("male")
}

/// A RNOKPP by the real rule: days since 1899-12-31, a serial, the sex digit (odd for men),
/// and the check digit.
pub fn rnokpp(birth_date: Date, male: bool) -> String {
    let epoch = Date::constant(1899, 12, 31);
    let days = (birth_date - epoch).get_days().clamp(0, 99_999);
    let serial = rand::random_range(0..1000u32);
    let sex = 2 * rand::random_range(0..5u32) + u32::from(male);
    let first_nine = format!("{days:05}{serial:03}{sex}");
    let digits: Vec<u8> = first_nine.bytes().map(|b| b - b'0').collect();
    format!("{first_nine}{}", rnokpp_check_digit(&digits))
}

/// A UNZR: `YYYYMMDD-NNNNC` with its check digit.
pub fn unzr(birth_date: Date) -> String {
    let date = birth_date.strftime("%Y%m%d").to_string();
    let serial = format!("{:04}", rand::random_range(0..10_000u32));
    let digits: Vec<u8> = format!("{date}{serial}")
        .bytes()
        .map(|b| b - b'0')
        .collect();
    format!("{date}-{serial}{}", unzr_check_digit(&digits))
}

fn from_schema(schema: &Value, sequence: u64) -> Value {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return json!({});
    };
    let values: Map<String, Value> = properties
        .iter()
        .map(|(name, s)| (name.clone(), value_for(s, sequence)))
        .collect();
    Value::Object(values)
}

fn value_for(schema: &Value, sequence: u64) -> Value {
    let today = today_in_kyiv();
    match (
        schema.get("type").and_then(Value::as_str),
        schema.get("format").and_then(Value::as_str),
    ) {
        (_, Some("rnokpp")) => json!(rnokpp(today, false)),
        (_, Some("unzr")) => json!(unzr(today)),
        (_, Some("date" | "past-date")) => json!(today.to_string()),
        (Some("integer"), _) => json!(sequence),
        (Some("number"), _) => json!(sequence as f64),
        (Some("boolean"), _) => json!(true),
        (Some("object"), _) => from_schema(schema, sequence),
        (Some("array"), _) => json!([]),
        _ => json!(format!("SIM-{sequence:06}")),
    }
}
