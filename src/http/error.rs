//! The one error type of the HTTP API and its mapping to status codes. Every error body has one
//! shape, `{"errors":[{"pointer","message","services"}]}`; a 5xx body is opaque while the cause
//! chain goes to the log.

use super::bodies::{ErrorBody, ErrorItem};
use crate::form::{FieldError, Message};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Conflict(String),
    /// It was here and is gone for good (an application's personal data past its retention).
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the submitted data is invalid")]
    Invalid(Vec<FieldError>),
    /// The submission repeats earlier applications: 409, each named (when the caller's own)
    /// with what the two share, until a reason to go on is given.
    #[error("the submission repeats earlier applications")]
    Duplicate(Vec<crate::applications::Duplicate>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

impl From<crate::fanout::SubmitError> for ApiError {
    fn from(e: crate::fanout::SubmitError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

impl ApiError {
    /// A single error about the request as a whole, or about one field, in words of its own.
    pub fn invalid(pointer: &str, message: &str) -> Self {
        Self::because(pointer, Message::from(message))
    }

    /// A single error about the request as a whole, or about one field, as a kind whose words
    /// come from the message catalogue.
    pub fn because(pointer: &str, message: Message) -> Self {
        Self::Invalid(vec![FieldError::new(pointer, message)])
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Locked(_) => StatusCode::LOCKED,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Duplicate(_) => StatusCode::CONFLICT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let errors: Vec<ErrorItem> = match self {
            Self::Invalid(errors) => errors.iter().map(ErrorItem::from).collect(),
            Self::Duplicate(duplicates) => duplicates.iter().map(duplicate).collect(),
            Self::Internal(e) => {
                tracing::error!(error = ?e, "Request failed");
                vec![ErrorItem::whole(
                    "Внутрішня помилка сервера. Спробуйте пізніше.",
                )]
            }
            other => vec![ErrorItem::whole(other.to_string())],
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Self::Unauthorized(_) = self {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(ErrorBody { errors })
    }
}

/// One earlier application a submission repeats, as an error of the usual shape: which (when
/// it is the caller's institution's), what the two share, and how to go on.
fn duplicate(found: &crate::applications::Duplicate) -> ErrorItem {
    let shared: Vec<&str> = found.shared.iter().map(|t| t.uk.as_str()).collect();
    let which = match &found.id {
        Some(id) => format!("заяву № {id} вашої установи"),
        None => "заяву, подану в іншій установі".to_owned(),
    };
    ErrorItem {
        pointer: found.pointer.clone(),
        message: format!(
            "Можливе повторне подання: ця заява повторює {which} ({}). Щоб подати її все одно, вкажіть причину в duplicate_reason",
            shared.join("; ")
        ),
        services: Vec::new(),
        duplicate_of: Some(found.id.as_ref().map(ToString::to_string)),
    }
}

/// Map the JSON body extractor's errors to the API's shape (400 malformed, 413 too large).
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { length, limit } => ApiError::PayloadTooLarge(format!(
            "Запит завеликий: {length} байт, дозволено не більше {limit}"
        )),
        E::Overflow { limit } => {
            ApiError::PayloadTooLarge(format!("Запит завеликий: дозволено не більше {limit} байт"))
        }
        E::ContentType => {
            ApiError::UnsupportedMediaType("Очікується Content-Type: application/json".into())
        }
        E::Deserialize(e) => ApiError::BadRequest(format!(
            "Тіло запиту не є коректним JSON (рядок {}, позиція {}): {e}",
            e.line(),
            e.column()
        )),
        other => ApiError::BadRequest(format!("Не вдалося прочитати тіло запиту: {other}")),
    };
    api.into()
}

/// A query string the route cannot read (an unknown parameter, a cursor that is not a number):
/// 400 with the usual body.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("Параметри запиту не прочитано: {err}")).into()
}

/// A body a route reads as bytes (a callback, a retry, a reopening: their body may be empty)
/// that cannot be read: 413 over the size limit (`server.max_body_bytes`), else 400; the usual
/// body, where actix would answer in plain text.
pub fn payload_error(err: actix_web::Error) -> ApiError {
    if err.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge("Запит завеликий (the body is over the size limit)".into())
    } else {
        ApiError::BadRequest(format!("Не вдалося прочитати тіло запиту: {err}"))
    }
}
