//! Realistic outputs for the simulated registries: each shipped service answers with references
//! shaped like its real registry's (an act record numbered within its office and year, a birth
//! certificate «І-ФП № 123456», a RNOKPP and a UNZR with their check digits, a Unified State
//! Register record «2 000 000 0000 012345», offices named by the region of the request's
//! address); any other service gets values made from its output schema, format-aware.
//!
//! Numbers that a registry hands out in order come from `Counters` (one run of the sandbox,
//! one sequence per office and year); everything else is drawn from the idempotency key, so
//! an answer depends only on the key, the request and what was numbered before. The effect
//! store (`state`) keeps the answer of a key, so a repeated call gets it again. Nothing here
//! answers a call or remembers anything itself.

mod birth;
mod business;
mod family;
mod regions;
mod residence;
#[cfg(test)]
mod tests;

pub use birth::{rnokpp, unzr};

use crate::bundle::Service;
use crate::form::today_in_kyiv;
use jiff::civil::Date;
use regions::Region;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The sequences a registry numbers its records by, one per scope (`act/<office>/2026`).
#[derive(Debug, Default)]
pub(super) struct Counters(HashMap<String, u64>);

impl Counters {
    /// The next number of `scope`, from 1.
    fn next(&mut self, scope: &str) -> u64 {
        let n = self.0.entry(scope.to_owned()).or_default();
        *n += 1;
        *n
    }
}

/// What one answer is made from: the request, its idempotency key, the day, the sequences.
pub(super) struct Draw<'a> {
    request: &'a Value,
    key: &'a str,
    today: Date,
    counters: &'a mut Counters,
}

/// The answer of the simulated registry for `service` to a valid `request` sent with `key`.
pub(super) fn outputs(
    service: &Service,
    request: &Value,
    key: &str,
    counters: &mut Counters,
) -> Value {
    let mut draw = Draw {
        request,
        key,
        today: today_in_kyiv(),
        counters,
    };
    answer(service.id.as_str(), &mut draw).unwrap_or_else(|| {
        let sequence = draw.counters.next("sequence");
        from_schema(&service.outputs, sequence)
    })
}

/// The answer of a shipped service, or `None` for one the sandbox knows no rules of.
fn answer(service: &str, draw: &mut Draw) -> Option<Value> {
    let made = match service {
        "civil.birth-registration" => birth::registration(draw),
        "tax.rnokpp-assignment" => birth::rnokpp_assignment(draw),
        "migration.unzr-entry" => birth::unzr_entry(draw),
        "migration.citizenship-determination" => birth::citizenship(draw),
        "civil.birth-certificate" => birth::certificate(draw),
        "social.birth-assistance" => family::birth_assistance(draw),
        "social.baby-box" => family::baby_box(draw),
        "social.large-family" => family::large_family(draw),
        "health.ehealth-entry" => family::ehealth_entry(draw),
        "community.residence-registration" => residence::child_registration(draw),
        "residence.deregistration" => residence::deregistration(draw),
        "residence.registration" => residence::registration(draw),
        "tax.address-update" => residence::tax_address(draw),
        "voters.register-update" => residence::voters(draw),
        "military.register-notice" => residence::military(draw),
        "social.payments-transfer" => residence::payments_transfer(draw),
        "business.fop-registration" => business::fop_registration(draw),
        "tax.single-tax-registration" => business::single_tax(draw),
        "tax.general-regime-registration" => business::general_regime(draw),
        "tax.vat-registration" => business::vat(draw),
        "tax.esv-registration" => business::esv(draw),
        _ => return None,
    };
    Some(made)
}

impl Draw<'_> {
    /// The text at `pointer` in the request.
    fn text(&self, pointer: &str) -> Option<&str> {
        self.request.pointer(pointer).and_then(Value::as_str)
    }

    /// The date at `pointer` in the request, or today.
    fn date_or_today(&self, pointer: &str) -> Date {
        self.text(pointer)
            .and_then(|s| s.parse().ok())
            .unwrap_or(self.today)
    }

    /// The region named by the text at `pointer` (an address's `region`, a birth place).
    fn region(&self, pointer: &str) -> Option<&'static Region> {
        self.text(pointer).and_then(regions::find)
    }

    /// A number within the year of `scope` (an office, a register): it grows with the day of
    /// the year, as a real office's numbering has by then, and with each record made.
    fn number_this_year(&mut self, scope: &str, per_day: u64) -> u64 {
        let days_past = u64::try_from(self.today.day_of_year() - 1).unwrap_or(0);
        let scope = format!("{scope}/{}", self.today.year());
        days_past * per_day + self.counters.next(&scope)
    }

    /// A number in `0..below` drawn from the idempotency key (and `salt`, so two draws of one
    /// answer differ): the same key always draws the same.
    fn drawn(&self, salt: &str, below: u64) -> u64 {
        fnv1a(&[self.key.as_bytes(), b"\x00", salt.as_bytes()]) % below.max(1)
    }

    /// Sixteen bytes drawn from the idempotency key.
    fn drawn_bytes(&self, salt: &str) -> [u8; 16] {
        let high = fnv1a(&[self.key.as_bytes(), b"\x01", salt.as_bytes()]);
        let low = fnv1a(&[self.key.as_bytes(), b"\x02", salt.as_bytes()]);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high.to_be_bytes());
        bytes[8..].copy_from_slice(&low.to_be_bytes());
        bytes
    }
}

/// FNV-1a, 64 bits: a stable hash, the same on every run and machine (`DefaultHasher` is not
/// promised to be).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    parts
        .iter()
        .flat_map(|part| part.iter())
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
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

/// A value of a property of an unknown service's schema: a record number is digits, as most
/// registries' are.
fn value_for(schema: &Value, sequence: u64) -> Value {
    let today = today_in_kyiv();
    match (
        schema.get("type").and_then(Value::as_str),
        schema.get("format").and_then(Value::as_str),
    ) {
        (_, Some("rnokpp")) => json!(rnokpp(today, false, sequence)),
        (_, Some("unzr")) => json!(unzr(today, sequence)),
        (_, Some("date" | "past-date")) => json!(today.to_string()),
        (Some("integer"), _) => json!(sequence),
        (Some("number"), _) => json!(sequence as f64),
        (Some("boolean"), _) => json!(true),
        (Some("object"), _) => from_schema(schema, sequence),
        (Some("array"), _) => json!([]),
        _ => json!(sequence.to_string()),
    }
}
