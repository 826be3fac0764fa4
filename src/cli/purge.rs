//! The database's upkeep from a terminal: `onestop purge [--dry-run]` removes (or only lists)
//! the personal data of applications past their retention, as `serve` does daily; `onestop
//! migrate` applies the schema's pending migrations, for operators who do not let `serve` do it
//! at start.

use crate::settings::Settings;
use crate::store::Store;
use anyhow::Context;

pub fn purge(settings: &Settings, dry_run: bool) -> anyhow::Result<()> {
    let retention = settings.retention.span()?;
    let catalog = crate::bundle::compile(&settings.definitions.root)?;
    super::runtime()?.block_on(async {
        let store = Store::connect(&settings.database.url, Some(1))
            .await
            .context("Failed to open the database")?;
        let keep = (retention, settings.server.receipt_secret.as_str());
        let purge = crate::applications::purge::purge(&catalog, &store, keep, dry_run);
        let purged = purge.await.context("Failed to purge")?;
        for application in &purged {
            println!("{} {}", application.bundle, application.id);
        }
        let (uk, en) = if dry_run {
            ("буде видалено", "would be purged")
        } else {
            ("видалено", "purged")
        };
        println!(
            "Персональні дані {} заяв(и) {uk} ({} applications {en})",
            purged.len(),
            purged.len()
        );
        Ok(())
    })
}

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    super::runtime()?.block_on(async {
        let store = Store::open(&settings.database.url, Some(1))
            .await
            .context("Failed to open the database")?;
        let applied = store.migrate().await.context("Failed to migrate")?;
        let versions: Vec<String> = applied.iter().map(i64::to_string).collect();
        match versions.is_empty() {
            true => println!("Схема бази даних актуальна (the schema is up to date)"),
            false => println!(
                "Застосовано міграції (migrations applied): {}",
                versions.join(", ")
            ),
        }
        Ok(())
    })
}
