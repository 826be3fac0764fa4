//! Signing in with a local account: a session token that works on every instance sharing the
//! database, the same answer for a wrong login and a wrong password, a lockout after repeated
//! failures, sessions that end on sign-out, on password change, when idle and at their end, and
//! machine tokens that end when revoked or expired. Hostile input gets a 4xx with the usual body.

use crate::helpers::{Db, INSTITUTION, TestApp, add_institution, spawn_app};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

async fn with_clerk(db: Db) -> TestApp {
    let app = spawn_app(db).await;
    add_institution(&app.store, INSTITUTION).await;
    onestop::people::add_user(&app.store, "olena", Some(INSTITUTION), "clerk", PASSWORD)
        .await
        .expect("user added");
    app
}

async fn sign_in(address: &str, login: &str, password: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{address}/api/v1/session"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

async fn who(address: &str, token: &str) -> u16 {
    let response = reqwest::Client::new()
        .get(format!("{address}/api/v1/session"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    response.status().as_u16()
}

async fn a_clerk_signs_in_on_one_instance_is_known_on_another_and_signs_out(db: Db) {
    let app = with_clerk(db).await;
    let (status, body) = sign_in(&app.address, "olena", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["user"],
        json!({ "login": "olena", "institution": INSTITUTION, "role": "clerk" })
    );
    assert!(
        body["expires_at"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok())
    );
    let token = body["token"].as_str().expect("a token");
    let other = app.another_instance().await;
    assert_eq!(
        who(&other, token).await,
        200,
        "a session is valid on every instance"
    );
    let out = reqwest::Client::new()
        .delete(format!("{}/api/v1/session", app.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    assert_eq!(out.status().as_u16(), 204);
    assert_eq!(who(&app.address, token).await, 401);
    assert_eq!(who(&other, token).await, 401, "signed out everywhere");
}

async fn a_wrong_password_and_an_unknown_login_get_one_answer_and_five_lock_the_account(db: Db) {
    let app = with_clerk(db).await;
    let (status, unknown) = sign_in(&app.address, "nobody-here", PASSWORD).await;
    assert_eq!(status, 401);
    let (status, wrong) = sign_in(&app.address, "olena", "not the password").await;
    assert_eq!(status, 401);
    assert_eq!(unknown, wrong, "the same answer for both");
    for _ in 0..4 {
        sign_in(&app.address, "olena", "still not the password").await;
    }
    let (status, locked) = sign_in(&app.address, "olena", PASSWORD).await;
    assert_eq!(
        (status, &locked),
        (401, &wrong),
        "locked after five failures"
    );
}

async fn changing_the_password_ends_every_session_of_the_account(db: Db) {
    let app = with_clerk(db).await;
    let (_, first) = sign_in(&app.address, "olena", PASSWORD).await;
    let (_, second) = sign_in(&app.address, "olena", PASSWORD).await;
    let first = first["token"].as_str().expect("token");
    let short = json!({ "current": PASSWORD, "new": "too short" });
    let change = |body: Value| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/session/password", app.address))
            .bearer_auth(first)
            .json(&body)
            .send()
    };
    assert_eq!(change(short).await.expect("sent").status().as_u16(), 422);
    let body = json!({ "current": PASSWORD, "new": "a much longer passphrase" });
    let response = change(body).await.expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let renewed: Value = response.json().await.expect("JSON");
    assert_eq!(who(&app.address, first).await, 401);
    assert_eq!(
        who(&app.address, second["token"].as_str().expect("token")).await,
        401
    );
    assert_eq!(
        who(&app.address, renewed["token"].as_str().expect("token")).await,
        200
    );
    assert_eq!(sign_in(&app.address, "olena", PASSWORD).await.0, 401);
    assert_eq!(
        sign_in(&app.address, "olena", "a much longer passphrase")
            .await
            .0,
        200
    );
}

async fn an_idle_session_a_revoked_token_and_an_expired_one_are_refused(db: Db) {
    let app = with_clerk(db).await;
    let (_, body) = sign_in(&app.address, "olena", PASSWORD).await;
    let session = body["token"].as_str().expect("token");
    let hash = onestop::access::secret::hash(session);
    let an_hour_ago = onestop::store::now_ms() - 3_600_000;
    app.store
        .touch_credential(&hash, an_hour_ago)
        .await
        .expect("touched");
    assert_eq!(
        who(&app.address, session).await,
        401,
        "idle for an hour (30 minutes allowed)"
    );

    let token = onestop::people::add_token(&app.store, "his", Some(INSTITUTION), "clerk", "P1D")
        .await
        .expect("token");
    assert_eq!(who(&app.address, &token).await, 200);
    onestop::people::revoke_token(&app.store, "his")
        .await
        .expect("revoked");
    assert_eq!(who(&app.address, &token).await, 401);

    let (expired, hash) = onestop::access::secret::new(onestop::access::secret::Kind::Token);
    let new = onestop::store::NewCredential {
        hash: &hash,
        kind: "token",
        login: None,
        name: Some("old"),
        institution: Some(INSTITUTION),
        role: "clerk",
        expires_at: an_hour_ago,
    };
    let setup = crate::helpers::test_setup();
    assert!(
        app.store
            .add_credential(&new, &setup)
            .await
            .expect("stored")
    );
    assert_eq!(who(&app.address, &expired).await, 401);
}

async fn hostile_input_to_the_new_routes_gets_a_4xx_with_the_usual_error_body(db: Db) {
    let app = with_clerk(db).await;
    let client = reqwest::Client::new();
    let session = format!("{}/api/v1/session", app.address);
    let huge = "x".repeat(300 * 1024);
    let bodies: Vec<(&str, String)> = vec![
        ("application/json", "{not json".into()),
        ("application/json", r#"{"login": 1, "password": []}"#.into()),
        (
            "application/json",
            r#"{"login": "ol\u0000ena", "password": "x"}"#.into(),
        ),
        ("application/json", r#"{"login": "olena"}"#.into()),
        (
            "application/json",
            format!(r#"{{"login": "olena", "password": "{huge}"}}"#),
        ),
        (
            "text/plain",
            format!(r#"{{"login": "olena", "password": "{PASSWORD}"}}"#),
        ),
        ("application/x-www-form-urlencoded", "login=olena".into()),
    ];
    for (content_type, body) in bodies {
        let response = client
            .post(&session)
            .header("Content-Type", content_type)
            .body(body.clone());
        let response = response.send().await.expect("sent");
        assert_usual_4xx(response, &body[..body.len().min(60)]).await;
    }
    let applications = format!("{}/api/v1/applications/{}", app.address, uuid::Uuid::nil());
    for header in [
        "Bearer",
        "Bearer oss_short",
        "Basic b2xlbmE6eA==",
        "Bearer osc_0000",
        "Bearer ost_ZZZZ",
    ] {
        let response = client
            .get(&applications)
            .header("Authorization", header)
            .send();
        assert_usual_4xx(response.await.expect("sent"), header).await;
    }
    let forged = format!("Bearer ost_{}", "0".repeat(32));
    let response = client
        .get(&applications)
        .header("Authorization", forged)
        .send();
    assert_usual_4xx(response.await.expect("sent"), "an unknown token").await;
}

async fn the_provider_sign_in_refuses_a_forged_answer_and_an_unreachable_provider_cleanly(db: Db) {
    let app = crate::helpers::spawn_app_with(db, |s| {
        s.auth.oidc = Some(onestop::settings::OidcSettings {
            issuer: "http://127.0.0.1:9".into(),
            client_id: "onestop".into(),
            client_secret: "secret".into(),
            scopes: "profile".into(),
            login_claim: "preferred_username".into(),
            institution_claim: "institution".into(),
            role_claim: "role".into(),
            rnokpp_claim: "drfocode".into(),
        });
    })
    .await;
    let get = |path: &str| app.pages.get(format!("{}{path}", app.address)).send();
    let start = get("/sign-in/oidc?next=/").await.expect("sent");
    assert_eq!(
        start.status().as_u16(),
        503,
        "the provider cannot be reached"
    );
    for forged in [
        "/sign-in/oidc/callback?code=abc&state=never-issued",
        "/sign-in/oidc/callback?state=x",
        "/sign-in/oidc/callback?error=access_denied",
        "/sign-in/oidc/callback?code=%00&state=%00",
    ] {
        let answer = get(forged).await.expect("sent");
        assert_eq!(answer.status().as_u16(), 401, "{forged}");
    }
    // A person proving who they are for a confirmation: an unknown link is not found, a real
    // one meets the same unreachable provider.
    let unknown = get(&format!("/confirmations/{}/oidc", "0".repeat(32)));
    assert_eq!(unknown.await.expect("sent").status().as_u16(), 404);
    let id = app
        .submit_ok("relocation", &crate::helpers::example("relocation"))
        .await;
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let link = (body["services"].as_array().expect("services").iter())
        .find_map(|s| s["confirm_url"].as_str())
        .expect("a confirmation link")
        .replace("/api/v1", "");
    let start = app.pages.get(format!("{link}/oidc")).send().await;
    assert_eq!(start.expect("sent").status().as_u16(), 503);
}

async fn a_supervisor_adds_a_clerk_of_their_own_institution_who_then_signs_in(db: Db) {
    let app = with_clerk(db).await;
    let supervisor = crate::helpers::session(&app.store, "head-of-ward", "supervisor").await;
    let client = crate::helpers::client_with(&supervisor);
    let add = |body: Value| {
        client
            .post(format!("{}/api/v1/users", app.address))
            .json(&body)
            .send()
    };
    let clerk = json!({ "login": "taras", "role": "clerk", "password": "a long enough password" });
    let added = add(clerk.clone()).await.expect("sent");
    assert_eq!(added.status().as_u16(), 201);
    let added: Value = added.json().await.expect("JSON");
    assert_eq!(
        added,
        json!({ "login": "taras", "institution": INSTITUTION, "role": "clerk" })
    );
    assert_eq!(
        sign_in(&app.address, "taras", "a long enough password")
            .await
            .0,
        200
    );
    let answers = [
        (clerk, 409),
        (
            json!({ "login": "x", "role": "supervisor", "password": "a long enough password" }),
            403,
        ),
        (
            json!({ "login": "x", "role": "clerk", "institution": "elsewhere", "password": "a long enough password" }),
            403,
        ),
        (
            json!({ "login": "x", "role": "clerk", "password": "short" }),
            422,
        ),
        (
            json!({ "login": "x\u{0}", "role": "clerk", "password": "a long enough password" }),
            422,
        ),
        (
            json!({ "login": "x", "role": "boss", "password": "a long enough password" }),
            422,
        ),
        (json!({ "login": 1, "role": [], "password": null }), 400),
    ];
    for (body, status) in answers {
        let response = add(body.clone()).await.expect("sent");
        assert_eq!(response.status().as_u16(), status, "{body}");
    }
}

async fn a_disabled_clerk_is_signed_out_at_once_and_signs_in_no_more(db: Db) {
    let app = with_clerk(db).await;
    let (_, signed_in) = sign_in(&app.address, "olena", PASSWORD).await;
    let token = signed_in["token"].as_str().expect("token").to_owned();
    add_institution(&app.store, "ward-elsewhere").await;
    onestop::people::add_user(
        &app.store,
        "ivan",
        Some("ward-elsewhere"),
        "clerk",
        PASSWORD,
    )
    .await
    .expect("user added");
    let supervisor = crate::helpers::session(&app.store, "head-of-ward", "supervisor").await;
    let disable = |secret: &str, login: &str| {
        crate::helpers::client_with(secret)
            .delete(format!("{}/api/v1/users/{login}", app.address))
            .send()
    };
    let clerk_disables = disable(&token, "olena").await.expect("sent");
    assert_eq!(
        clerk_disables.status().as_u16(),
        403,
        "a clerk manages no one"
    );
    let elsewhere = disable(&supervisor, "ivan").await.expect("sent");
    assert_eq!(
        elsewhere.status().as_u16(),
        404,
        "another institution's clerk is not there"
    );
    let unknown = disable(&supervisor, "nobody-at-all").await.expect("sent");
    assert_eq!(unknown.status().as_u16(), 404);
    let themselves = disable(&supervisor, "head-of-ward").await.expect("sent");
    assert_eq!(themselves.status().as_u16(), 403);
    let disabled = disable(&supervisor, "olena").await.expect("sent");
    assert_eq!(disabled.status().as_u16(), 204);
    assert_eq!(who(&app.address, &token).await, 401, "her session ended");
    assert_eq!(sign_in(&app.address, "olena", PASSWORD).await.0, 401);
    let again = disable(&supervisor, "olena").await.expect("sent");
    assert_eq!(again.status().as_u16(), 404);
    let admin = crate::helpers::session_at(&app.store, "root", None, "admin").await;
    assert_eq!(
        disable(&admin, "ivan")
            .await
            .expect("sent")
            .status()
            .as_u16(),
        204
    );
}

async fn a_one_time_password_only_lets_its_owner_set_their_own(db: Db) {
    let app = with_clerk(db).await;
    onestop::people::add_user_one_time(&app.store, "taras", Some(INSTITUTION), "clerk", PASSWORD)
        .await
        .expect("user added");
    let (status, signed_in) = sign_in(&app.address, "taras", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(signed_in["password_change_required"], true);
    let token = signed_in["token"].as_str().expect("token").to_owned();
    let client = crate::helpers::client_with(&token);
    assert_eq!(
        who(&app.address, &token).await,
        200,
        "the session knows who it is"
    );
    let submit = |client: reqwest::Client| {
        let url = format!("{}/api/v1/bundles/birth/applications", app.address);
        async move {
            let body = crate::helpers::example("birth");
            client.post(url).json(&body).send().await.expect("sent")
        }
    };
    let refused = submit(client.clone()).await;
    assert_eq!(refused.status().as_u16(), 403);
    let refused: Value = refused.json().await.expect("JSON");
    assert!(
        refused.to_string().contains("одноразовий пароль"),
        "{refused}"
    );
    let change = |current: &str, new: &str| {
        client
            .post(format!("{}/api/v1/session/password", app.address))
            .json(&json!({ "current": current, "new": new }))
            .send()
    };
    let same = change(PASSWORD, PASSWORD).await.expect("sent");
    assert_eq!(
        same.status().as_u16(),
        422,
        "the one-time password cannot stay"
    );
    let changed = change(PASSWORD, "my very own passphrase")
        .await
        .expect("sent");
    assert_eq!(changed.status().as_u16(), 200);
    let changed: Value = changed.json().await.expect("JSON");
    assert_eq!(changed["password_change_required"], false);
    assert_eq!(
        who(&app.address, &token).await,
        401,
        "the old session ended"
    );
    let own = changed["token"].as_str().expect("token");
    let submitted = submit(crate::helpers::client_with(own)).await;
    assert_eq!(submitted.status().as_u16(), 201);
    let (_, again) = sign_in(&app.address, "taras", "my very own passphrase").await;
    assert_eq!(again["password_change_required"], false);
}

async fn assert_usual_4xx(response: reqwest::Response, what: &str) {
    let status = response.status().as_u16();
    assert!((400..500).contains(&status), "{what}: {status}");
    let body: Value = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
}

on_both_databases!(
    a_clerk_signs_in_on_one_instance_is_known_on_another_and_signs_out,
    a_wrong_password_and_an_unknown_login_get_one_answer_and_five_lock_the_account,
    changing_the_password_ends_every_session_of_the_account,
    an_idle_session_a_revoked_token_and_an_expired_one_are_refused,
    hostile_input_to_the_new_routes_gets_a_4xx_with_the_usual_error_body,
    the_provider_sign_in_refuses_a_forged_answer_and_an_unreachable_provider_cleanly,
    a_supervisor_adds_a_clerk_of_their_own_institution_who_then_signs_in,
    a_disabled_clerk_is_signed_out_at_once_and_signs_in_no_more,
    a_one_time_password_only_lets_its_owner_set_their_own,
);
