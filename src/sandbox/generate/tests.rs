use super::*;
use crate::form::{is_rnokpp, is_unzr};

fn on(today: Date, service: &str, request: &Value, key: &str, counters: &mut Counters) -> Value {
    let mut draw = Draw {
        request,
        key,
        today,
        counters,
    };
    answer(service, &mut draw).expect("a shipped service")
}

fn december() -> Date {
    Date::constant(2026, 12, 5)
}

fn birth(region: &str) -> Value {
    json!({
        "child": { "sex": "female", "birth_date": "2026-11-19", "birth_place": "м. Київ" },
        "mother": { "citizenship": "UKR" },
        "residence": { "region": region, "community": "Київська міська територіальна громада" },
        "family": { "children_count": 3 },
    })
}

#[test]
fn a_birth_in_kyiv_is_registered_by_a_kyiv_office_of_the_kyiv_interregional_department() {
    let mut counters = Counters::default();
    let act = on(
        december(),
        "civil.birth-registration",
        &birth("м. Київ"),
        "a",
        &mut counters,
    );
    assert_eq!(
        act["registry_office"],
        "Відділ державної реєстрації актів цивільного стану в місті Києві \
         Київського міжрегіонального управління Міністерства юстиції"
    );
    assert_eq!(act["registered_on"], "2026-12-05");
    let lviv = on(
        december(),
        "civil.birth-registration",
        &birth("Львівська область"),
        "b",
        &mut counters,
    );
    assert_eq!(
        lviv["registry_office"],
        "Відділ державної реєстрації актів цивільного стану в місті Львові \
         Львівського міжрегіонального управління Міністерства юстиції"
    );
}

#[test]
fn act_records_are_numbered_in_order_within_their_office_and_year() {
    let mut counters = Counters::default();
    let number = |counters: &mut Counters, region: &str, key: &str| {
        let act = on(
            december(),
            "civil.birth-registration",
            &birth(region),
            key,
            counters,
        );
        act["act_record_number"]
            .as_str()
            .expect("a number")
            .parse::<u64>()
            .expect("digits")
    };
    let first = number(&mut counters, "м. Київ", "1");
    let other_office = number(&mut counters, "Одеська область", "2");
    let second = number(&mut counters, "м. Київ", "3");
    assert_eq!(second, first + 1, "the next record of the same office");
    assert_eq!(
        other_office, first,
        "another office numbers its own records"
    );
    // By 5 December (day 339) an office has numbered about six births a day.
    assert!((338 * 6..338 * 6 + 10).contains(&first), "{first}");
}

#[test]
fn a_girls_rnokpp_encodes_her_birth_date_and_an_even_sex_digit_and_unzr_its_check_digit() {
    let mut counters = Counters::default();
    let request = birth("м. Київ");
    let mut seen = Vec::new();
    for key in ["a", "b", "c"] {
        let rnokpp = on(
            december(),
            "tax.rnokpp-assignment",
            &request,
            key,
            &mut counters,
        )["rnokpp"]
            .as_str()
            .expect("text")
            .to_owned();
        assert!(
            is_rnokpp(&rnokpp) && rnokpp.starts_with("46344"),
            "{rnokpp}"
        );
        assert_eq!((rnokpp.as_bytes()[8] - b'0') % 2, 0, "{rnokpp}");
        seen.push(rnokpp);
        let unzr = on(
            december(),
            "migration.unzr-entry",
            &request,
            key,
            &mut counters,
        );
        let unzr = unzr["unzr"].as_str().expect("text");
        assert!(is_unzr(unzr) && unzr.starts_with("20261119-"), "{unzr}");
    }
    seen.dedup();
    assert_eq!(
        seen.len(),
        3,
        "children born the same day get distinct numbers"
    );
    let boy = rnokpp(Date::constant(2026, 11, 19), true, 1);
    assert_eq!((boy.as_bytes()[8] - b'0') % 2, 1, "{boy}");
}

#[test]
fn birth_assistance_is_a_one_time_fifty_thousand_hryvnias_per_child() {
    let mut counters = Counters::default();
    let decision = on(
        december(),
        "social.birth-assistance",
        &birth("м. Київ"),
        "k",
        &mut counters,
    );
    assert_eq!(decision["amount"], 50_000.0);
    assert_eq!(decision["currency"], "UAH");
    assert_eq!(decision["payment"], "one-time");
    assert_eq!(
        decision["paying_body"],
        "Головне управління Пенсійного фонду України в м. Києві"
    );
}

#[test]
fn a_large_family_gets_its_certificate_and_two_thousand_one_hundred_hryvnias_a_month() {
    let mut counters = Counters::default();
    let answer = on(
        december(),
        "social.large-family",
        &birth("м. Київ"),
        "k",
        &mut counters,
    );
    assert_eq!(answer["monthly_assistance"], 2_100.0);
    let number = answer["certificate_number"].as_str().expect("text");
    assert!(
        number.len() == 6 && number.bytes().all(|b| b.is_ascii_digit()),
        "{number}"
    );
}

