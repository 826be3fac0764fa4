//! Submitting an application, reading its status, and its receipt.

use super::bodies::{ApplicationView, ErrorBody, Links, Submitted};
use super::status::status;
use super::{ApiError, AppState, auth, idempotency};
use crate::access::{self, Action, Caller, Submitter};
use crate::applications::{Submission, SubmissionKey};
use crate::form::Message;
use crate::lifecycle::ApplicationStatus;
use crate::receipt::Languages;
use crate::store::{ApplicationRecord, Origin, SubRequestRecord};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde_json::Value;

/// The body of a submission, as [`envelope`] reads it (it answers each part's problem at its
/// pointer, so the body is read by hand rather than derived).
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "it describes the body for the OpenAPI document")]
pub struct SubmissionBody {
    /// The data of the bundle's combined form: a JSON Schema 2020-12 document served at `GET
    /// /api/v1/bundles/{bundle}/form` (`?services=` for the optional services chosen). Every
    /// field that does not satisfy it is a 422 error at its pointer.
    #[schema(value_type = Object)]
    data: Value,
    /// The optional services chosen (the bundle's required ones are always included).
    services: Option<Vec<String>>,
    /// Why the clerk goes on with a submission that repeats an earlier one (up to 500
    /// characters).
    duplicate_reason: Option<String>,
    /// Where and when a mobile kit took the application down (recorded in the audit trail).
    capture: Option<super::capture::CaptureBody>,
}

/// Submit an application: by staff of an institution that offers the bundle, or by anyone for a
/// public bundle (the answer then carries the citizen's access secret, shown once). With an
/// `Idempotency-Key`, a repeat gets the first answer again.
#[utoipa::path(
    tag = "applications",
    operation_id = "submitApplication",
    security((), ("bearer" = [])),
    params(
        ("bundle" = String, Path, description = "The life event"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters: a repeat gets the first 201 again"),
    ),
    request_body = SubmissionBody,
    responses(
        (status = 201, description = "Accepted; the registries are being called", body = Submitted,
            headers(("Location" = String, description = "The application"),
                    ("Idempotent-Replayed" = String, description = "`true` on a repeat")),
            links(
                ("status" = (operation_id = "showApplication", parameters(("id" = "$response.body#/id")))),
                ("receipt" = (operation_id = "receipt", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 400, description = "A malformed body or Idempotency-Key", body = ErrorBody),
        (status = 403, description = "The caller may not submit this bundle", body = ErrorBody),
        (status = 404, description = "No such life event", body = ErrorBody),
        (status = 409, description = "It repeats earlier applications (give `duplicate_reason`), or a first request with this key is still being stored", body = ErrorBody),
        (status = 422, description = "Every problem with the data, each at its pointer", body = ErrorBody),
    ),
)]
#[post("/bundles/{bundle}/applications")]
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
    let Envelope {
        data,
        services: chosen,
        duplicate_reason: reason,
        capture,
    } = envelope(body)?;
    let key_ref = key
        .as_ref()
        .map(|(hash, key)| (hash.as_str(), key.as_str()));
    let (origin, access) = origin(&submitter);
    let source = Source {
        origin,
        actor: auth::actor(&caller),
        duplicate_reason: reason,
        capture,
    };
    match accept(&state, &path, data, chosen.as_deref(), key_ref, source).await? {
        Some(id) => Ok(idempotency::created(&id, &answer(&id, access), false)),
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
    /// Where and when a mobile kit took it down.
    pub capture: Option<crate::applications::Capture>,
}

/// The answer to an accepted submission.
fn answer(id: &str, access: Option<String>) -> Submitted {
    Submitted {
        id: id.to_owned(),
        status: ApplicationStatus::InProgress,
        links: Links::of(id),
        access,
    }
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
        capture: source.capture,
        key: key.map(|(request_hash, key)| SubmissionKey {
            key,
            request_hash,
            // A plain struct of strings: it always serialises.
            answer: |id| serde_json::to_string(&answer(id.as_str(), None)).unwrap_or_default(),
        }),
    };
    let id = state.applications.submit(submission).await?;
    Ok(id.map(|id| id.to_string()))
}

/// A submission's body: the form data, the chosen services, the reason to go on with a
/// duplicate, and where a mobile kit took it down.
pub struct Envelope {
    pub data: Value,
    pub services: Option<Vec<String>>,
    pub duplicate_reason: Option<String>,
    pub capture: Option<crate::applications::Capture>,
}

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
    let capture = super::capture::read(body.remove("capture"))?;
    if let Some(extra) = body.keys().next() {
        return Err(ApiError::because(
            &format!("/{extra}"),
            Message::UnknownField,
        ));
    }
    Ok(Envelope {
        data,
        services,
        duplicate_reason: reason,
        capture,
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

/// An application: each call's and step's status, outputs and errors, and its history. Staff
/// of its institution, or its citizen; another's is 404.
#[utoipa::path(
    tag = "applications",
    operation_id = "showApplication",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The application")),
    responses(
        (status = 200, description = "The application", body = ApplicationView, links(
            ("retry" = (operation_id = "retryService", parameters(
                ("id" = "$response.body#/id"), ("service" = "$response.body#/services/0/service")))),
            ("reopen" = (operation_id = "reopenStep", parameters(
                ("id" = "$response.body#/id"), ("step" = "$response.body#/services/0/service")))),
            ("invite" = (operation_id = "inviteAgain", parameters(
                ("id" = "$response.body#/id"), ("step" = "$response.body#/services/0/service")))),
            ("decide" = (operation_id = "decideInPerson", parameters(
                ("id" = "$response.body#/id"), ("step" = "$response.body#/services/0/service")))),
        )),
        (status = 403, description = "The caller's role may not read applications", body = ErrorBody),
        (status = 404, description = "No such application (or not the caller's)", body = ErrorBody),
    ),
)]
#[get("/applications/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let read = crate::audit::action::APPLICATION_READ;
    let (application, subs) = readable(&state, &req, &path, read).await?;
    Ok(HttpResponse::Ok().json(status(&state, &application, &subs).await?))
}

/// The receipt's language: `?lang=uk` (default), `en` or `uk+en`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// `uk` (the default), `en` or `uk+en`.
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

/// The receipt: one PDF of the whole application.
#[utoipa::path(
    tag = "applications",
    operation_id = "receipt",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The application"), ReceiptQuery),
    responses(
        (status = 200, description = "The receipt", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "An unknown language", body = ErrorBody),
        (status = 403, description = "The caller's role may not read applications", body = ErrorBody),
        (status = 404, description = "No such application (or not the caller's)", body = ErrorBody),
        (status = 410, description = "Its personal data was removed after its retention", body = ErrorBody),
    ),
)]
#[get("/applications/{id}/receipt.pdf")]
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
