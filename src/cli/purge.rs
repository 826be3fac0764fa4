//! `onestop purge [--dry-run]`: remove (or only list) the personal data of applications past
//! their retention, as `serve` does daily.

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