#[test]
fn offices_of_a_move_are_named_by_the_region_of_the_new_address() {
    let mut counters = Counters::default();
    let moved = json!({ "new_address": { "region": "Одеська область", "settlement": "Одеса" } });
    let military = on(
        december(),
        "military.register-notice",
        &moved,
        "k",
        &mut counters,
    );
    assert_eq!(
        military["recruitment_centre"],
        "Одеський обласний територіальний центр комплектування та соціальної підтримки"
    );
    let tax = on(december(), "tax.address-update", &moved, "k", &mut counters);
    assert_eq!(
        tax["tax_office"],
        "Головне управління ДПС в Одеській області"
    );
    let pension = on(
        december(),
        "social.payments-transfer",
        &moved,
        "k",
        &mut counters,
    );
    assert_eq!(
        pension["pension_fund_office"],
        "Головне управління Пенсійного фонду України в Одеській області"
    );
    let lviv = regions::find("Львівська область").expect("Lviv region");
    assert_eq!(
        lviv.pension_fund(),
        "Головне управління Пенсійного фонду України у Львівській області"
    );
}

#[test]
fn regions_are_found_from_an_address_or_a_place_named_after_their_centre() {
    let kyiv_oblast = regions::find("Київська область").expect("found");
    assert_eq!(kyiv_oblast.locative, "Київській області");
    for place in ["м. Київ", "Київ"] {
        assert_eq!(regions::find(place).expect("found").locative, "м. Києві");
    }
    assert_eq!(
        regions::find("м. Львів").expect("found").locative,
        "Львівській області"
    );
    assert!(regions::find("Атлантида").is_none());
}

#[test]
fn the_same_idempotency_key_draws_the_same_patient_and_another_key_another() {
    let mut counters = Counters::default();
    let request = birth("м. Київ");
    let patient = |key, counters: &mut Counters| {
        on(december(), "health.ehealth-entry", &request, key, counters)["patient_id"].clone()
    };
    let first = patient("app-1:health", &mut counters);
    assert_eq!(first, patient("app-1:health", &mut counters));
    assert_ne!(first, patient("app-2:health", &mut counters));
    let id: uuid::Uuid = first.as_str().expect("text").parse().expect("a UUID");
    assert_eq!(id.get_version_num(), 4);
}

#[test]
fn a_sole_proprietor_gets_a_seventeen_digit_register_record_and_a_vat_number_from_the_rnokpp() {
    let mut counters = Counters::default();
    let request =
        json!({ "entrepreneur": { "rnokpp": "3320632157" }, "tax_regime": { "group": 3 } });
    let record = on(
        december(),
        "business.fop-registration",
        &request,
        "k",
        &mut counters,
    );
    let record = record["record_number"].as_str().expect("text");
    assert!(record.starts_with("2 000 000 0000 "), "{record}");
    assert_eq!(
        record.bytes().filter(u8::is_ascii_digit).count(),
        17,
        "{record}"
    );
    let vat = on(
        december(),
        "tax.vat-registration",
        &request,
        "k",
        &mut counters,
    );
    let vat = vat["vat_number"].as_str().expect("text");
    assert!(vat.len() == 12 && vat.starts_with("3320632157"), "{vat}");
    let single = on(
        december(),
        "tax.single-tax-registration",
        &request,
        "k",
        &mut counters,
    );
    assert_eq!(
        (&single["group"], &single["rate_percent"]),
        (&json!(3), &json!(5))
    );
}

#[test]
fn a_certificate_has_a_series_of_roman_one_and_two_capitals_and_a_six_digit_number() {
    let mut counters = Counters::default();
    let request = birth("м. Київ");
    let first = on(
        december(),
        "civil.birth-certificate",
        &request,
        "a",
        &mut counters,
    );
    let second = on(
        december(),
        "civil.birth-certificate",
        &request,
        "b",
        &mut counters,
    );
    let series = first["certificate_series"].as_str().expect("text");
    let chars: Vec<char> = series.chars().collect();
    assert_eq!(chars.len(), 4, "{series}");
    assert_eq!((chars[0], chars[1]), ('І', '-'), "{series}");
    assert!(
        chars[2..].iter().all(|c| ('А'..='Я').contains(c)),
        "{series}"
    );
    assert_eq!(first["certificate_series"], second["certificate_series"]);
    let number = |a: &Value| {
        a["certificate_number"]
            .as_str()
            .expect("text")
            .parse::<u64>()
    };
    assert_eq!(
        number(&second).expect("digits"),
        number(&first).expect("digits") + 1
    );
}
