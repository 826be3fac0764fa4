//! Listing bundles and serving the combined form.

use crate::helpers::{Db, root, spawn_app};

#[tokio::test]
async fn bundles_are_listed_with_their_services() {
    let app = spawn_app(Db::Sqlite).await;
    let (status, body) = app.get_json("/api/v1/bundles").await;
    assert_eq!(status, 200);
    let birth = &body["bundles"][0];
    assert_eq!(birth["id"], "birth");
    assert_eq!(birth["title"]["uk"], "Народження дитини");
    assert_eq!(birth["services"].as_array().map(Vec::len), Some(10));
}

#[tokio::test]
async fn combined_form_from_api_and_cli_are_the_same() {
    let app = spawn_app(Db::Sqlite).await;
    let (status, api_form) = app.get_json("/api/v1/bundles/birth/form").await;
    assert_eq!(status, 200);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_onestop"))
        .args(["form", "birth", "--definitions"])
        .arg(root())
        .output()
        .expect("onestop form runs");
    assert!(output.status.success());
    let cli_form: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("CLI prints JSON");
    assert_eq!(api_form, cli_form);
    let required = api_form["required"].as_array().expect("required");
    assert!(required.iter().any(|r| r == "mother"));
    assert!(
        api_form["properties"]
            .get("birth_act_record_number")
            .is_none(),
        "bound inputs are not asked"
    );
    assert!(
        api_form["$defs"].is_object(),
        "referenced files are embedded"
    );
}

#[tokio::test]
async fn the_combined_form_shrinks_to_the_chosen_services() {
    let app = spawn_app(Db::Sqlite).await;
    let (_, mandatory) = app.get_json("/api/v1/bundles/birth/form?services=").await;
    let (_, with_benefit) = app
        .get_json("/api/v1/bundles/birth/form?services=social.birth-assistance")
        .await;
    assert!(
        mandatory["properties"].get("benefit").is_none(),
        "no optional service, no IBAN asked"
    );
    assert!(mandatory["properties"].get("children").is_some());
    assert!(
        with_benefit["properties"].get("benefit").is_some(),
        "birth assistance asks for the IBAN"
    );
    assert!(
        with_benefit["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|f| f == "benefit"))
    );
    let (status, _) = app
        .get_json("/api/v1/bundles/birth/form?services=no.such-service")
        .await;
    assert_eq!(status, 422);
}
