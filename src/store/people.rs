//! Institutions, staff accounts, credentials (sessions and machine tokens, by the hash of their
//! secret) and citizens' access to their applications, as stored. What they may do is
//! `access`'s to decide; this only keeps and finds them.

use super::{ApplicationId, Store, StoreError};
use sqlx::Row;

/// An institution as stored.
#[derive(Debug, Clone)]
pub struct Institution {
    pub id: String,
    pub title_uk: String,
    pub title_en: String,
    pub bundles: Vec<String>,
}

/// A staff account as stored.
#[derive(Debug, Clone)]
pub struct User {
    pub login: String,
    pub institution: Option<String>,
    pub role: String,
    pub password_hash: String,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    /// Someone else set the password: its owner must set their own before doing anything else.
    pub password_one_time: bool,
}

/// A new session or machine token.
pub struct NewCredential<'a> {
    pub hash: &'a str,
    /// `session` or `token`.
    pub kind: &'a str,
    pub login: Option<&'a str>,
    pub name: Option<&'a str>,
    pub institution: Option<&'a str>,
    pub role: &'a str,
    pub expires_at: i64,
}

/// A session or machine token found by its hash, with what it stands for now: a session's
/// institution and role are its user's as they are today.
#[derive(Debug, Clone)]
pub struct Credential {
    pub hash: String,
    pub kind: String,
    pub login: Option<String>,
    pub name: Option<String>,
    pub institution: Option<String>,
    pub role: String,
    /// The bundles the institution offers (none without one).
    pub offers: Vec<String>,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
    /// A session of an account whose password is still one-time.
    pub password_one_time: bool,
}

const CREDENTIAL: &str = "SELECT c.hash, c.kind, c.login, c.name, c.last_used_at, c.expires_at,
        c.revoked_at, CASE WHEN c.kind = 'session' THEN u.institution ELSE c.institution END AS institution,
        CASE WHEN c.kind = 'session' THEN u.role ELSE c.role END AS role, i.bundles,
        COALESCE(u.password_one_time, 0) AS password_one_time
    FROM credentials AS c
    LEFT JOIN users AS u ON u.login = c.login
    LEFT JOIN institutions AS i
        ON i.id = CASE WHEN c.kind = 'session' THEN u.institution ELSE c.institution END
    WHERE c.hash = $1";

