//! Managing people: institutions, staff accounts and machine tokens (the `institution`, `user`
//! and `token` commands), and what a new database gets on first run (an admin, and while the
//! simulated registries are the registries, a demo ward and a demo CNAP with their staff).
//! Every refusal names what is wrong; nothing is changed then. Secrets are returned once to be
//! shown, and stored only hashed.

use crate::access::secret::{self, Kind};
use crate::access::{Role, password};
use crate::audit::{Actor, Entry, action};
use crate::bundle::Catalog;
use crate::store::{Institution, NewCredential, Store};
use anyhow::{Context, bail};
use serde_json::json;

/// A new institution, checked against the definitions.
pub async fn add_institution(
    store: &Store,
    catalog: &Catalog,
    institution: Institution,
) -> anyhow::Result<()> {
    if !is_identifier(&institution.id) {
        bail!(
            "the institution id \"{}\" must be lower-case letters, digits and dashes",
            printable(&institution.id)
        );
    }
    for title in [&institution.title_uk, &institution.title_en] {
        if title.trim().is_empty() || title.chars().any(char::is_control) || title.len() > 200 {
            bail!("a title must be 1 to 200 characters without control characters");
        }
    }
    if institution.bundles.is_empty() {
        bail!("name the bundles the institution offers (--bundles birth,relocation,…)");
    }
    for bundle in &institution.bundles {
        if catalog.bundle(bundle).is_none() {
            bail!(
                "unknown bundle \"{}\" (see `onestop check`)",
                printable(bundle)
            );
        }
    }
    let entry = Entry::new(Actor::system(), action::INSTITUTION_CHANGE).with(json!({
        "change": "add", "institution": institution.id, "bundles": institution.bundles,
    }));
    if !store.add_institution(&institution, &entry).await? {
        bail!("the institution \"{}\" exists already", institution.id);
    }
    Ok(())
}

/// A new staff account.
pub async fn add_user(
    store: &Store,
    login: &str,
    institution: Option<&str>,
    role: &str,
    given_password: &str,
) -> anyhow::Result<()> {
    let user = (login, institution, role);
    add(store, &Actor::system(), user, given_password, false).await
}

/// Add a staff account with a password someone else chose or generated: its owner must set
/// their own at the first sign-in before doing anything else.
pub async fn add_user_one_time(
    store: &Store,
    login: &str,
    institution: Option<&str>,
    role: &str,
    given_password: &str,
) -> anyhow::Result<()> {
    let user = (login, institution, role);
    add(store, &Actor::system(), user, given_password, true).await
}

