//! Signing in with a local account: `POST /api/v1/session` takes a login and a password and
//! answers with a session token (also what the pages keep in their cookie), `GET` says who the
//! token stands for, `DELETE` signs out, `POST /api/v1/session/password` changes the password
//! and ends every session of the account. A wrong login and a wrong password get the same
//! answer in the same time; repeated wrong passwords lock the account for a while.

use super::bodies::{ErrorBody, SessionAnswer, UserView, WhoAmI};
use super::status::timestamp;
use super::{ApiError, AppState, auth};
use crate::access::secret::{self, Kind};
use crate::access::{Caller, Role, password};
use crate::audit::{Actor, Entry, action};
use crate::store::{NewCredential, now_ms};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use serde_json::json;

/// The one answer to every failed sign-in.
const WRONG: &str = "Неправильний логін або пароль, або вхід тимчасово заблоковано після \
                         кількох невдалих спроб (wrong login or password, or sign-in is locked \
                         for a while after several failures)";

/// The body of a sign-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"login": "ward-clerk", "password": "пароль-з-консолі"}))]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    login: String,
    password: String,
}

/// A new session: its secret (shown once), when it ends, and who it is.
pub struct SignedIn {
    pub token: String,
    pub expires_at: i64,
    pub login: String,
    pub institution: Option<String>,
    pub role: Role,
    /// The password is one-time: the session may only set the person's own.
    pub password_change_required: bool,
}

impl SignedIn {
    fn answer(self) -> SessionAnswer {
        SessionAnswer {
            token: self.token,
            expires_at: timestamp(self.expires_at),
            user: UserView {
                login: self.login,
                institution: self.institution,
                role: self.role.as_str().to_owned(),
            },
            password_change_required: self.password_change_required,
        }
    }
}

/// Sign in with a login and a password: a session token. One answer (401) for a wrong login, a
/// wrong password or a locked account.
#[utoipa::path(
    tag = "session",
    operation_id = "signIn",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in", body = SessionAnswer),
        (status = 401, description = "Wrong login or password, or locked", body = ErrorBody),
    ),
)]
#[post("/session")]
pub async fn create(
    state: web::Data<AppState>,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let signed_in = sign_in(&state, &body.login, &body.password).await?;
    Ok(HttpResponse::Ok().json(signed_in.answer()))
}

/// Who the token stands for: a staff member, or a citizen's application.
#[utoipa::path(
    tag = "session",
    operation_id = "whoAmI",
    security(("bearer" = [])),
    responses((status = 200, description = "Who the token stands for", body = WhoAmI)),
)]
#[get("/session")]
pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let who = match auth::api_caller_even_one_time(&state, &req).await? {
        Caller::Staff(staff) => WhoAmI::Staff {
            user: UserView {
                login: staff.who,
                institution: staff.institution,
                role: staff.role.as_str().to_owned(),
            },
            password_change_required: staff.one_time_password,
        },
        Caller::Citizen(id) => WhoAmI::Citizen {
            application: id.to_string(),
        },
        Caller::Nobody => return Err(auth::refused(crate::access::Refusal::SignIn, "")),
    };
    Ok(HttpResponse::Ok().json(who))
}

/// Sign out: the session in the `Authorization` header ends.
#[utoipa::path(
    tag = "session",
    operation_id = "signOut",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "The token is not a session", body = ErrorBody),
    ),
)]
#[delete("/session")]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller_even_one_time(&state, &req).await?;
    let presented = auth::bearer(&req);
    match (caller, presented.and_then(secret::kind_of)) {
        (caller @ Caller::Staff(_), Some(Kind::Session)) => {
            let hash = secret::hash(presented.unwrap_or_default());
            let entry = auth::entry(&caller, action::SESSION_SIGN_OUT);
            state.store.revoke_credential(&hash, &entry).await?;
            Ok(HttpResponse::NoContent().finish())
        }
        (Caller::Nobody, _) => Err(auth::refused(crate::access::Refusal::SignIn, "")),
        _ => Err(ApiError::BadRequest(
            "Це не сеанс входу: токен клієнта відкликає адміністратор (not a session)".into(),
        )),
    }
}

/// The body of a password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

/// Replace the password (a one-time one included): every session of the account ends; the
/// answer is a new one.
#[utoipa::path(
    tag = "session",
    operation_id = "changePassword",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 200, description = "Changed; a new session", body = SessionAnswer),
        (status = 400, description = "The token is not a session", body = ErrorBody),
        (status = 422, description = "Wrong current password, or a new one that will not do", body = ErrorBody),
    ),
)]
#[post("/session/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller_even_one_time(&state, &req).await?;
    let is_session = auth::bearer(&req).and_then(secret::kind_of) == Some(Kind::Session);
    let Caller::Staff(staff) = caller.clone() else {
        return Err(auth::refused(crate::access::Refusal::SignIn, ""));
    };
    if !is_session {
        return Err(ApiError::BadRequest(
            "Пароль змінюють лише в сеансі входу (sign in first)".into(),
        ));
    }
    let signed_in = set_password(&state, staff, &body.current, &body.new).await?;
    Ok(HttpResponse::Ok().json(signed_in.answer()))
}

