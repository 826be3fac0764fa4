//! The development defaults a server announces at start, one loud line each: against real
//! registries, the receipts' secret and the registries' callback secret left at their
//! well-known development values, and the demo institutions' accounts still able to sign in;
//! with the simulated registries, that the server is a demo.

use crate::settings::{DEVELOPMENT_RECEIPT_SECRET, SANDBOX_SECRET, Settings};
use crate::store::Store;

/// Log a warning for each development default left in place.
pub(super) async fn announce(settings: &Settings, store: &Store) -> anyhow::Result<()> {
    let demo_accounts = active_demo_accounts(store).await?;
    for line in left_in_place(settings, &demo_accounts) {
        tracing::warn!("DEVELOPMENT DEFAULT: {line}");
    }
    Ok(())
}

/// The demo institutions' accounts that can still sign in.
async fn active_demo_accounts(store: &Store) -> anyhow::Result<Vec<String>> {
    let mut active = Vec::new();
    for login in crate::people::demo_logins() {
        let user = store.user(&login).await?;
        let demo = user.is_some_and(|u| u.institution.is_some_and(|i| i.starts_with("demo-")));
        if demo {
            active.push(login);
        }
    }
    Ok(active)
}

/// What to announce, given the settings and the demo accounts that can sign in.
fn left_in_place(settings: &Settings, demo_accounts: &[String]) -> Vec<String> {
    let registries = &settings.registries;
    if registries.url.is_none() {
        return vec![
            "the simulated registries run in this process (registries.url unset): a demo, \
             with development secrets; nothing reaches a real registry"
                .to_owned(),
        ];
    }
    let mut lines = Vec::new();
    if settings.server.receipt_secret == DEVELOPMENT_RECEIPT_SECRET {
        lines.push(
            "server.receipt_secret is the development secret: anyone can forge receipts' \
             check codes; set your own (and keep it)"
                .to_owned(),
        );
    }
    let overrides = registries.overrides.iter();
    let sandbox_secret = registries.callback_secret == SANDBOX_SECRET
        || overrides
            .filter_map(|(_, o)| o.callback_secret.as_deref())
            .any(|s| s == SANDBOX_SECRET);
    if sandbox_secret {
        lines.push(
            "registries.callback_secret is the sandbox's well-known secret: anyone can forge \
             a registry's answer; set the secret each registry signs with"
                .to_owned(),
        );
    }
    if !demo_accounts.is_empty() {
        lines.push(format!(
            "the demo institutions' accounts can sign in against real registries ({}): \
             disable them with `onestop user disable LOGIN`",
            demo_accounts.join(", ")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::left_in_place;
    use crate::settings::Settings;

    fn settings(real: bool) -> Settings {
        let mut settings = Settings::load(None).expect("the defaults load");
        if real {
            settings.registries.url = Some("https://registries.example".into());
        }
        settings
    }

    #[test]
    fn every_development_default_left_against_real_registries_is_announced() {
        let demo = vec!["ward-clerk".to_owned()];
        let lines = left_in_place(&settings(true), &demo);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].contains("server.receipt_secret"));
        assert!(lines[1].contains("registries.callback_secret"));
        assert!(lines[2].contains("ward-clerk"));
    }

    #[test]
    fn secrets_of_ones_own_are_not_announced() {
        let mut settings = settings(true);
        settings.server.receipt_secret = "a secret of our own".into();
        settings.registries.callback_secret = "another of our own".into();
        assert!(left_in_place(&settings, &[]).is_empty());
    }

    #[test]
    fn with_the_simulated_registries_one_line_says_it_is_a_demo() {
        let lines = left_in_place(&settings(false), &["ward-clerk".to_owned()]);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("simulated registries"));
    }
}