/// Add the staff account `(login, institution, role)` on behalf of `by` (recorded in the audit
/// trail); `one_time`: the password is someone else's choice, to be replaced at first sign-in.
pub async fn add(
    store: &Store,
    by: &Actor,
    (login, institution, role): (&str, Option<&str>, &str),
    given_password: &str,
    one_time: bool,
) -> anyhow::Result<()> {
    if !is_login(login) {
        bail!(
            "the login \"{}\" must be 1 to 64 letters, digits, dots, dashes, underscores or @",
            printable(login)
        );
    }
    let role = parse_role(role)?;
    let institution = known_institution(store, institution, role).await?;
    let hash = password::hash(given_password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let entry = Entry::new(by.clone(), action::STAFF_CHANGE).with(json!({
        "change": "add", "login": login, "institution": institution, "role": role.as_str(),
    }));
    let added = store.add_user(
        login,
        institution.as_deref(),
        role.as_str(),
        &hash,
        (one_time, &entry),
    );
    if !added.await? {
        return Err(Taken(login.to_owned()).into());
    }
    Ok(())
}

/// A login that exists already.
#[derive(Debug, thiserror::Error)]
#[error("the login \"{0}\" is taken")]
pub struct Taken(pub String);

/// A new machine token; the token, to be shown once.
pub async fn add_token(
    store: &Store,
    name: &str,
    institution: Option<&str>,
    role: &str,
    expires: &str,
) -> anyhow::Result<String> {
    if !is_login(name) {
        bail!(
            "the token name \"{}\" must be 1 to 64 letters, digits, dots, dashes or underscores",
            printable(name)
        );
    }
    let role = parse_role(role)?;
    let institution = known_institution(store, institution, role).await?;
    let span: jiff::Span = expires.parse().with_context(|| {
        format!(
            "--expires \"{}\" is not an ISO 8601 duration such as P90D",
            printable(expires)
        )
    })?;
    let now = jiff::Zoned::now();
    let end = now
        .checked_add(span)
        .ok()
        .filter(|end| *end > now)
        .with_context(|| format!("--expires \"{expires}\" must be a duration ahead"))?;
    let (token, hash) = secret::new(Kind::Token);
    let new = NewCredential {
        hash: &hash,
        kind: Kind::Token.as_str(),
        login: None,
        name: Some(name),
        institution: institution.as_deref(),
        role: role.as_str(),
        expires_at: end.timestamp().as_millisecond(),
    };
    let entry = Entry::new(Actor::system(), action::TOKEN_CHANGE).with(json!({
        "change": "add", "token": name, "institution": institution, "role": role.as_str(),
    }));
    if !store.add_credential(&new, &entry).await? {
        bail!("a token named \"{name}\" exists already");
    }
    Ok(token)
}

/// Revoke the machine token `name`.
pub async fn revoke_token(store: &Store, name: &str) -> anyhow::Result<()> {
    let entry = Entry::new(Actor::system(), action::TOKEN_CHANGE)
        .with(json!({ "change": "revoke", "token": name }));
    if !store.revoke_token(name, &entry).await? {
        bail!("no token named \"{}\" is in force", printable(name));
    }
    Ok(())
}

/// Disable the account `login`: it signs in no more and its sessions end.
pub async fn disable_user(store: &Store, login: &str) -> anyhow::Result<()> {
    let entry = Entry::new(Actor::system(), action::STAFF_CHANGE)
        .with(json!({ "change": "disable", "login": login }));
    if !store.disable_user(login, &entry).await? {
        bail!("no account \"{}\" is in force", printable(login));
    }
    Ok(())
}

/// What a first run made: logins with their one-time passwords, to print once.
pub struct FirstRun {
    /// (login, institution, role, password)
    pub accounts: Vec<(String, Option<String>, Role, String)>,
}

/// On a database without accounts: an admin, and with `demo` a demo ward and a demo CNAP, each
/// with a clerk, a registrar and an auditor. `None` when the database has accounts already.
pub async fn first_run(
    store: &Store,
    catalog: &Catalog,
    demo: bool,
) -> anyhow::Result<Option<FirstRun>> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let mut accounts = Vec::new();
    let mut account = async |login: &str, institution: Option<&str>, role: Role| {
        let given = password::generate();
        add_user_one_time(store, login, institution, role.as_str(), &given).await?;
        accounts.push((
            login.to_owned(),
            institution.map(str::to_owned),
            role,
            given,
        ));
        anyhow::Ok(())
    };
    if let Err(e) = account("admin", None, Role::Admin).await {
        // Another instance starting on the same new database made it first.
        if store.count_users().await? > 0 {
            return Ok(None);
        }
        return Err(e);
    }
    if demo {
        for (id, uk, en, bundles) in DEMO {
            let bundles: Vec<String> = (bundles.iter())
                .filter(|b| catalog.bundle(b).is_some())
                .map(|b| (*b).to_owned())
                .collect();
            let institution = Institution {
                id: id.to_owned(),
                title_uk: uk.to_owned(),
                title_en: en.to_owned(),
                bundles,
            };
            if store.institution(id).await?.is_none() {
                add_institution(store, catalog, institution).await?;
            }
            for role in [Role::Clerk, Role::Registrar, Role::Auditor] {
                account(&demo_login(id, role), Some(id), role).await?;
            }
        }
    }
    Ok(Some(FirstRun { accounts }))
}

/// The demo institutions: id, titles, the bundles offered (those the definitions have).
/// The logins the first run makes for the demo institutions.
pub fn demo_logins() -> Vec<String> {
    let roles = [Role::Clerk, Role::Registrar, Role::Auditor];
    (DEMO.iter())
        .flat_map(|(id, ..)| roles.map(|role| demo_login(id, role)))
        .collect()
}

fn demo_login(institution: &str, role: Role) -> String {
    let prefix = institution.trim_start_matches("demo-");
    format!("{prefix}-{}", role.as_str())
}

const DEMO: [(&str, &str, &str, &[&str]); 2] = [
    (
        "demo-ward",
        "Демонстраційний пологовий будинок",
        "Demo maternity ward",
        &["birth"],
    ),
    (
        "demo-cnap",
        "Демонстраційний ЦНАП",
        "Demo administrative service centre",
        &["birth", "relocation", "business-start"],
    ),
];

fn parse_role(role: &str) -> anyhow::Result<Role> {
    Role::parse(role).with_context(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!(
            "unknown role \"{}\" (one of {})",
            printable(role),
            known.join(", ")
        )
    })
}

/// The institution of a new account or token: required for roles that handle applications,
/// and it must exist.
async fn known_institution(
    store: &Store,
    institution: Option<&str>,
    role: Role,
) -> anyhow::Result<Option<String>> {
    let Some(id) = institution else {
        if role.needs_institution() {
            bail!(
                "a {} acts for an institution: give --institution",
                role.as_str()
            );
        }
        return Ok(None);
    };
    if store.institution(id).await?.is_none() {
        bail!(
            "unknown institution \"{}\" (add it with `onestop institution add`)",
            printable(id)
        );
    }
    Ok(Some(id.to_owned()))
}

fn is_identifier(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_login(login: &str) -> bool {
    (1..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'))
}

/// Text from outside as it may be printed: control characters shown escaped.
fn printable(text: &str) -> String {
    text.chars()
        .take(80)
        .flat_map(char::escape_debug)
        .collect::<String>()
}