impl Store {
    /// Add an institution; `false` when one with this id exists.
    pub async fn add_institution(
        &self,
        new: &Institution,
        audit: &crate::audit::Entry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO institutions (id, title_uk, title_en, bundles, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(new.id.as_str())
        .bind(new.title_uk.as_str())
        .bind(new.title_en.as_str())
        .bind(serde_json::json!(new.bundles).to_string())
        .bind(super::now_ms())
        .execute(&mut *tx)
        .await?;
        super::audit::audited(tx, done.rows_affected() == 1, audit).await
    }

    pub async fn institution(&self, id: &str) -> Result<Option<Institution>, StoreError> {
        let row =
            sqlx::query("SELECT id, title_uk, title_en, bundles FROM institutions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Institution {
            id: row.try_get("id")?,
            title_uk: row.try_get("title_uk")?,
            title_en: row.try_get("title_en")?,
            bundles: bundles(row.try_get("bundles")?)?,
        }))
    }

    /// Add a staff account; `false` when the login is taken.
    pub async fn add_user(
        &self,
        login: &str,
        institution: Option<&str>,
        role: &str,
        password_hash: &str,
        (one_time, audit): (bool, &crate::audit::Entry),
    ) -> Result<bool, StoreError> {
        let now = super::now_ms();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO users (login, institution, role, password_hash, created_at, updated_at,
                password_one_time)
             VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (login) DO NOTHING",
        )
        .bind(login)
        .bind(institution)
        .bind(role)
        .bind(password_hash)
        .bind(now)
        .bind(i64::from(one_time))
        .execute(&mut *tx)
        .await?;
        super::audit::audited(tx, done.rows_affected() == 1, audit).await
    }

    /// How many staff accounts there are (none on a new database).
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    pub async fn user(&self, login: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT login, institution, role, password_hash, failed_logins, locked_until,
                password_one_time
             FROM users WHERE login = $1 AND disabled_at IS NULL",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(User {
            login: row.try_get("login")?,
            institution: row.try_get("institution")?,
            role: row.try_get("role")?,
            password_hash: row.try_get("password_hash")?,
            failed_logins: row.try_get("failed_logins")?,
            locked_until: row.try_get("locked_until")?,
            password_one_time: row.try_get::<i64, _>("password_one_time")? != 0,
        }))
    }

    /// Disable the account `login`: it signs in no more and its sessions end, at once, on every
    /// instance. `false` when there is no such account or it was disabled already.
    pub async fn disable_user(
        &self,
        login: &str,
        audit: &crate::audit::Entry,
    ) -> Result<bool, StoreError> {
        let now = super::now_ms();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET disabled_at = $1, updated_at = $1
             WHERE login = $2 AND disabled_at IS NULL",
        )
        .bind(now)
        .bind(login)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE credentials SET revoked_at = $1 WHERE login = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(login)
        .execute(&mut *tx)
        .await?;
        super::audit::audited(tx, done.rows_affected() == 1, audit).await
    }

    /// Count a wrong password; from the `lock_after`th in a row, lock the account until
    /// `lock_until`.
    pub async fn login_failed(
        &self,
        login: &str,
        lock_after: i64,
        lock_until: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1,
                locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
             WHERE login = $1",
        )
        .bind(login)
        .bind(lock_after)
        .bind(lock_until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A right password: the count of wrong ones starts again.
    pub async fn login_succeeded(&self, login: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET failed_logins = 0, locked_until = NULL
             WHERE login = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)",
        )
        .bind(login)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Set a new password and end every session of the account.
    pub async fn set_password(
        &self,
        login: &str,
        password_hash: &str,
        audit: &crate::audit::Entry,
    ) -> Result<(), StoreError> {
        let now = super::now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2, password_one_time = 0
             WHERE login = $3",
        )
        .bind(password_hash)
        .bind(now)
        .bind(login)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE credentials SET revoked_at = $1
             WHERE login = $2 AND kind = 'session' AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(login)
        .execute(&mut *tx)
        .await?;
        super::audit::append(&mut tx, &[audit]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keep a new session or token; `false` when a token of that name exists.
    pub async fn add_credential(
        &self,
        new: &NewCredential<'_>,
        audit: &crate::audit::Entry,
    ) -> Result<bool, StoreError> {
        let now = super::now_ms();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO credentials (hash, kind, login, name, institution, role, created_at,
                last_used_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(new.hash)
        .bind(new.kind)
        .bind(new.login)
        .bind(new.name)
        .bind(new.institution)
        .bind(new.role)
        .bind(now)
        .bind(new.expires_at)
        .execute(&mut *tx)
        .await?;
        super::audit::audited(tx, done.rows_affected() == 1, audit).await
    }

    /// The session or token whose secret hashes to `hash`.
    pub async fn credential(&self, hash: &str) -> Result<Option<Credential>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(CREDENTIAL))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let revoked_at: Option<i64> = row.try_get("revoked_at")?;
        let offers: Option<String> = row.try_get("bundles")?;
        Ok(Some(Credential {
            hash: row.try_get("hash")?,
            kind: row.try_get("kind")?,
            login: row.try_get("login")?,
            name: row.try_get("name")?,
            institution: row.try_get("institution")?,
            role: row
                .try_get::<Option<String>, _>("role")?
                .unwrap_or_default(),
            offers: offers.map(bundles).transpose()?.unwrap_or_default(),
            last_used_at: row.try_get("last_used_at")?,
            expires_at: row.try_get("expires_at")?,
            revoked: revoked_at.is_some(),
            password_one_time: row.try_get::<i64, _>("password_one_time")? != 0,
        }))
    }

    /// Note that a session was used (for its idle expiry).
    pub async fn touch_credential(&self, hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE credentials SET last_used_at = $1 WHERE hash = $2")
            .bind(now)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// End a session or revoke a token, by the hash of its secret.
    pub async fn revoke_credential(
        &self,
        hash: &str,
        audit: &crate::audit::Entry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE credentials SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL",
        )
        .bind(super::now_ms())
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        super::audit::audited(tx, done.rows_affected() == 1, audit).await?;
        Ok(())
    }

    /// Revoke the machine token `name`; `false` when there is none (or it was revoked).
    pub async fn revoke_token(
        &self,
        name: &str,
        audit: &crate::audit::Entry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE credentials SET revoked_at = $1
             WHERE name = $2 AND kind = 'token' AND revoked_at IS NULL",
        )
        .bind(super::now_ms())
        .bind(name)
        .execute(&mut *tx)
        .await?;
        super::audit::audited(tx, done.rows_affected() == 1, audit).await
    }

    /// The corrections made to an application before retries: service, author and patch.
    pub async fn corrections(
        &self,
        application: &ApplicationId,
    ) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT service_id, author, patch FROM corrections WHERE application_id = $1 ORDER BY id",
        )
        .bind(application.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("service_id")?,
                    r.try_get("author")?,
                    r.try_get("patch")?,
                ))
            })
            .collect()
    }

    /// The application a citizen's access secret (by its hash) opens.
    pub async fn application_by_access(
        &self,
        hash: &str,
    ) -> Result<Option<ApplicationId>, StoreError> {
        let row = sqlx::query("SELECT id FROM applications WHERE access_hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| super::application_id(&row, "id")).transpose()
    }
}

fn bundles(text: String) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("institution bundles: {e}")))
}
