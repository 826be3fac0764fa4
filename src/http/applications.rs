//! Submitting an application, reading its status, and its receipt.

use super::{ApiError, AppState, auth, idempotency};
use crate::access::{self, Action, Caller, Submitter};
use crate::applications::{Submission, SubmissionKey, Waiting};
use crate::form::Message;
use crate::receipt::Languages;
use crate::store::{ApplicationRecord, Origin, SubKind, SubRequestRecord};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// `POST /api/v1/bundles/{bundle}/applications` with `{"data": {...}, "services": [...]}` and
/// an optional `Idempotency-Key` header: by staff of an institution that offers the bundle, or
/// by anyone for a public bundle (the answer then carries the citizen's access secret).
pub async fn submit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    let submitter = submitter(&state, &caller, &path)?;
    let body = body.into_inner();
    let key = idempotency::key(&req)?.map(|key| {
        let hash = idempotency::request_hash(&path, &body);
        (hash, idempotency::scoped(&submitter, &key))
    });
    if let Some((hash, key)) = &key
        && let Some(replayed) = idempotency::replay(&state.store, key, hash).await?
    {
        return Ok(replayed);
    }
    let (data, chosen, reason) = envelope(body)?;
    let key_ref = key
        .as_ref()
        .map(|(hash, key)| (hash.as_str(), key.as_str()));
    let (origin, access) = origin(&submitter);
    let source = Source {
        origin,
        actor: auth::actor(&caller),
        duplicate_reason: reason,
    };
    match accept(&state, &path, data, chosen.as_deref(), key_ref, source).await? {
        Some(id) => {
            let mut answer = answer(&id);
            if let Some(access) = access {
                answer["access"] = json!(access);
            }
            Ok(idempotency::created(&id, answer, false))
        }
        // Another request with this key got there first.
        None => match &key {
            Some((hash, key)) => idempotency::replay(&state.store, key, hash)
                .await?
                .ok_or_else(|| ApiError::Conflict(idempotency::BUSY.into())),
            None => Err(ApiError::Conflict(idempotency::BUSY.into())),
        },
    }
}

/// Who submits `bundle`, if `caller` may (an unknown bundle is 404 for everyone).
pub(crate) fn submitter(
    state: &AppState,
    caller: &Caller,
    bundle: &str,
) -> Result<Submitter, ApiError> {
    let Some(found) = state.catalog.bundle(bundle) else {
        return Err(crate::applications::ApplicationError::UnknownBundle(bundle.into()).into());
    };
    access::may_submit(caller, bundle, found.public).map_err(|r| auth::refused(r, bundle))
}

/// What is stored about who submitted, and the citizen's new access secret (shown once, kept
/// only as its hash).
pub(crate) fn origin(submitter: &Submitter) -> (Origin, Option<String>) {
    match submitter {
        Submitter::Staff { who, institution } => {
            let origin = Origin {
                submitted_by: Some(who.clone()),
                institution: Some(institution.clone()),
                access_hash: None,
            };
            (origin, None)
        }
        Submitter::Citizen => {
            let (secret, hash) = access::secret::new(access::secret::Kind::Citizen);
            let origin = Origin {
                access_hash: Some(hash),
                ..Origin::default()
            };
            (origin, Some(secret))
        }
    }
}

/// Where a submission comes from: who is recorded as its submitter, and who the audit trail
/// names.
pub(crate) struct Source {
    pub origin: Origin,
    pub actor: crate::audit::Actor,
    /// Why the clerk goes on with a submission that repeats an earlier one.
    pub duplicate_reason: Option<String>,
}

/// The answer to an accepted submission.
fn answer(id: &str) -> Value {
    json!({ "id": id, "status": "in_progress", "links": links(id) })
}

