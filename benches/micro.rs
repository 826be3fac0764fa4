//! Micro-benchmarks (divan): `cargo bench --bench micro`.
//!
//! * compiling every definition at start-up (`bundle::compile`: YAML, forms, schemas,
//!   conditions, receipt templates);
//! * validating the full combined birth form with every optional service (`CombinedForm::validate`
//!   on `bundles/examples/birth.json`), and building that form once (`Bundle::form`, cached);
//! * rendering a full birth receipt with ten services (`receipt::render_pdf`), in Ukrainian.
//!
//! A benchmark prints figures; it asserts nothing. Under `cargo test --all-targets` or nextest
//! (no `--bench` argument) it does nothing.

use onestop::bundle::{Catalog, ServiceId, compile};
use onestop::form::CombinedForm;
use onestop::receipt::{Bi, Languages, ReceiptView, ServiceLine, StatusKind, render_pdf};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

fn main() {
    if std::env::args().any(|a| a == "--bench") {
        divan::main();
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> Value {
    let text = std::fs::read_to_string(root().join("bundles/examples/birth.json"))
        .expect("the birth example");
    serde_json::from_str(&text).expect("JSON")
}

fn birth_form(catalog: &Catalog, example: &Value) -> Arc<CombinedForm> {
    let bundle = catalog.bundle("birth").expect("birth bundle");
    let chosen: Vec<String> =
        serde_json::from_value(example["services"].clone()).expect("services");
    let selection: Vec<ServiceId> = bundle.select(Some(&chosen)).expect("selection");
    bundle.form(catalog, &selection).expect("combined form")
}

#[divan::bench(sample_count = 20)]
fn compile_all_bundles() -> Catalog {
    compile(root()).expect("definitions compile")
}

#[divan::bench]
fn validate_full_birth_form(bencher: divan::Bencher) {
    let catalog = compile(root()).expect("definitions compile");
    let example = example();
    let form = birth_form(&catalog, &example);
    let data = example["data"].clone();
    bencher
        .with_inputs(|| data.clone())
        .bench_local_values(|data| form.validate(data).expect("valid"));
}

#[divan::bench]
fn cached_birth_form(bencher: divan::Bencher) {
    let catalog = compile(root()).expect("definitions compile");
    let example = example();
    bencher.bench_local(|| birth_form(&catalog, &example));
}

#[divan::bench(sample_count = 50)]
fn render_birth_receipt(bencher: divan::Bencher) {
    let view = receipt_view();
    bencher.bench_local(|| render_pdf(&view).expect("renders"));
}

/// A completed birth application's receipt with ten services, in Ukrainian.
fn receipt_view() -> ReceiptView {
    let services = (1..=10)
        .map(|n| ServiceLine {
            title: Bi::new(
                format!("Послуга реєстру № {n}"),
                format!("Registry service {n}"),
            ),
            authority: Bi::new("Відділ державної реєстрації актів цивільного стану", ""),
            status: StatusKind::Succeeded,
            reference: Bi::new(format!("Актовий запис № 10{n} від 21.11.2026"), ""),
            digest: "3F2A-91C0".into(),
        })
        .collect();
    ReceiptView {
        languages: Languages::default(),
        application_id: "01a1fd71-3afd-715a-8af9-68458bec9ad5".into(),
        submitted_at: Bi::new("21.11.2026 11:30", "21 Nov 2026, 11:30"),
        state_as_of: Bi::new("21.11.2026 11:31", "21 Nov 2026, 11:31"),
        issued_unix: 1_795_253_460,
        event: Bi::new("Народження дитини", "Birth of a child"),
        title: Bi::new("Квитанція про реєстрацію народження дитини", "Receipt"),
        intro: Bi::new(
            "Одну заяву передано до всіх реєстрів, перелічених нижче.",
            "",
        ),
        applicant: "Олена Коваленко".into(),
        details: vec![(
            Bi::new("Дитина", "Child"),
            "Мар'яна Андріївна Коваленко, 19.11.2026".into(),
        )],
        services,
        next_steps: vec![Bi::new("Усі послуги виконано.", "Every service is done.")],
        verify_url: "http://127.0.0.1:8080/verify/c05f64b943a48ef75479e183b2d11fed".into(),
    }
}
