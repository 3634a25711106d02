use super::*;
use crate::run::{Event, Outcome};

#[test]
fn a_journal_round_trips_and_survives_a_torn_last_line() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let mut writer = Writer::create(dir.path(), "seed").expect("creates");
    let event = Event::StepFinished {
        step: "packages@node1".into(),
        node: "node1".into(),
        outcome: Outcome::AlreadyDone,
        detail: "already done".into(),
        duration_ms: 12,
    };
    writer.write(&event).expect("writes");
    let path = writer.path().to_path_buf();
    drop(writer);
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(b"{\"at_ms\": 1, \"event\": \"step-fin"))
        .expect("tears");
    let entries = read(&path).expect("reads");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].event, event);
    assert_eq!(latest(dir.path(), Some("seed")), Some(path.clone()));
    assert_eq!(latest(dir.path(), Some("other")), None);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn maintenance_goes_into_the_clusters_newest_journal_or_a_new_one() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let started = Event::StepStarted {
        step: "drill".into(),
        node: "both".into(),
        title: "drill".into(),
    };
    let first = Writer::for_maintenance(dir.path(), "seed", &started)
        .expect("a new journal")
        .path()
        .to_path_buf();
    assert_eq!(read(&first).expect("reads")[0].event, started);

    // A run killed mid-write, then a day-2 action appended to it.
    fs::OpenOptions::new()
        .append(true)
        .open(&first)
        .and_then(|mut file| file.write_all(b"{\"at_ms\": 1, \"event\": \"step-fin"))
        .expect("tears");
    let event = Event::StepFinished {
        step: "standby".into(),
        node: "node1".into(),
        outcome: Outcome::Changed,
        detail: "done".into(),
        duration_ms: 5,
    };
    let mut writer =
        Writer::for_maintenance(dir.path(), "seed", &started).expect("the same journal");
    assert_eq!(writer.path(), first);
    writer.write(&event).expect("appends");
    let events: Vec<Event> = read(&first)
        .expect("reads past the torn line")
        .into_iter()
        .map(|entry| entry.event)
        .collect();
    assert_eq!(events, [started.clone(), event]);
    assert_eq!(
        latest(dir.path(), Some("lab")),
        None,
        "another cluster's journal is not used"
    );
}

/// security.md finding 9: a progress event with a null percentage (NaN as serde_json
/// writes it) made the whole journal unreadable, so the run had no report.
#[test]
fn one_bad_line_costs_that_line_only() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let path = dir.path().join("seed-20261203-080000.jsonl");
    fs::write(
        &path,
        concat!(
            r#"{"at_ms":1,"event":"phase-started","phase":"packages","title":"Packages"}"#,
            "\n",
            r#"{"at_ms":2,"event":"progress","step":"synced:vm1@node1","node":"node1","label":"vm1","percent":null,"speed_kib_per_sec":null,"eta_secs":null}"#,
            "\n",
            r#"{"at_ms":3,"event":"phase-started","phase":"verify","title":"Verification"}"#,
            "\n",
        ),
    )
    .expect("writes");
    let entries = read(&path).expect("reads around the bad line");
    assert_eq!(
        entries.iter().map(|entry| entry.at_ms).collect::<Vec<_>>(),
        [1, 3]
    );
    fs::write(&path, "not a journal\n").expect("writes");
    let error = read(&path).expect_err("no event at all");
    assert!(
        error.to_string().contains("is not a Tandem run journal"),
        "{error}"
    );
}

/// security.md finding 10: cluster "lab" took the newest journal of cluster "lab-2".
#[test]
fn a_clusters_journals_are_its_own() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let own = dir.path().join("lab-20261201-080000.jsonl");
    fs::write(&own, "{}\n").expect("writes");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(dir.path().join("lab-2-20261202-080000.jsonl"), "{}\n").expect("writes");
    assert_eq!(latest(dir.path(), Some("lab")), Some(own.clone()));
    assert!(is_journal_of("lab-20261201-080000-3.jsonl", "lab"));
    assert!(!is_journal_of("lab-2-20261202-080000.jsonl", "lab"));
    assert!(!is_journal_of("lab-x-20261202-080000.jsonl", "lab"));
    assert!(!is_journal_of("lab-20261202-080000-.jsonl", "lab"));
    assert!(is_journal_of("lab-2-20261202-080000.jsonl", "lab-2"));
}

fn seed_design() -> crate::Design {
    let profile = crate::Profile::from_toml(
        include_str!("../../../resources/profiles/seed.toml"),
        "seed",
    )
    .expect("parses");
    crate::validate(&profile).expect("valid")
}

#[test]
fn a_journaled_run_says_what_it_is_for_even_when_nothing_else_happens() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let journaled = JournaledRun::create(dir.path(), &seed_design()).expect("creates");
    let entries = read(journaled.path()).expect("reads");
    assert!(
        matches!(&entries[..], [Entry { event: Event::RunStarted { summary }, .. }] if summary.cluster == "seed"),
        "{entries:?}"
    );
}

#[test]
fn a_journaled_run_writes_each_event_before_handing_it_on_in_order() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let mut journaled = JournaledRun::create(dir.path(), &seed_design()).expect("creates");
    let (shown, mut received) = tokio::sync::mpsc::unbounded_channel();
    let preflight = Event::Preflight {
        findings: Vec::new(),
    };
    journaled.record(preflight.clone(), &shown);
    let handed_on: Vec<Event> = std::iter::from_fn(|| received.try_recv().ok()).collect();
    assert!(
        matches!(&handed_on[..], [Event::RunStarted { .. }, second] if *second == preflight),
        "the opening is handed on first, once: {handed_on:?}"
    );
    let written: Vec<Event> = read(journaled.path())
        .expect("reads")
        .into_iter()
        .map(|entry| entry.event)
        .collect();
    assert_eq!(written, handed_on);
    journaled.record(preflight.clone(), &shown);
    assert_eq!(
        received.try_recv().ok(),
        Some(preflight),
        "no second opening"
    );
    assert_eq!(journaled.lost(), 0);
}

#[test]
fn a_torn_journal_is_told_from_its_last_byte() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let path = dir.path().join("seed-1.jsonl");
    fs::write(&path, "").expect("writes");
    assert!(!ends_torn(&path).expect("reads"));
    fs::write(&path, "{}\n").expect("writes");
    assert!(!ends_torn(&path).expect("reads"));
    fs::write(&path, "{}\n{\"at").expect("writes");
    assert!(ends_torn(&path).expect("reads"));
}
