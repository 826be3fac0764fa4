//! Managing staff over the API: `POST /api/v1/users` adds an account. An admin adds any; a
//! supervisor adds clerks and registrars of their own institution (`access::may_add_staff`).
//! The rules for the account itself are `people`'s, as for `onestop user add`.

use super::{ApiError, AppState, auth};
use crate::access::{self, Role};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// A new account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    login: String,
    role: String,
    #[serde(default)]
    institution: Option<String>,
    password: String,
}

/// `POST /api/v1/users`: 201 with the account; 403 for a role that may not; 409 for a taken
/// login; 422 for a bad login, role, institution or password.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    let Some(role) = Role::parse(&body.role) else {
        return Err(ApiError::invalid(
            "/role",
            "Невідома роль: clerk, registrar, supervisor, auditor або admin",
        ));
    };
    let institution = access::may_add_staff(&caller, role, body.institution.as_deref())
        .map_err(|r| auth::refused(r, ""))?;
    let added = crate::people::add_user(
        &state.store,
        &body.login,
        institution.as_deref(),
        role.as_str(),
        &body.password,
    )
    .await;
    match added {
        Ok(()) => Ok(HttpResponse::Created().json(json!({
            "login": body.login, "institution": institution, "role": role.as_str(),
        }))),
        Err(e) if e.downcast_ref::<crate::people::Taken>().is_some() => {
            Err(ApiError::Conflict(format!("Логін уже зайнято ({e})")))
        }
        Err(e) if e.downcast_ref::<crate::store::StoreError>().is_some() => {
            Err(ApiError::Internal(e))
        }
        Err(e) => Err(ApiError::invalid(
            "",
            &format!("Обліковий запис не створено: {e}"),
        )),
    }
}
