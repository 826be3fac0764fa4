//! The mobile CNAP kit: an installable staff app (`/kit/`, a web app manifest and a service
//! worker) that takes applications where there is no connection and sends each exactly once
//! when there is. The server's part is small: the app's files, embedded like the pages' assets
//! and public like them (code, no data), and `GET /api/v1/kit`, the pack a signed-in registrar's
//! device keeps for the shift — the life events their institution offers, each with its
//! combined form (schema and fields to draw) and the validation messages in both languages,
//! worded here so the device says exactly what the server would. Everything else (the
//! encrypted outbox, sync, the provisional receipt) lives in the browser: `assets/kit/`.
//! docs/mobile-kit.md has the whole design.

use super::schema::{self, Field, Kind};
use crate::access::{self, Caller};
use crate::form::Message;
use crate::http::bodies::ErrorBody;
use crate::http::{ApiError, AppState, auth};
use crate::lang::Lang;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// The app's files: (address under `/kit/`, content type, text).
const FILES: &[(&str, &str, &str)] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_str!("../../../assets/kit/index.html"),
    ),
    ("kit.js", JS, include_str!("../../../assets/kit/kit.js")),
    ("form.js", JS, include_str!("../../../assets/kit/form.js")),
    (
        "outbox.js",
        JS,
        include_str!("../../../assets/kit/outbox.js"),
    ),
    ("sync.js", JS, include_str!("../../../assets/kit/sync.js")),
    (
        "validate.js",
        JS,
        include_str!("../../../assets/kit/validate.js"),
    ),
    (
        "formats.js",
        JS,
        include_str!("../../../assets/kit/formats.js"),
    ),
    (
        "kit.css",
        "text/css; charset=utf-8",
        include_str!("../../../assets/kit/kit.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_str!("../../../assets/kit/icon.svg"),
    ),
    (
        "manifest.webmanifest",
        "application/manifest+json",
        include_str!("../../../assets/kit/manifest.webmanifest"),
    ),
];

/// The app's icons as pictures (the manifest names them beside the SVG one).
const IMAGES: &[(&str, &[u8])] = &[
    (
        "icon-192.png",
        include_bytes!("../../../assets/kit/icon-192.png"),
    ),
    (
        "icon-512.png",
        include_bytes!("../../../assets/kit/icon-512.png"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";
const WORKER: &str = include_str!("../../../assets/kit/sw.js");

/// A digest of every file of the app: the service worker's cache is named after it, so a new
/// build replaces the cached app at once and an unchanged one keeps working offline.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut digest = Sha256::new();
    for (_, _, text) in FILES {
        digest.update(text.as_bytes());
    }
    for (_, bytes) in IMAGES {
        digest.update(bytes);
    }
    digest.update(WORKER.as_bytes());
    let digest = digest.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
});

/// The kit's pages allow its manifest and its worker besides what every page allows.
const POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
     connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// Register the app's routes (public: the app is code; the pack needs a registrar).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/kit",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/kit/"))
                .finish()
        }),
    )
    .route("/kit/sw.js", web::get().to(worker))
    .route("/kit/{file:.*}", web::get().to(file));
}

/// `GET /kit/{file}`: one of the app's files.
async fn file(path: web::Path<String>) -> Result<HttpResponse, super::render::Problem> {
    if let Some((_, bytes)) = IMAGES.iter().find(|(name, _)| *name == *path) {
        return Ok(headers(&mut HttpResponse::Ok())
            .content_type("image/png")
            .body(*bytes));
    }
    let Some((_, content_type, text)) = FILES.iter().find(|(name, _, _)| *name == *path) else {
        return Err(super::render::Problem::new(
            actix_web::http::StatusCode::NOT_FOUND,
            Lang::Uk,
            "not_found",
        ));
    };
    Ok(headers(&mut HttpResponse::Ok())
        .content_type(*content_type)
        .body(*text))
}

/// `GET /kit/sw.js`: the service worker, its cache named after this build.
async fn worker() -> HttpResponse {
    let text = WORKER.replace("__KIT_VERSION__", &VERSION);
    headers(&mut HttpResponse::Ok()).content_type(JS).body(text)
}

/// The headers of every file of the app: checked with the server whenever it is reachable
/// (the worker serves its cached copy when it is not).
fn headers(response: &mut actix_web::HttpResponseBuilder) -> &mut actix_web::HttpResponseBuilder {
    response
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Content-Security-Policy", POLICY))
}