/// Replace the password of `staff` (who knows `current`) with `new`: every session of the account
/// ends, and a new one starts. 422 for a wrong current password or a new one that will not do.
pub async fn set_password(
    state: &AppState,
    staff: crate::access::Staff,
    current: &str,
    new: &str,
) -> Result<SignedIn, ApiError> {
    let user = state.store.user(&staff.who).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if !verify(current.to_owned(), stored).await? {
        return Err(ApiError::invalid(
            "/current",
            "Поточний пароль неправильний",
        ));
    }
    if current == new {
        return Err(ApiError::invalid(
            "/new",
            "Новий пароль має відрізнятися від поточного",
        ));
    }
    let new = new.to_owned();
    let hash = web::block(move || password::hash(&new))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::invalid("/new", &password_problem(&e)))?;
    let entry = auth::entry(&Caller::Staff(staff.clone()), action::SESSION_PASSWORD);
    state.store.set_password(&staff.who, &hash, &entry).await?;
    let how = "password change";
    start_session(
        state,
        &staff.who,
        staff.institution,
        staff.role,
        (false, how),
    )
    .await
}

/// Check a login and password and start a session; [`WRONG`] (401) whatever was wrong.
pub async fn sign_in(state: &AppState, login: &str, given: &str) -> Result<SignedIn, ApiError> {
    let wrong = || ApiError::Unauthorized(WRONG.into());
    let fine = |s: &str| !s.is_empty() && s.len() <= 256 && !s.chars().any(char::is_control);
    if !fine(login) || given.len() > 1024 {
        failed(state, None, "malformed").await?;
        return Err(wrong());
    }
    let now = now_ms();
    let user = state.store.user(login).await?;
    let locked = user
        .as_ref()
        .is_some_and(|u| u.locked_until.is_some_and(|t| t > now));
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = verify(given.to_owned(), stored).await?;
    let Some(user) = user else {
        failed(state, None, "unknown login").await?;
        return Err(wrong());
    };
    if locked {
        failed(state, Some(&user.login), "locked").await?;
        return Err(wrong());
    }
    if !matches {
        let lock_until = now + state.auth.lockout_minutes.max(1) * 60_000;
        let (after, login) = (state.auth.lockout_after.max(1), user.login.as_str());
        state.store.login_failed(login, after, lock_until).await?;
        tracing::warn!("Sign-in refused: wrong password");
        failed(state, Some(login), "wrong password").await?;
        return Err(wrong());
    }
    state.store.login_succeeded(&user.login).await?;
    let role = Role::parse(&user.role).ok_or_else(wrong)?;
    let one_time = (user.password_one_time, "password");
    start_session(state, &user.login, user.institution, role, one_time).await
}

/// Record a failed sign-in: the account's login when there is one (an unknown "login" may be a
/// password typed in the wrong field, and is not kept), and why.
async fn failed(state: &AppState, login: Option<&str>, why: &str) -> Result<(), ApiError> {
    let actor = Actor::new(login.unwrap_or("unknown login"));
    let entry = Entry::new(actor, action::SESSION_SIGN_IN_FAILED).with(json!({ "reason": why }));
    state.store.append_audit(&[entry]).await?;
    Ok(())
}

pub(crate) async fn start_session(
    state: &AppState,
    login: &str,
    institution: Option<String>,
    role: Role,
    (password_change_required, method): (bool, &str),
) -> Result<SignedIn, ApiError> {
    let (token, hash) = secret::new(Kind::Session);
    let expires_at = now_ms() + state.auth.session_hours.max(1) * 3_600_000;
    let new = NewCredential {
        hash: &hash,
        kind: Kind::Session.as_str(),
        login: Some(login),
        name: None,
        institution: institution.as_deref(),
        role: role.as_str(),
        expires_at,
    };
    let actor = Actor {
        name: login.to_owned(),
        role: Some(role.as_str().to_owned()),
        institution: institution.clone(),
    };
    let entry = Entry::new(actor, action::SESSION_SIGN_IN).with(json!({ "method": method }));
    state.store.add_credential(&new, &entry).await?;
    Ok(SignedIn {
        token,
        expires_at,
        login: login.to_owned(),
        institution,
        role,
        password_change_required,
    })
}

/// argon2 off the async threads.
async fn verify(given: String, stored: Option<String>) -> Result<bool, ApiError> {
    web::block(move || password::verify(&given, stored.as_deref()))
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Why a new password is refused, in Ukrainian.
pub fn password_problem(e: &password::PasswordError) -> String {
    match e {
        password::PasswordError::TooShort => {
            format!(
                "Пароль має містити щонайменше {} символів",
                password::MIN_LENGTH
            )
        }
        password::PasswordError::Control => "Пароль містить керівний символ".into(),
        password::PasswordError::Hash => "Пароль не вдалося зберегти".into(),
    }
}