/// Validate `data` for `bundle_id` with the `chosen` optional services and store it as a new
/// application; its id. With `key` (request hash, key), the key is reserved and bound to the
/// answer; `None` when another request holds it. Shared by the API and the web pages: every
/// error is the API's (422 with every field error).
pub(crate) async fn accept(
    state: &AppState,
    bundle_id: &str,
    data: Value,
    chosen: Option<&[String]>,
    key: Option<(&str, &str)>,
    source: Source,
) -> Result<Option<String>, ApiError> {
    let submission = Submission {
        bundle_id,
        data,
        chosen,
        origin: source.origin,
        actor: source.actor,
        duplicate_reason: source.duplicate_reason.as_deref(),
        key: key.map(|(request_hash, key)| SubmissionKey {
            key,
            request_hash,
            answer: |id| answer(id.as_str()).to_string(),
        }),
    };
    let id = state.applications.submit(submission).await?;
    Ok(id.map(|id| id.to_string()))
}

/// A submission's body: the form data, the chosen services, and the reason to go on with a
/// duplicate.
pub type Envelope = (Value, Option<Vec<String>>, Option<String>);

/// Split the body into its parts (also what the intake fuzz target splits).
pub fn envelope(body: Value) -> Result<Envelope, ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::invalid(
            "",
            "Тіло запиту має бути об'єктом {\"data\": {...}}",
        ));
    };
    let data = match body.remove("data") {
        Some(data @ Value::Object(_)) => data,
        Some(_) => return Err(ApiError::invalid("/data", "Поле data має бути об'єктом")),
        None => return Err(ApiError::because("/data", Message::Required)),
    };
    let services = match body.remove("services") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(ApiError::invalid(
                        "/services",
                        "Очікується список ідентифікаторів послуг",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => {
            return Err(ApiError::invalid(
                "/services",
                "Очікується список ідентифікаторів послуг",
            ));
        }
    };
    let reason = match body.remove("duplicate_reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(reason)) => Some(reason),
        Some(_) => return Err(ApiError::because("/duplicate_reason", Message::WrongType)),
    };
    if let Some(extra) = body.keys().next() {
        return Err(ApiError::because(
            &format!("/{extra}"),
            Message::UnknownField,
        ));
    }
    Ok((data, services, reason))
}

pub(super) fn links(id: &str) -> Value {
    json!({
        "self": format!("/api/v1/applications/{id}"),
        "receipt": format!("/api/v1/applications/{id}/receipt.pdf"),
    })
}

/// The application `id` for the API's caller to read, the read (`action`) recorded in the audit
/// trail before it is answered.
async fn readable(
    state: &AppState,
    req: &HttpRequest,
    id: &str,
    action: &'static str,
) -> Result<(ApplicationRecord, Vec<SubRequestRecord>), ApiError> {
    let caller = auth::api_caller(state, req).await?;
    let found = auth::application_for(state, &caller, Action::Read, id).await?;
    let entry =
        auth::entry(&caller, action).on(found.0.id.as_str(), found.0.institution.as_deref());
    state.applications.record_read(entry).await?;
    Ok(found)
}

/// `GET /api/v1/applications/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let read = crate::audit::action::APPLICATION_READ;
    let (application, subs) = readable(&state, &req, &path, read).await?;
    Ok(HttpResponse::Ok().json(status(&state, &application, &subs).await?))
}

/// An application as the API shows it: its calls and steps, history and links.
pub(super) async fn status(
    state: &AppState,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
) -> Result<Value, ApiError> {
    let (catalog, bundle) = state
        .catalog
        .of(&application.bundle_id, application.bundle_version);
    let waiting = state.applications.waiting(&application.id, subs).await?;
    let services: Vec<Value> = subs
        .iter()
        .zip(&waiting)
        .map(|(s, waiting)| match s.kind {
            SubKind::Service => registry_call(catalog, s, waiting.as_ref()),
            SubKind::Human => human_step(state, bundle, s),
        })
        .collect();
    let history: Vec<Value> = state
        .store
        .history(&application.id)
        .await?
        .into_iter()
        .map(|h| json!({ "call": h.call, "status": h.status, "detail": h.detail, "at": timestamp(h.at) }))
        .collect();
    Ok(json!({
        "id": application.id,
        "bundle": application.bundle_id,
        "bundle_version": application.bundle_version,
        "status": application.status,
        "submitted_at": timestamp(application.created_at),
        "updated_at": timestamp(application.updated_at),
        "purged_at": application.purged_at.map(timestamp),
        "services": services,
        "history": history,
        "links": links(application.id.as_str()),
        "verify_url": format!("{}/verify/{}", state.public_url, application.verify_code),
    }))
}

