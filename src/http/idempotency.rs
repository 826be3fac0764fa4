//! The `Idempotency-Key` of a submission: a retried POST gets the first answer (201 with the
//! same application), the same key with another body is refused (422), and a retry that arrives
//! while the first is still being stored is told to wait (409).

use super::ApiError;
use crate::store::{Store, SubmissionKey};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const BUSY: &str = "Заяву з цим Idempotency-Key ще зберігають; повторіть запит за мить \
                        (the first request with this key is still being stored)";
const REUSED: &str = "Цей Idempotency-Key уже використано для іншої заяви \
                      (the key was used with a different request)";

/// The key of a request, if it carries one: 1 to 255 visible ASCII characters.
pub fn key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default().trim();
    let fine = !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic());
    if !fine {
        return Err(ApiError::BadRequest(
            "Idempotency-Key має містити від 1 до 255 видимих символів ASCII".into(),
        ));
    }
    Ok(Some(key.to_owned()))
}

/// The key as stored: a key is its submitter's own (an institution's, or the citizens'), so
/// one institution's key never answers with another's application.
pub fn scoped(submitter: &crate::access::Submitter, key: &str) -> String {
    match submitter {
        crate::access::Submitter::Staff { institution, .. } => format!("{institution}:{key}"),
        crate::access::Submitter::Citizen => format!(":{key}"),
    }
}

/// What a request is, for telling a true retry from a reused key: the bundle and the body.
pub fn request_hash(bundle: &str, body: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(bundle.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.to_string().as_bytes());
    crate::access::secret::hex(&hasher.finalize())
}

/// The first answer for `key`, if there is one; an error if the key is busy or was used for a
/// different request; `None` if it is free.
pub async fn replay(
    store: &Store,
    key: &str,
    hash: &str,
) -> Result<Option<HttpResponse>, ApiError> {
    match store.submission_key(key).await? {
        SubmissionKey::Unused => Ok(None),
        SubmissionKey::Pending { request_hash } | SubmissionKey::Answered { request_hash, .. }
            if request_hash != hash =>
        {
            Err(ApiError::invalid("", REUSED))
        }
        SubmissionKey::Pending { .. } => Err(ApiError::Conflict(BUSY.into())),
        SubmissionKey::Answered { response, .. } => {
            let answer: Value = serde_json::from_str(&response)
                .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
            let id = answer["id"].as_str().unwrap_or_default().to_owned();
            Ok(Some(created(&id, &answer, true)))
        }
    }
}

/// The 201 answer to a submission (`replayed` when it repeats the first one).
pub fn created(id: &str, answer: &impl serde::Serialize, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response.insert_header(("Location", format!("/api/v1/applications/{id}")));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(answer)
}
