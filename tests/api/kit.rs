//! The mobile kit's server side: its app files (public, with a policy that lets the manifest
//! and the worker load), the pack a registrar's device keeps for the shift (only what their
//! institution offers, only for roles that take applications), and a synced application's
//! capture — the device's key, its clock and who took it down — in the audit trail beside who
//! sent it and when. The kit itself is driven in a browser: `tests/browser/kit.test.js`.

use crate::helpers::{Db, INSTITUTION, client_with, example, spawn_app, token, trail};
use serde_json::{Value, json};

on_both_databases!(
    the_kit_is_served_to_anyone_and_its_worker_cache_is_named_after_the_build,
    the_pack_holds_the_forms_of_what_the_registrars_institution_offers_and_their_messages,
    the_pack_is_for_signed_in_staff_who_take_applications,
    a_synced_application_has_its_capture_in_the_audit_trail_beside_who_sent_it,
    a_malformed_capture_gets_a_4xx_at_its_pointer_and_nothing_is_stored,
);

async fn the_kit_is_served_to_anyone_and_its_worker_cache_is_named_after_the_build(db: Db) {
    let app = spawn_app(db).await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let get = async |path: &str| {
        (plain.get(format!("{}{path}", app.address)).send().await).expect("sent")
    };
    let moved = get("/kit").await;
    assert_eq!(moved.status().as_u16(), 308);
    assert_eq!(moved.headers()["location"], "/kit/");
    let page = get("/kit/").await;
    assert_eq!(page.status().as_u16(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(policy.contains("manifest-src 'self'") && policy.contains("worker-src 'self'"));
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let html = page.text().await.expect("text");
    assert!(html.contains(r#"<link rel="manifest" href="/kit/manifest.webmanifest">"#));
    let worker = get("/kit/sw.js").await;
    assert_eq!(
        worker.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let worker = worker.text().await.expect("text");
    let cache = worker
        .lines()
        .find(|l| l.starts_with("const CACHE"))
        .expect("the cache's name");
    assert!(
        !cache.contains("__KIT_VERSION__"),
        "the version is filled in: {cache}"
    );
    let manifest: Value = get("/kit/manifest.webmanifest")
        .await
        .json()
        .await
        .expect("the manifest is JSON");
    assert_eq!(manifest["start_url"], "/kit/");
    for icon in manifest["icons"].as_array().expect("icons") {
        let src = icon["src"].as_str().expect("src");
        let got = get(src).await;
        assert_eq!(got.status().as_u16(), 200, "{src}");
        assert!(
            worker.contains(&format!("'{src}'")),
            "the worker keeps {src}"
        );
    }
    let missing = get("/kit/../Cargo.toml").await;
    assert_eq!(missing.status().as_u16(), 404);
    let unknown = get("/kit/nothing.js").await;
    assert_eq!(unknown.status().as_u16(), 404);
}

async fn the_pack_holds_the_forms_of_what_the_registrars_institution_offers_and_their_messages(
    db: Db,
) {
    let app = spawn_app(db).await;
    let ward = "ward-1";
    let births_only = onestop::store::Institution {
        id: ward.into(),
        title_uk: "Пологовий будинок".into(),
        title_en: "Maternity ward".into(),
        bundles: vec!["birth".into()],
    };
    (app.store)
        .add_institution(&births_only, &crate::helpers::test_setup())
        .await
        .expect("the ward offers births only");
    let registrar = client_with(&token(&app.store, Some(ward), "registrar").await);
    let response = registrar
        .get(format!("{}/api/v1/kit", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let pack: Value = response.json().await.expect("JSON");
    assert_eq!(pack["user"]["institution"], ward);
    let events: Vec<&str> = (pack["events"].as_array().expect("events").iter())
        .filter_map(|e| e["bundle"].as_str())
        .collect();
    assert_eq!(events, ["birth"], "only what the ward offers");
    let birth = &pack["events"][0];
    assert_eq!(
        birth["form"]["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let fields = birth["fields"].as_array().expect("fields");
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "children" && f["kind"] == "list")
    );
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "mother" && f["kind"] == "group")
    );
    let uk = &pack["messages"]["uk"];
    assert_eq!(uk["required-field"], "Обов'язкове поле");
    assert!(
        uk["format-rnokpp"]
            .as_str()
            .is_some_and(|m| m.contains("РНОКПП"))
    );
    assert!(
        pack["messages"]["en"]["format-rnokpp"]
            .as_str()
            .is_some_and(|m| m.contains("RNOKPP"))
    );
    // Every message with a parameter the form's schema has is there, worded by the server.
    let schema = birth["form"].to_string();
    for (keyword, key) in [("\"maxLength\":", "maxLength:"), ("\"enum\":", "enum:")] {
        if schema.contains(keyword) {
            let map = uk.as_object().expect("messages");
            assert!(map.keys().any(|k| k.starts_with(key)), "a {key} message");
        }
    }
}

async fn the_pack_is_for_signed_in_staff_who_take_applications(db: Db) {
    let app = spawn_app(db).await;
    let url = format!("{}/api/v1/kit", app.address);
    let nobody = reqwest::Client::new().get(&url).send().await.expect("sent");
    assert_eq!(nobody.status().as_u16(), 401);
    let body: Value = nobody.json().await.expect("the usual error body");
    assert!(body["errors"][0]["message"].is_string());
    let auditor = client_with(&token(&app.store, Some(INSTITUTION), "auditor").await);
    let refused = auditor.get(&url).send().await.expect("sent");
    assert_eq!(refused.status().as_u16(), 403);
    let forged = client_with("ost_session_0000000000000000000000000000");
    assert_eq!(
        forged
            .get(&url)
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16(),
        401
    );
    let clerk = client_with(&token(&app.store, Some(INSTITUTION), "clerk").await);
    assert_eq!(
        clerk
            .get(&url)
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16(),
        200
    );
}

/// The body a kit sends: the data and where it was taken down.
fn captured(data: Value) -> Value {
    json!({
        "data": data,
        "capture": {
            "device": "kit-0b6d4c1e-7f55-4a57-9d1b-3f1c2f7b8a90",
            "captured_at": "2026-12-04T09:15:00Z",
            "captured_by": "village-registrar",
        },
    })
}

async fn a_synced_application_has_its_capture_in_the_audit_trail_beside_who_sent_it(db: Db) {
    let app = spawn_app(db).await;
    let key = "0193a0c2-3e4f-7a00-8000-000000000001";
    let body = captured(example("birth")["data"].clone());
    let send = || {
        app.client
            .post(format!("{}/api/v1/bundles/birth/applications", app.address))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send().await.expect("sent");
    assert_eq!(first.status().as_u16(), 201);
    let id = first.json::<Value>().await.expect("JSON")["id"].clone();
    let again = send().await.expect("sent");
    assert_eq!(
        again.status().as_u16(),
        201,
        "a repeat gets the first answer"
    );
    assert_eq!(again.json::<Value>().await.expect("JSON")["id"], id);
    let auditor = client_with(&token(&app.store, None, "auditor").await);
    let id = id.as_str().expect("id");
    let trail = trail(&app, &auditor, &format!("application={id}")).await;
    let submitted: Vec<&Value> = (trail.iter())
        .filter(|e| e["action"] == "application.submit")
        .collect();
    assert_eq!(
        submitted.len(),
        1,
        "one application, one submission: {trail:#?}"
    );
    let entry = submitted[0];
    assert_eq!(
        entry["detail"]["capture"],
        json!({
            "device": "kit-0b6d4c1e-7f55-4a57-9d1b-3f1c2f7b8a90",
            "captured_at": "2026-12-04T09:15:00Z",
            "captured_by": "village-registrar",
        })
    );
    assert!(
        entry["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("token:")),
        "who sent it: {entry}"
    );
    assert!(
        entry["at"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
        "when"
    );
}

async fn a_malformed_capture_gets_a_4xx_at_its_pointer_and_nothing_is_stored(db: Db) {
    let app = spawn_app(db).await;
    let data = example("birth")["data"].clone();
    let cases = [
        (json!("yesterday"), "/capture"),
        (
            json!({"device": "kit-1", "captured_by": "x"}),
            "/capture/captured_at",
        ),
        (
            json!({"device": "kit 1", "captured_at": "2026-12-04T09:15:00Z", "captured_by": "x"}),
            "/capture/device",
        ),
        (
            json!({"device": "kit-1", "captured_at": "вчора", "captured_by": "x"}),
            "/capture/captured_at",
        ),
        (
            json!({"device": "kit-1", "captured_at": "2026-12-04T09:15:00Z", "captured_by": "x\u{0007}"}),
            "/capture/captured_by",
        ),
        (
            json!({"device": "k".repeat(65), "captured_at": "2026-12-04T09:15:00Z", "captured_by": "x"}),
            "/capture/device",
        ),
        (
            json!({"device": "kit-1", "captured_at": "2026-12-04T09:15:00Z", "captured_by": "x", "gps": 1}),
            "/capture/gps",
        ),
        (
            json!({"device": "kit-1", "captured_at": "2026-12-04T09:15:00Z", "captured_by": "x", "a/b": 1}),
            "/capture/a~1b",
        ),
        (
            json!({"device": "kit-1", "captured_at": "2026-12-04T09:15:00Z", "captured_by": "rotartsiger\u{202E}"}),
            "/capture/captured_by",
        ),
    ];
    for (capture, pointer) in cases {
        let response = app
            .submit("birth", &json!({"data": data, "capture": capture}))
            .await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("the usual error body");
        assert_eq!(status, 422, "{capture}: {body}");
        assert_eq!(body["errors"][0]["pointer"], pointer, "{capture}");
    }
    let (_, list) = app.get_json("/api/v1/applications").await;
    assert_eq!(
        list["applications"].as_array().map_or(0, Vec::len),
        0,
        "nothing stored: {list}"
    );
}
