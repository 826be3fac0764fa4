//! Integration tests: the real app over HTTP on a random port, a fresh database each.

/// Run each named scenario `async fn scenario(db: Db)` as two tests, `on_sqlite::scenario` and
/// `on_postgres::scenario`; the PostgreSQL one fails when no database is configured (see
/// `helpers::postgres_url`).
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(crate::helpers::Db::Sqlite).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    if crate::helpers::postgres_url().is_some() {
                        super::$scenario(crate::helpers::Db::Postgres).await;
                    }
                }
            )*
        }
    };
}

mod access;
mod applications;
mod asynchronous;
mod audit;
mod audit_kill;
mod birth_rules;
mod bundles;
mod callbacks;
mod conditions;
mod domain_rules;
mod durability;
mod failures;
mod files_only;
mod helpers;
mod human_steps;
mod idempotency;
mod kit;
mod life_events;
mod limits;
mod logs;
mod mtls;
mod openapi;
mod operability;
mod operators;
mod outages;
mod receipts;
mod relocation_rules;
mod repetition;
mod sandbox;
mod sandbox_trembita;
mod shutdown;
mod sign_in;
mod trembita;
mod trembita_faults;
mod ui;
mod validation;
mod versions;
mod versions_trembita;
mod waiting;
mod worklist;
mod worklist_scale;
