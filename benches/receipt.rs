//! How fast receipts render and how big they are: `cargo bench --bench receipt`.
//!
//! Renders a full birth receipt (ten services, Ukrainian, English and bilingual) repeatedly on
//! one thread and prints receipts per second, the median and 99th-percentile render time, and
//! the median size. A benchmark prints figures; it asserts nothing.

use onestop::lang::Lang;
use onestop::receipt::{Bi, Languages, ReceiptView, ServiceLine, StatusKind, render_pdf};
use std::time::{Duration, Instant};

const SERVICES: [(&str, &str, &str, &str); 10] = [
    (
        "Державна реєстрація народження",
        "State registration of birth",
        "Відділ державної реєстрації актів цивільного стану",
        "Актовий запис № 101 від 21.11.2026",
    ),
    (
        "Присвоєння РНОКПП",
        "Taxpayer number (RNOKPP)",
        "ДПС України",
        "РНОКПП 4634499667",
    ),
    (
        "Внесення до демографічного реєстру (УНЗР)",
        "Demographic register entry (UNZR)",
        "ДМС України",
        "УНЗР 20261119-93350",
    ),
    (
        "Визначення належності до громадянства",
        "Citizenship determination",
        "ДМС України",
        "Громадянство: UKR (ст. 7 Закону України «Про громадянство України»)",
    ),
    (
        "Свідоцтво про народження з РНОКПП і УНЗР",
        "Birth certificate with RNOKPP and UNZR",
        "Відділ державної реєстрації актів цивільного стану",
        "Свідоцтво серії І-БК № 100005",
    ),
    (
        "Реєстрація місця проживання дитини",
        "Registration of the child's residence",
        "Виконавчий орган ради (ЦНАП)",
        "Запис у реєстрі громади R-000007",
    ),
    (
        "Допомога при народженні дитини",
        "Birth assistance",
        "Пенсійний фонд України",
        "Рішення № ПФУ-2026-000009: 41 280,00 грн",
    ),
    (
        "Пакунок малюка або компенсація",
        "Baby box or compensation",
        "Орган соціального захисту населення",
        "Рішення № СЗ-000006 (пакунок малюка)",
    ),
    (
        "Посвідчення багатодітної сім'ї",
        "Large family certificate",
        "Орган соціального захисту населення",
        "Посвідчення № 000008",
    ),
    (
        "Запис у реєстрі пацієнтів eHealth",
        "eHealth patient record",
        "НСЗУ (eHealth)",
        "Пацієнт eHealth 000010",
    ),
];

fn birth_view(languages: Languages) -> ReceiptView {
    let services = SERVICES
        .iter()
        .map(|(uk, en, authority, reference)| ServiceLine {
            title: Bi::new(*uk, *en),
            authority: Bi::new(*authority, ""),
            status: StatusKind::Succeeded,
            reference: Bi::new(*reference, *reference),
            digest: "3F2A-91C0".into(),
        })
        .collect();
    ReceiptView {
        languages,
        application_id: "01a1fd71-3afd-715a-8af9-68458bec9ad5".into(),
        submitted_at: Bi::new("21.11.2026 11:30", "21 Nov 2026, 11:30"),
        state_as_of: Bi::new("21.11.2026 11:31", "21 Nov 2026, 11:31"),
        issued_unix: 1_795_253_460,
        event: Bi::new("Народження дитини", "Birth of a child"),
        title: Bi::new(
            "Квитанція про реєстрацію народження дитини",
            "Receipt: registration of a child's birth",
        ),
        intro: Bi::new(
            "Одну заяву про народження дитини (Мар'яна Коваленко) передано до всіх реєстрів, перелічених нижче.",
            "One application for the birth of a child (Mariana Kovalenko) has gone to every registry listed below.",
        ),
        applicant: "Олена Коваленко".into(),
        details: vec![(
            Bi::new("Дитина", "Child"),
            "Мар'яна Андріївна Коваленко, 19.11.2026".into(),
        )],
        services,
        next_steps: vec![Bi::new(
            "Усі послуги виконано. Свідоцтво про народження видає відділ ДРАЦС, указаний у таблиці.",
            "Every service is done. The birth certificate is issued by the civil registry office named in the table.",
        )],
        verify_url: "http://127.0.0.1:8080/verify/c05f64b943a48ef75479e183b2d11fed".into(),
    }
}

fn main() {
    // `cargo test --all-targets` and nextest also start bench targets (to list or run tests):
    // there are none here. Only `cargo bench` (which passes `--bench`) measures.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rounds: usize = std::env::var("RECEIPT_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    println!("receipt rendering, one thread, {rounds} receipts per language");
    let one = Languages::One;
    for languages in [one(Lang::Uk), one(Lang::En), Languages::Both] {
        let view = birth_view(languages);
        let _warm = render_pdf(&view).expect("renders");
        let mut times: Vec<Duration> = Vec::with_capacity(rounds);
        let mut sizes: Vec<usize> = Vec::with_capacity(rounds);
        let start = Instant::now();
        for _ in 0..rounds {
            let t = Instant::now();
            let pdf = render_pdf(&view).expect("renders");
            times.push(t.elapsed());
            sizes.push(pdf.len());
        }
        let total = start.elapsed();
        times.sort();
        sizes.sort();
        println!(
            "{:>5}: {:>6.1} receipts/s, median {:>5.2} ms, p99 {:>5.2} ms, median size {:.1} KB",
            languages.code(),
            rounds as f64 / total.as_secs_f64(),
            times[rounds / 2].as_secs_f64() * 1e3,
            times[rounds * 99 / 100].as_secs_f64() * 1e3,
            sizes[rounds / 2] as f64 / 1024.0,
        );
    }
}
