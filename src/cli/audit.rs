//! `onestop audit verify`: walk the audit trail and say whether it is whole, or which entry was
//! changed, removed or slipped in first (exit status 1 then).

use crate::settings::Settings;
use crate::store::Store;
use anyhow::Context;

/// Whether the trail verified.
pub fn verify_audit(settings: &Settings) -> anyhow::Result<bool> {
    super::runtime()?.block_on(async {
        let store = Store::connect(&settings.database.url, Some(1))
            .await
            .context("Failed to open the database")?;
        let walked = store.verify_audit().await.context("Failed to read the audit trail")?;
        Ok(match walked {
            Ok(checked) => {
                println!(
                    "Журнал аудиту цілісний: {} записів, остання ланка {} (the audit trail verifies)",
                    checked.entries, checked.head
                );
                true
            }
            Err(broken) => {
                eprintln!(
                    "Журнал аудиту пошкоджено на записі {} (the audit trail is broken): {broken}",
                    broken.entry()
                );
                false
            }
        })
    })
}
