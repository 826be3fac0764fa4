//! The schema: its migrations (one folder per backend, compiled into the binary), applied at
//! start unless `database.migrate_on_start` is off, by `onestop migrate`, and checked by
//! `/readyz` and by a `serve` that does not migrate.
//!
//! Several instances may migrate one PostgreSQL database at once: sqlx takes an advisory lock
//! for the run, so one applies and the others find nothing left to do.

use super::{Backend, Store, StoreError};
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }

    /// Apply the migrations the database lacks; the versions applied now.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let before = self.pending_migrations().await?;
        self.migrator().run(&self.pool).await?;
        Ok(before)
    }

    /// The versions of this binary's migrations the database has not applied (all of them on
    /// an empty database), in order.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let table = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables
                 WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
            }
        };
        let exists: i64 = sqlx::query_scalar(table).fetch_one(&self.pool).await?;
        let applied: Vec<i64> = if exists == 0 {
            Vec::new()
        } else {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?
        };
        let ours = self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration());
        let versions = ours.map(|m| m.version).filter(|v| !applied.contains(v));
        Ok(versions.collect())
    }
}
