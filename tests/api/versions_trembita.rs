//! Where a registry lives is the deployment's, not the application's: applications submitted
//! under a version of the definitions whose service files said nothing of Trembita go through
//! it once the registry is switched, by the services' current declarations.

use crate::durability::stats;
use crate::helpers::{Db, root};
use crate::versions::{
    BUNDLE, FAILURES_TO_OPEN, FINISHES_WITHIN, TAX_SERVICES, VERSION_1_SERVICES, edit,
    in_flight_under_version_1_of, sorted, succeeded,
};
use onestop::registry::Protocol;
use std::path::Path;

on_both_databases!(
    applications_of_a_version_without_trembita_go_through_it_once_their_registry_is_switched,
);

/// Five business starts wait for the tax service under version 1, whose tax services' files
/// have no `trembita:` section, reached by onestop REST. Version 2 is the shipped files (with
/// it); the restarted server reaches every registry through Trembita in SOAP. The five complete
/// under version 1, each tax call through the emulated security server.
async fn applications_of_a_version_without_trembita_go_through_it_once_their_registry_is_switched(
    db: Db,
) {
    let settings = [(FAILURES_TO_OPEN, "1000")];
    let first = in_flight_under_version_1_of(db, &settings, without_trembita).await;
    let stopped = first.stop().await;
    let definitions = stopped.definitions.path().to_owned();
    for service in TAX_SERVICES {
        let file = format!("services/{service}.yaml");
        std::fs::copy(root().join(&file), definitions.join(&file)).expect("copied");
    }
    edit(
        &definitions.join(BUNDLE),
        "\nversion: 3\n",
        "\nversion: 4\n",
    );
    let ids = stopped.ids.clone();
    let (app, _definitions) = stopped
        .restart(|s| s.registries.protocol = Protocol::TrembitaSoap)
        .await;
    for id in &ids {
        let done = app.wait_until_done_within(id, FINISHES_WITHIN).await;
        assert_eq!(done["status"], "completed", "{done:#}");
        assert_eq!(done["bundle_version"], 3, "{done:#}");
        assert_eq!(succeeded(&done), sorted(&VERSION_1_SERVICES), "{done:#}");
    }
    let made = stats(&app.client, &app.registries).await;
    for service in TAX_SERVICES {
        let protocols = made[service]["protocols"].as_object().expect("counted");
        assert_eq!(
            protocols.keys().collect::<Vec<_>>(),
            ["trembita-soap"],
            "{made:#}"
        );
        assert_eq!(made[service]["effects"], ids.len(), "{service}: {made:#}");
    }
}

/// The tax services' files without their `trembita:` section.
fn without_trembita(definitions: &Path) {
    for service in TAX_SERVICES {
        let path = definitions.join(format!("services/{service}.yaml"));
        let text = std::fs::read_to_string(&path).expect("read");
        let at = text.find("\ntrembita:").expect("a trembita: section");
        let rest = &text[at + 1..];
        let end = (rest.lines().skip(1))
            .position(|line| !line.starts_with(' ') && !line.is_empty())
            .map_or(rest.len(), |n| {
                rest.lines().take(n + 1).map(|l| l.len() + 1).sum::<usize>()
            });
        let kept = format!("{}{}", &text[..=at], &rest[end.min(rest.len())..]);
        std::fs::write(&path, kept).expect("written");
    }
}
