//! `onestop explain`: which services an application would run, in which stages, which human
//! steps it would wait for and why other services would not run, or every error that would
//! refuse it. Bilingual, for a person reading a terminal.
//!
//! It asks the same functions as a submission (`Bundle::select`, `CombinedForm::validate`,
//! `fanout::plan`, a human step's condition) and only prints their answers; it must not decide
//! anything of its own, or it could say other than what the server would do.

use super::find;
use crate::bundle::{Bundle, Catalog, HumanStep, ServiceId};
use crate::fanout::Plan;
use crate::form::FieldError;
use anyhow::Context;
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;

/// Explain what bundle `id` would do with the submission in `file`
/// (`{"data": {...}, "services": [...]}`); fails when the application would be refused.
pub fn explain(root: &Path, id: &str, file: &Path) -> anyhow::Result<ExitCode> {
    let catalog = crate::bundle::compile(root)?;
    let bundle = find(&catalog, id)?;
    let body = read_submission(file)?;
    let chosen: Option<Vec<String>> = body
        .get("services")
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    let selection = bundle.select(chosen.as_deref())?;
    let form = bundle.form(&catalog, &selection)?;
    let data = body.get("data").cloned().unwrap_or_default();
    if let Err(errors) = form.validate(data.clone()) {
        print_refusal(&errors);
        return Ok(ExitCode::FAILURE);
    }
    let plan = crate::fanout::plan(bundle, &selection, &data);
    println!("{} — {} / {}", bundle.id, bundle.title.uk, bundle.title.en);
    print_stages(bundle, &catalog, &plan);
    for step in &bundle.human_steps {
        print_human_step(step, &data);
    }
    for (id, why) in &plan.skipped {
        println!("Пропущено / skipped: {id}: {why}");
    }
    Ok(ExitCode::SUCCESS)
}

fn read_submission(file: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("Failed to read {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))
}

fn print_refusal(errors: &[FieldError]) {
    println!("Заяву не буде прийнято / the application would be refused:");
    for e in errors {
        println!(
            "  {}: {} (потрібно для / needed by: {})",
            e.pointer,
            e.message,
            e.services.join(", ")
        );
    }
}

/// Each stage with its services: how many times each runs, its title and what it waits for.
fn print_stages(bundle: &Bundle, catalog: &Catalog, plan: &Plan) {
    for (n, stage) in plan.stages.iter().enumerate() {
        println!(
            "Етап {} / stage {} (паралельно / in parallel):",
            n + 1,
            n + 1
        );
        for (id, items) in stage {
            let title = catalog
                .service(id)
                .map(|s| s.title.uk.as_str())
                .unwrap_or_default();
            let after = waits_for(bundle, id);
            let after = if after.is_empty() {
                String::new()
            } else {
                format!(" — після / after {after}")
            };
            let times = if *items > 1 {
                format!(" ×{items}")
            } else {
                String::new()
            };
            println!("  {id}{times}: {title}{after}");
        }
    }
}

/// The services `id` depends on in `bundle`, comma-separated.
fn waits_for(bundle: &Bundle, id: &ServiceId) -> String {
    bundle
        .step(id)
        .map(|s| {
            s.depends_on
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// Whether the application would wait for `step`, and for which services.
fn print_human_step(step: &HumanStep, data: &Value) {
    let applies = step
        .condition
        .as_ref()
        .map_or(Ok(true), |c| c.evaluate(data));
    let before: Vec<String> = step.before.iter().map(ToString::to_string).collect();
    match applies {
        Ok(true) => println!(
            "Людський крок / human step: {} — {}; чекають / waiting: {}; строк / expires after {}",
            step.id,
            step.title.uk,
            before.join(", "),
            step.expires_after
        ),
        Ok(false) => println!(
            "Людський крок не потрібен / human step not needed: {}",
            step.id
        ),
        Err(e) => println!(
            "Людський крок {}: умову не вдалося обчислити ({e})",
            step.id
        ),
    }
}
