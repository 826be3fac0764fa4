//! The API's contract, `/api/v1/openapi.json`: OpenAPI 3.1 by the official meta-schema, every
//! route of the API in it (and in docs/api.md), every error in the one error body, the answers
//! the app really gives matching their schemas, and Swagger UI served from the binary.

use crate::helpers::{Db, example, root, spawn_app};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn contract(address: &str) -> Value {
    let response = reqwest::get(format!("{address}/api/v1/openapi.json"))
        .await
        .expect("the contract is served");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.expect("the contract is JSON")
}

/// Every operation: (METHOD, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

/// A validator of the component schema `name`, its `$ref`s resolved within the document.
fn component(doc: &Value, name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"],
    });
    jsonschema::draft202012::new(&schema).expect("the component compiles as JSON Schema 2020-12")
}

fn assert_matches(doc: &Value, name: &str, body: &Value) {
    let validator = component(doc, name);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{body} is not a {name}: {errors:?}");
}

#[tokio::test]
async fn the_contract_is_openapi_3_1_and_valid_by_the_official_meta_schema() {
    let app = spawn_app(Db::Sqlite).await;
    let doc = contract(&app.address).await;
    let version = doc["openapi"].as_str().expect("openapi");
    assert!(version.starts_with("3.1."), "OpenAPI {version}");
    let text = std::fs::read_to_string(root().join("tests/fixtures/openapi-3.1/schema.json"))
        .expect("the meta-schema is vendored");
    let meta: Value = serde_json::from_str(&text).expect("the meta-schema is JSON");
    let validator = jsonschema::draft202012::new(&meta).expect("the meta-schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Its Schema Objects are JSON Schema 2020-12: each compiles.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    assert!(schemas.len() > 20, "the answers are described");
    for name in schemas.keys() {
        component(&doc, name);
    }
    // A broken document is caught (the check can fail).
    let mut broken = doc.clone();
    broken["paths"]["/api/v1/bundles"]["get"]["responses"] = json!("none");
    assert!(!validator.is_valid(&broken));
}

/// The API's routes as docs/api.md's table lists them: (METHOD, path with `{…}` parameters).
fn documented_routes() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(root().join("docs/api.md")).expect("docs/api.md");
    text.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|row| row.split('`').next())
        .filter_map(|route| route.split_once(' '))
        .filter(|(_, path)| path.starts_with("/api/v1/"))
        .map(|(method, path)| {
            let path = path.split(['[', '?']).next().unwrap_or(path);
            (method.to_owned(), path.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn every_route_of_the_api_is_in_the_contract_and_in_the_docs_and_answers() {
    let app = spawn_app(Db::Sqlite).await;
    let doc = contract(&app.address).await;
    let in_contract: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    assert_eq!(in_contract.len(), 24, "{in_contract:#?}");
    assert_eq!(in_contract, documented_routes());
    // Each is a route the app serves: none falls through to the default "no such page".
    let client = reqwest::Client::new();
    for (method, path) in &in_contract {
        let concrete = path
            .replace("{bundle}", "birth")
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let url = format!("{}{concrete}", app.address);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let response = client
            .request(method.clone(), url)
            .json(&json!({}))
            .send()
            .await
            .expect("answered");
        let body = response.text().await.unwrap_or_default();
        assert!(
            !body.contains("Сторінку не знайдено"),
            "{method} {path} is not routed"
        );
    }
}

#[tokio::test]
async fn every_error_of_every_operation_is_the_usual_error_body() {
    let app = spawn_app(Db::Sqlite).await;
    let doc = contract(&app.address).await;
    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        let id = operation["operationId"].as_str().expect("an operation id");
        assert!(ids.insert(id.to_owned()), "{id} is not unique");
        let responses = operation["responses"].as_object().expect("responses");
        assert!(responses.contains_key("500"), "{method} {path}: 500");
        let bearer = operation["security"]
            .as_array()
            .is_some_and(|s| s.contains(&json!({"bearer": []})));
        if bearer {
            assert!(responses.contains_key("401"), "{method} {path}: 401");
        }
        if method == "POST" {
            assert!(responses.contains_key("415"), "{method} {path}: 415");
        }
        for (status, response) in responses {
            if status.as_str() >= "400" {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
}

#[tokio::test]
async fn the_answers_the_app_gives_match_the_schemas_of_the_contract() {
    let app = spawn_app(Db::Sqlite).await;
    let doc = contract(&app.address).await;
    let (_, bundles) = app.get_json("/api/v1/bundles").await;
    assert_matches(&doc, "BundleList", &bundles);
    let birth = example("birth");
    let response = app.submit("birth", &birth).await;
    assert_eq!(response.status().as_u16(), 201);
    let submitted: Value = response.json().await.expect("JSON");
    assert_matches(&doc, "Submitted", &submitted);
    let id = submitted["id"].as_str().expect("id");
    let done = app.wait_until_done(id).await;
    assert_matches(&doc, "ApplicationView", &done);
    let (_, page) = app.get_json("/api/v1/applications").await;
    assert_matches(&doc, "WorkListPage", &page);
    // The errors: a duplicate (with `duplicate_of`), invalid data, an unknown bundle.
    let again = app.submit("birth", &birth).await;
    assert_eq!(again.status().as_u16(), 409);
    let duplicate: Value = again.json().await.expect("JSON");
    assert_eq!(duplicate["errors"][0]["duplicate_of"], id);
    assert_matches(&doc, "ErrorBody", &duplicate);
    let invalid = app.submit("birth", &json!({"data": {}})).await;
    assert_eq!(invalid.status().as_u16(), 422);
    assert_matches(&doc, "ErrorBody", &invalid.json().await.expect("JSON"));
    let (status, unknown) = app.get_json("/api/v1/bundles/nothing/form").await;
    assert_eq!(status, 404);
    assert_matches(&doc, "ErrorBody", &unknown);
}

#[tokio::test]
async fn the_submission_example_of_the_contract_is_the_shipped_birth_example() {
    let app = spawn_app(Db::Sqlite).await;
    let doc = contract(&app.address).await;
    let submit = &doc["paths"]["/api/v1/bundles/{bundle}/applications"]["post"];
    let example = &submit["requestBody"]["content"]["application/json"]["examples"]["birth"];
    let shipped =
        std::fs::read_to_string(root().join("bundles/examples/birth.json")).expect("the example");
    let shipped: Value = serde_json::from_str(&shipped).expect("JSON");
    assert_eq!(example["value"], shipped);
    let bundles = &submit["parameters"][0]["schema"]["enum"];
    assert_eq!(bundles, &json!(["birth", "business-start", "relocation"]));
    let sign_in = &doc["components"]["schemas"]["Credentials"]["example"];
    assert!(sign_in["login"].is_string() && sign_in["password"].is_string());
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary_and_reads_the_contract() {
    let app = spawn_app(Db::Sqlite).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let bare = client
        .get(format!("{}/api/docs", app.address))
        .send()
        .await
        .expect("answered");
    assert_eq!(bare.status().as_u16(), 308);
    assert_eq!(bare.headers()["location"], "/api/docs/");
    let page = client
        .get(format!("{}/api/docs/", app.address))
        .send()
        .await
        .expect("answered");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("HTML");
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("\"//"));
    // Every file the page loads is the server's own.
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("./"))
        .collect();
    assert!(assets.len() >= 4, "{assets:?}");
    for asset in assets {
        let url = format!("{}/api/docs/{}", app.address, &asset[2..]);
        let response = client.get(&url).send().await.expect("answered");
        assert_eq!(response.status().as_u16(), 200, "{asset}");
    }
    let init = client
        .get(format!("{}/api/docs/swagger-initializer.js", app.address))
        .send()
        .await
        .expect("answered");
    assert!(
        init.text()
            .await
            .expect("JS")
            .contains("\"/api/v1/openapi.json\"")
    );
    // The files are the vendored copy: the build fetched nothing.
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.starts_with("utoipa-swagger-ui"))
        .expect("utoipa-swagger-ui is a dependency");
    assert!(line.contains("\"vendored\""), "{line}");
}

/// Found by the contract test's probing: the routes that read their body as bytes answered an
/// oversized body with actix's plain-text 413, not the usual error body.
#[tokio::test]
async fn a_body_over_the_limit_on_a_route_that_reads_bytes_is_413_with_the_usual_error_body() {
    let app = spawn_app(Db::Sqlite).await;
    let doc = contract(&app.address).await;
    let reason = "а".repeat(300 * 1024);
    let body = json!({"status": "refused", "reason": reason});
    let paths = [
        "/api/v1/callbacks/abc",
        "/api/v1/applications/x/services/y/retry",
        "/api/v1/applications/x/steps/y/reopen",
    ];
    for path in paths {
        let response = app
            .client
            .post(format!("{}{path}", app.address))
            .json(&body)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), 413, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_matches(&doc, "ErrorBody", &response.json().await.expect("JSON"));
    }
}