/// A registry call as the status shows it; `waiting` when it waits for its registry (being
/// retried, or held while the registry is unavailable).
fn registry_call(
    catalog: &crate::bundle::Catalog,
    s: &SubRequestRecord,
    waiting: Option<&Waiting>,
) -> Value {
    let service = catalog.service(&s.service_id);
    json!({
        "service": s.service_id,
        "kind": s.kind,
        "item": s.item,
        "title": service.map(|x| &x.title),
        "status": s.status,
        "attempts": s.attempts,
        "depends_on": s.depends_on,
        "outputs": s.outputs,
        "error": s.error,
        "waiting": waiting.map(|w| json!({
            "registry": w.registry,
            "unavailable": w.unavailable,
            "since": timestamp(w.since),
            "next_attempt_at": timestamp(w.next_attempt_at),
        })),
        "updated_at": timestamp(s.updated_at),
    })
}

/// A human step as the status shows it: what the person must do, by when, and where to confirm.
fn human_step(
    state: &AppState,
    bundle: Option<&crate::bundle::Bundle>,
    s: &SubRequestRecord,
) -> Value {
    let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == s.service_id));
    let open = s.status == crate::store::SubStatus::Awaiting;
    json!({
        "service": s.service_id,
        "kind": s.kind,
        "item": s.item,
        "title": step.map(|h| &h.title),
        "instructions": step.map(|h| &h.instructions),
        "status": s.status,
        "deadline": s.deadline.map(timestamp),
        "identified_by": s.outputs.as_ref().and_then(|o| o.get("identified_by")),
        "confirm_url": s.callback_token.as_ref().filter(|_| open)
            .map(|t| format!("{}/api/v1/confirmations/{t}", state.public_url)),
        "confirm_page": s.callback_token.as_ref().filter(|_| open)
            .map(|t| format!("{}/confirmations/{t}", state.public_url)),
        "error": s.error,
        "updated_at": timestamp(s.updated_at),
    })
}

/// Milliseconds since the epoch as RFC 3339 (UTC).
pub(super) fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The receipt's language: `?lang=uk` (default), `en` or `uk+en`.
#[derive(Debug, serde::Deserialize)]
pub struct ReceiptQuery {
    lang: Option<String>,
}

impl ReceiptQuery {
    /// The receipt's languages (Ukrainian when not said), or 400.
    pub fn languages(&self) -> Result<Languages, ApiError> {
        match self.lang.as_deref() {
            None => Ok(Languages::default()),
            Some(code) => Languages::parse(code).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "Невідома мова квитанції \"{code}\": uk, en або uk+en"
                ))
            }),
        }
    }
}

/// `GET /api/v1/applications/{id}/receipt.pdf[?lang=uk|en|uk+en]`.
pub async fn receipt(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReceiptQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let lang = query.languages()?;
    let (application, subs) =
        readable(&state, &req, &path, crate::audit::action::RECEIPT_READ).await?;
    receipt_pdf(&state, &application, &subs, lang).await
}

/// What a receipt asked for after its application's personal data was removed says.
const PURGED: &str = "Персональні дані цієї заяви видалено після строку зберігання, тож квитанції \
     більше немає; статуси й перевірка за кодом доступні (the personal data was removed after its \
     retention period)";

/// The receipt of an application as a PDF response (the API's and the pages').
pub(crate) async fn receipt_pdf(
    state: &AppState,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    lang: Languages,
) -> Result<HttpResponse, ApiError> {
    if application.purged_at.is_some() {
        return Err(ApiError::Gone(PURGED.into()));
    }
    let view = state
        .receipt_view(application, subs, lang)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let pdf = web::block(move || crate::receipt::render_pdf(&view))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!(
                "inline; filename=\"onestop-{}-{}.pdf\"",
                application.id,
                lang.code().replace('+', "-")
            ),
        ))
        .body(pdf))
}