/// The pack a registrar's device keeps for a shift: who they are, the life events their
/// institution offers (each with all its services, its combined form and the fields to draw)
/// and the validation messages, worded by the server, in Ukrainian and English.
#[utoipa::path(
    tag = "kit",
    operation_id = "kitPack",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pack for the signed-in registrar's device",
            content_type = "application/json", body = Object),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The role does not take applications", body = ErrorBody),
    ),
)]
#[get("/kit")]
pub async fn pack(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    let Caller::Staff(staff) = &caller else {
        return Err(auth::refused(crate::access::Refusal::SignIn, ""));
    };
    if !staff.role.handles_applications() {
        return Err(auth::refused(crate::access::Refusal::Forbidden, ""));
    }
    let mut events = Vec::new();
    // What the device may take is what the registrar may submit.
    let offered = (state.catalog.bundles.values())
        .filter(|b| access::may_submit(&caller, b.id.as_str(), false).is_ok());
    for bundle in offered {
        let (_, form) = state.applications.bundle_form(bundle.id.as_str(), None)?;
        let services: Vec<Value> = (bundle.steps.iter())
            .map(|s| {
                let title = state.catalog.service(&s.service).map(|x| x.title.clone());
                json!({ "id": s.service.to_string(), "title": title, "optional": s.optional })
            })
            .collect();
        events.push(json!({
            "bundle": bundle.id.to_string(),
            "version": bundle.version,
            "title": bundle.title,
            "services": services,
            "form": form.bundled,
            "fields": schema::fields(&form).iter().map(field).collect::<Vec<_>>(),
        }));
    }
    let schemas: Vec<&Value> = events.iter().map(|e| &e["form"]).collect();
    let body = json!({
        "kit": *VERSION,
        "user": {
            "login": staff.who,
            "institution": staff.institution,
            "role": staff.role.as_str(),
        },
        "events": events,
        "messages": {
            "uk": messages(&schemas, Lang::Uk),
            "en": messages(&schemas, Lang::En),
        },
    });
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// One field to draw, as the device's form reads it (`assets/kit/form.js`).
fn field(field: &Field) -> Value {
    let mut out = json!({
        "name": field.name,
        "title": field.title,
        "hint": field.hint,
        "required": field.required,
        "shownWhen": field.shown_when.as_ref().map(|(name, values)| json!({"field": name, "values": values})),
    });
    let kind = match &field.kind {
        Kind::Group(children) => {
            json!({"kind": "group", "fields": children.iter().map(self::field).collect::<Vec<_>>()})
        }
        Kind::Text {
            default,
            max_length,
            format,
            short,
        } => json!({
            "kind": "text", "default": default, "maxLength": max_length, "format": format, "short": short,
        }),
        Kind::Date => json!({"kind": "date"}),
        Kind::Number { integer } => json!({"kind": "number", "integer": integer}),
        Kind::Choice(options) => json!({"kind": "choice", "choices": choices(options)}),
        Kind::Boolean => json!({"kind": "boolean"}),
        Kind::List { item, min_items } => {
            json!({"kind": "list", "item": self::field(item), "minItems": min_items})
        }
        Kind::MultiChoice(options) => json!({"kind": "multichoice", "choices": choices(options)}),
    };
    if let (Value::Object(out), Value::Object(kind)) = (&mut out, kind) {
        out.extend(kind);
    }
    out
}

fn choices(options: &[schema::Choice]) -> Vec<Value> {
    (options.iter())
        .map(|o| json!({"value": o.value, "label": o.label}))
        .collect()
}

/// Every message the device may need for these schemas, keyed as `assets/kit/validate.js`
/// asks: the kind (`required-field`, `format-rnokpp`) and, for a kind with a parameter, the
/// parameter as JSON after a colon (`too-long:100`, `one-of:["mother","father"]`).
pub fn messages(schemas: &[&Value], lang: Lang) -> Map<String, Value> {
    let mut found = BTreeSet::new();
    for schema in schemas {
        keywords(schema, &mut found);
    }
    let mut out = Map::new();
    let mut put = |key: String, message: Message| {
        out.insert(key, Value::String(message.text(lang)));
    };
    for (key, message) in [
        ("required-field", Message::Required),
        ("wrong-type", Message::WrongType),
        ("empty", Message::Empty),
        ("pattern", Message::Pattern),
        ("unknown-field", Message::UnknownField),
        ("invalid", Message::Invalid),
        ("not-a-number", Message::NotANumber),
        ("not-a-whole-number", Message::NotAWholeNumber),
        ("date-shape", Message::DateShape),
    ] {
        put(key.to_owned(), message);
    }
    for (name, _) in crate::form::CUSTOM_FORMATS {
        put(
            format!("format-{name}"),
            Message::Format((*name).to_owned()),
        );
    }
    for (keyword, value) in found {
        let parsed: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
        let count = parsed.as_u64().unwrap_or_default();
        let message = match keyword {
            "minLength" => Message::TooShort { min: count },
            "maxLength" => Message::TooLong { max: count },
            "minItems" => Message::TooFewItems { min: count },
            "maxItems" => Message::TooManyItems { max: count },
            "minimum" => Message::Minimum {
                limit: parsed.to_string(),
            },
            "maximum" => Message::Maximum {
                limit: parsed.to_string(),
            },
            "const" => Message::Constant {
                expected: parsed.to_string(),
            },
            _ => Message::one_of(&parsed),
        };
        put(format!("{keyword}:{value}"), message);
    }
    out
}

/// The keywords with a parameter the messages name, with each parameter (as JSON) met in
/// `schema`.
fn keywords(schema: &Value, found: &mut BTreeSet<(&'static str, String)>) {
    const NAMED: [&str; 8] = [
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "const",
        "enum",
    ];
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                if let Some(keyword) = NAMED.iter().find(|k| **k == key) {
                    found.insert((keyword, value.to_string()));
                }
                // `const` and `enum` hold values, not schemas.
                if key != "const" && key != "enum" {
                    keywords(value, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keywords(v, found)),
        _ => {}
    }
}
