//! Sign-ins through the OpenID provider under way, kept between the two legs so the browser may
//! come back to any instance, and the accounts of the people signed in that way.

use super::{Store, StoreError};
use sqlx::Row;

/// A sign-in through the OpenID provider under way.
#[derive(Debug, Clone)]
pub struct OidcLogin {
    pub nonce: String,
    pub verifier: String,
    pub next: String,
    /// The confirmation link this sign-in proves the person of (none: a staff sign-in).
    pub confirming: Option<String>,
}

impl Store {
    /// Keep a sign-in under way until `expires_at`, by the hash of its state.
    pub async fn begin_oidc_login(
        &self,
        state_hash: &str,
        login: &OidcLogin,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let now = super::now_ms();
        sqlx::query("DELETE FROM oidc_logins WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_logins (state_hash, nonce, verifier, next, expires_at, confirming)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(state_hash)
        .bind(&login.nonce)
        .bind(&login.verifier)
        .bind(&login.next)
        .bind(expires_at)
        .bind(&login.confirming)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Take the sign-in under way with this state's hash, once, if it has not expired.
    pub async fn take_oidc_login(&self, state_hash: &str) -> Result<Option<OidcLogin>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM oidc_logins WHERE state_hash = $1 AND expires_at >= $2
             RETURNING nonce, verifier, next, confirming",
        )
        .bind(state_hash)
        .bind(super::now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(OidcLogin {
            nonce: row.try_get("nonce")?,
            verifier: row.try_get("verifier")?,
            next: row.try_get("next")?,
            confirming: row.try_get("confirming")?,
        }))
    }

    /// Add or update the account of a person signed in through the OpenID provider (no
    /// password: `password_hash` is not a hash); `false` when `login` is a local account.
    pub async fn upsert_oidc_user(
        &self,
        login: &str,
        institution: Option<&str>,
        role: &str,
    ) -> Result<bool, StoreError> {
        let now = super::now_ms();
        let done = sqlx::query(
            "INSERT INTO users (login, institution, role, password_hash, created_at, updated_at)
             VALUES ($1, $2, $3, 'oidc', $4, $4)
             ON CONFLICT (login) DO UPDATE SET institution = $2, role = $3, updated_at = $4
             WHERE users.password_hash = 'oidc' AND users.disabled_at IS NULL",
        )
        .bind(login)
        .bind(institution)
        .bind(role)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
