use super::*;
use serde_json::json;

fn stored(entries: &[Entry]) -> Vec<Stored> {
    let mut prev = chain::GENESIS.to_owned();
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let seq = i as i64 + 1;
        let sealed = link(&prev, seq, 1_000 + seq, entry);
        prev.clone_from(&sealed.hash);
        out.push(Stored {
            seq,
            at: sealed.at,
            actor: entry.actor.name.clone(),
            role: entry.actor.role.clone(),
            institution: entry.institution.clone(),
            action: entry.action.to_owned(),
            application: entry.application.clone(),
            detail: sealed.detail,
            request_id: entry.request_id.clone(),
            prev_hash: sealed.prev_hash,
            hash: sealed.hash,
            repeats: 0,
            last_at: None,
        });
    }
    out
}

fn trail() -> Vec<Stored> {
    let entries: Vec<Entry> = (0..5)
        .map(|i| {
            Entry::new(Actor::new(format!("clerk-{i}")), action::APPLICATION_READ)
                .on(format!("app-{i}"), Some("ward"))
        })
        .collect();
    stored(&entries)
}

fn walk(entries: &[Stored], head: Option<(i64, String)>) -> Result<Checked, Broken> {
    let mut verifier = Verifier::default();
    for entry in entries {
        verifier.check(entry)?;
    }
    verifier.finish(head)
}

fn head(entries: &[Stored]) -> Option<(i64, String)> {
    entries.last().map(|e| (e.seq, e.hash.clone()))
}

#[test]
fn an_untouched_chain_verifies_to_its_head() {
    let entries = trail();
    let checked = walk(&entries, head(&entries)).expect("verifies");
    assert_eq!(checked.entries, 5);
    assert_eq!(checked.head, entries[4].hash);
}

#[test]
fn a_changed_entry_is_named() {
    let mut entries = trail();
    let head = head(&entries);
    entries[2].actor = "someone-else".into();
    assert_eq!(walk(&entries, head), Err(Broken::Changed(3)));
}

#[test]
fn a_removed_entry_is_named() {
    let mut entries = trail();
    let head = head(&entries);
    entries.remove(1);
    assert_eq!(
        walk(&entries, head),
        Err(Broken::Missing {
            missing: 2,
            found: 3
        })
    );
}

#[test]
fn an_entry_slipped_in_and_renumbered_is_out_of_place() {
    let entries = trail();
    let head = head(&entries);
    // A forged entry with a valid-looking hash of its own, numbered 3, the rest moved up.
    let forged = link(
        &entries[1].hash,
        3,
        1_003,
        &Entry::new(Actor::new("forger"), action::APPLICATION_READ),
    );
    let mut tampered = entries.clone();
    tampered.insert(
        2,
        Stored {
            actor: "forger".into(),
            role: None,
            institution: None,
            application: None,
            detail: forged.detail,
            prev_hash: forged.prev_hash,
            hash: forged.hash,
            ..entries[2].clone()
        },
    );
    for (i, entry) in tampered.iter_mut().enumerate().skip(3) {
        entry.seq = i as i64 + 1;
    }
    assert_eq!(walk(&tampered, head), Err(Broken::OutOfPlace(4)));
}

#[test]
fn removing_the_last_entries_shows_against_the_head() {
    let mut entries = trail();
    let head = head(&entries);
    entries.truncate(3);
    assert_eq!(
        walk(&entries, head),
        Err(Broken::Truncated { last: 3, head: 5 })
    );
}

#[test]
fn a_correction_is_recorded_as_pointers_with_keyed_digests_not_values() {
    let digests = Digests::new("secret");
    let before = json!({ "benefit": { "iban": "UA213223130000026007233566001" }, "child": ["a"] });
    let after =
        json!({ "benefit": { "iban": "UA903052992990004149123456789" }, "child": ["a", "b"] });
    let changes = digests.changes(&before, &after);
    let pointers: Vec<&str> = changes
        .iter()
        .filter_map(|c| c["pointer"].as_str())
        .collect();
    assert_eq!(pointers, ["/benefit/iban", "/child/1"]);
    let text = serde_json::to_string(&changes).expect("JSON");
    assert!(!text.contains("UA21") && !text.contains("UA90"), "{text}");
    assert_eq!(
        changes[0]["before"],
        json!(digests.of(&json!("UA213223130000026007233566001")))
    );
    assert_eq!(changes[1]["before"], json!(null));
    assert_ne!(
        Digests::new("other").of(&json!("x")),
        digests.of(&json!("x"))
    );
}
