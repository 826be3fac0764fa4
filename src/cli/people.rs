//! `onestop institution add`, `user add`, `token add` and `token revoke`, and the table of
//! accounts a first run prints. The rules are `people`'s; this reads the terminal's input and
//! prints the outcome.

use super::runtime;
use crate::access::password;
use crate::people::{self, FirstRun};
use crate::settings::Settings;
use crate::store::{Institution, Store};
use anyhow::Context;
use std::io::BufRead;

/// `onestop institution add ID --title … --title-en … --bundles a,b`.
pub fn add_institution(
    settings: &Settings,
    id: &str,
    title: &str,
    title_en: &str,
    bundles: &str,
) -> anyhow::Result<()> {
    let catalog = crate::bundle::compile(&settings.definitions.root)?;
    let institution = Institution {
        id: id.to_owned(),
        title_uk: title.to_owned(),
        title_en: title_en.to_owned(),
        bundles: bundles
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    with_store(settings, async |store| {
        people::add_institution(store, &catalog, institution).await?;
        println!("Установу {id} додано (institution added)");
        Ok(())
    })
}

/// `onestop user add LOGIN --institution ID --role ROLE [--generate-password]`: the password
/// is one line of standard input, unless one is generated (and printed once).
pub fn add_user(
    settings: &Settings,
    login: &str,
    institution: Option<&str>,
    role: &str,
    generate: bool,
) -> anyhow::Result<()> {
    let given = if generate {
        password::generate()
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("Failed to read the password from standard input")?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    with_store(settings, async |store| {
        if generate {
            people::add_user_one_time(store, login, institution, role, &given).await?;
        } else {
            people::add_user(store, login, institution, role, &given).await?;
        }
        println!("Користувача {login} додано (user added)");
        if generate {
            println!("Пароль (password, shown once): {given}");
        }
        Ok(())
    })
}

/// `onestop token add NAME --institution ID --role ROLE [--expires P90D]`: prints the token once.
pub fn add_token(
    settings: &Settings,
    name: &str,
    institution: Option<&str>,
    role: &str,
    expires: &str,
) -> anyhow::Result<()> {
    with_store(settings, async |store| {
        let token = people::add_token(store, name, institution, role, expires).await?;
        eprintln!("Токен {name} створено; він показується лише раз (shown once):");
        println!("{token}");
        Ok(())
    })
}

/// `onestop token revoke NAME`.
pub fn revoke_token(settings: &Settings, name: &str) -> anyhow::Result<()> {
    with_store(settings, async |store| {
        people::revoke_token(store, name).await?;
        println!("Токен {name} відкликано (revoked)");
        Ok(())
    })
}

pub fn disable_user(settings: &Settings, login: &str) -> anyhow::Result<()> {
    with_store(settings, async |store| {
        people::disable_user(store, login).await?;
        println!("Обліковий запис {login} вимкнено, його сеанси завершено (disabled)");
        Ok(())
    })
}

/// The accounts a first run made, as a small table, with a warning that this is shown once.
pub fn print_first_run(made: &FirstRun, url: &str) {
    let line = "=".repeat(78);
    println!("{line}");
    println!("ПЕРШИЙ ЗАПУСК: створено облікові записи. Паролі показано ОДИН РАЗ — збережіть їх.");
    println!("FIRST RUN: accounts were created. The passwords are shown ONCE — keep them.");
    println!("{line}");
    println!(
        "{:<18} {:<12} {:<11} password",
        "login", "institution", "role"
    );
    for (login, institution, role, given) in &made.accounts {
        let institution = institution.as_deref().unwrap_or("—");
        println!(
            "{login:<18} {institution:<12} {:<11} {given}",
            role.as_str()
        );
    }
    println!("{line}");
    if made.accounts.len() > 1 {
        println!(
            "Демо: увійдіть на {url}/sign-in (наприклад, ward-clerk) і зареєструйте народження."
        );
        println!("Demo: sign in at {url}/sign-in (e.g. ward-clerk) and register a birth.");
        println!("{line}");
    }
}

/// Connect to the configured database (migrating it) and run `work` on it.
fn with_store(
    settings: &Settings,
    work: impl AsyncFnOnce(&Store) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let store = Store::connect(&settings.database.url, Some(1))
            .await
            .context("Failed to open the database")?;
        work(&store).await
    })
}
