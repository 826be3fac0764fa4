//! The three shipped life events, end to end on the simulated registries, from their example
//! applications (every optional service chosen).

use crate::helpers::{Db, example, postgres_url, spawn_app};
use serde_json::Value;

fn calls(done: &Value) -> Vec<(String, String)> {
    let services = done["services"].as_array().expect("services");
    services
        .iter()
        .map(|s| {
            let service = s["service"].as_str().unwrap_or_default().to_owned();
            let status = s["status"].as_str().unwrap_or_default().to_owned();
            (service, status)
        })
        .collect()
}

fn count(calls: &[(String, String)], service: &str) -> usize {
    calls.iter().filter(|(s, _)| s == service).count()
}

async fn completes(db: Db, bundle: &str) -> Vec<(String, String)> {
    let app = spawn_app(db).await;
    let id = app.submit_ok(bundle, &example(bundle)).await;
    app.confirm_human_steps(&id).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    // Its receipt texts render (strictly) over the example, in every language.
    for lang in ["uk", "en", "uk+en"] {
        let url = format!(
            "{}/api/v1/applications/{id}/receipt.pdf?lang={lang}",
            app.address
        );
        let response = app.client.get(url).send().await.expect("receipt");
        assert_eq!(
            response.status().as_u16(),
            200,
            "{bundle} receipt in {lang}"
        );
    }
    let calls = calls(&done);
    assert!(
        calls.iter().all(|(_, status)| status == "succeeded"),
        "{calls:?}"
    );
    calls
}

#[tokio::test]
async fn a_full_birth_application_completes_with_every_optional_service() {
    let calls = completes(Db::Sqlite, "birth").await;
    for service in [
        "civil.birth-registration",
        "tax.rnokpp-assignment",
        "migration.unzr-entry",
        "migration.citizenship-determination",
        "civil.birth-certificate",
        "community.residence-registration",
        "social.birth-assistance",
        "social.baby-box",
        "social.large-family",
        "health.ehealth-entry",
    ] {
        assert_eq!(count(&calls, service), 1, "{service}: {calls:?}");
    }
}

#[tokio::test]
async fn a_parent_relocating_with_two_children_runs_the_per_person_services_three_times() {
    let calls = completes(Db::Sqlite, "relocation").await;
    for service in [
        "residence.deregistration",
        "residence.registration",
        "tax.address-update",
    ] {
        assert_eq!(count(&calls, service), 3, "{service}: {calls:?}");
    }
    for service in [
        "voters.register-update",
        "military.register-notice",
        "social.payments-transfer",
    ] {
        assert_eq!(count(&calls, service), 1, "{service}: {calls:?}");
    }
}

#[tokio::test]
async fn a_business_start_in_group_3_with_vat_completes() {
    let calls = completes(Db::Sqlite, "business-start").await;
    for service in [
        "business.fop-registration",
        "tax.single-tax-registration",
        "tax.vat-registration",
        "tax.esv-registration",
    ] {
        assert_eq!(count(&calls, service), 1, "{service}: {calls:?}");
    }
    assert_eq!(
        count(&calls, "tax.general-regime-registration"),
        0,
        "the general regime is not chosen"
    );
}

#[tokio::test]
async fn every_shipped_life_event_completes_on_postgres() {
    if postgres_url().is_some() {
        for bundle in ["birth", "relocation", "business-start"] {
            completes(Db::Postgres, bundle).await;
        }
    }
}

#[tokio::test]
async fn the_single_tax_registration_answers_with_the_group_applied_for() {
    let app = spawn_app(Db::Sqlite).await;
    let id = app
        .submit_ok("business-start", &example("business-start"))
        .await;
    let done = app.wait_until_done(&id).await;
    let services = done["services"].as_array().expect("services");
    let single_tax = services
        .iter()
        .find(|s| s["service"] == "tax.single-tax-registration")
        .expect("single tax");
    assert_eq!(single_tax["outputs"]["group"], 3, "{single_tax:#}");
}
