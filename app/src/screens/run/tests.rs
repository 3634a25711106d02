use std::path::Path;

use super::*;
use iced::{Settings, Size};
use iced_test::{Error, Simulator};
use wizard_steps::journal;
use wizard_steps::run::Summary;

/// The journal of the end-to-end test's second run on the two-VM testbed: it resumed an
/// apply that had been killed in the DRBD phase, synced both resources and verified the
/// cluster.
const RECORDING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/recordings/testbed-resumed-run.jsonl"
);

fn recording() -> Vec<Event> {
    journal::read(Path::new(RECORDING))
        .expect("the recording reads")
        .into_iter()
        .map(|entry| entry.event)
        .collect()
}

fn feed(state: &mut State, events: &[Event]) {
    for event in events {
        let action = update(state, Message::Event(Box::new(event.clone())));
        assert!(matches!(action, Action::None), "{action:?}");
    }
}

fn ui(state: &State) -> Simulator<'_, Message> {
    Simulator::with_size(Settings::default(), Size::new(1400.0, 12000.0), view(state))
}

fn published(page: Simulator<'_, Message>) -> Vec<Message> {
    page.into_messages().collect()
}

/// Where in the recording vm1's sync on node1 first reports 12.5%.
fn vm1_at_12_5(events: &[Event]) -> usize {
    events
        .iter()
        .position(|event| {
            matches!(event, Event::Progress { label, node, percent, .. }
                if label == "vm1" && node == "node1" && *percent == 12.5)
        })
        .expect("the recording has vm1's sync at 12.5%")
}

fn title_of(events: &[Event], id: &str) -> String {
    events
        .iter()
        .find_map(|event| match event {
            Event::StepStarted { step, title, .. } if step == id => Some(title.clone()),
            _ => None,
        })
        .expect("the step started")
}

#[test]
fn a_recorded_run_shows_every_step_the_sync_bars_and_the_result() -> Result<(), Error> {
    let events = recording();
    assert_eq!(events.len(), 227);
    let mut state = State::started("/tmp/journal.jsonl".into());
    feed(&mut state, &events);
    assert!(matches!(
        update(&mut state, Message::EventsEnded),
        Action::Finished { succeeded: true }
    ));
    assert!(!state.running());
    assert!(state.succeeded());
    assert_eq!(state.blocked_reason(), "");
    let synced = state
        .board
        .steps
        .iter()
        .find(|step| step.id == "synced:vm1@node1")
        .expect("the sync step");
    assert_eq!(synced.state, StepState::Passed);
    assert_eq!(synced.duration_ms, Some(48753));

    let mut page = ui(&state);
    let _ = page.find("Finished: 13 changed, 51 already done, 13 checks passed, in 5:57")?;
    let _ = page.find("77 of 77 steps")?;
    // Each resource's bar, at its last report: 100%, no speed any more, nothing left.
    let vm1 = page.find("vm1 on node1")?;
    let vm2 = page.find("vm2 on node2")?;
    assert!(vm1.bounds().y < vm2.bounds().y);
    let caption = page.find("100.0% · 0:00 left")?;
    assert!((caption.bounds().y - vm1.bounds().y).abs() < 5.0);
    // The sync step with its outcome and duration, the ones that changed, and the last log line.
    let _ = page.find("passed · 48.8 s")?;
    let _ = page.find("changed · 1:19")?; // crm-load@node1: 79913 ms
    let _ = page.find("[both]   2 VM(s) at home, DRBD UpToDate on both nodes")?;
    // crmsh's colour codes are left out of the log.
    let _ = page.find(
        // The tab crm_verify indents with, expanded.
        "[node1]   WARNING: (unpack_config)      warning: Blind faith: not fencing unseen nodes",
    )?;
    let _ = page.find("Initial DRBD sync")?;
    assert!(page.find("Cancel").is_err());
    assert!(page.find("Resume").is_err());
    Ok(())
}

#[test]
fn midway_through_the_recording_the_sync_is_in_progress_and_cancel_stops_it() -> Result<(), Error> {
    let events = recording();
    let at = vm1_at_12_5(&events);
    let mut state = State::started("/tmp/journal.jsonl".into());
    feed(&mut state, &events[..=at]);
    assert!(state.running());
    let finished = events[..=at]
        .iter()
        .filter(|event| matches!(event, Event::StepFinished { .. }))
        .count();
    assert_eq!(state.board.counts(), (finished, 77));

    let mut page = ui(&state);
    let _ = page.find("Phase in progress: Initial DRBD sync")?;
    let _ = page.find(format!("{finished} of 77 steps"))?;
    let _ = page.find("12.5% · 4.0 MiB/s · 0:56 left")?;
    let _ = page.find("6.3% · 2.6 MiB/s · 1:31 left")?; // vm2 on node2 before it
    let _ = page.click("Cancel")?;
    let messages = published(page);
    let actions: Vec<Action> = messages
        .into_iter()
        .map(|message| update(&mut state, message))
        .collect();
    assert!(
        matches!(actions.as_slice(), [Action::Cancel]),
        "{actions:?}"
    );
    assert_eq!(
        state.blocked_reason(),
        "Cancelling: the command running on a node is being stopped"
    );
    let mut page = ui(&state);
    let _ = page.find("Cancelling…")?;
    assert!(page.find("Cancel").is_err());
    drop(page);
    assert!(matches!(
        update(&mut state, Message::CancelPressed),
        Action::None
    ));

    // The runner stops and reports the cancel.
    feed(
        &mut state,
        &[Event::Finished {
            summary: Summary {
                cancelled: true,
                ..Summary::default()
            },
        }],
    );
    assert!(matches!(
        update(&mut state, Message::EventsEnded),
        Action::Finished { succeeded: false }
    ));
    let mut page = ui(&state);
    let _ = page.find("Cancelled")?;
    let _ = page.find("The run stopped")?;
    let _ = page.find("stopped")?; // the sync steps cut short
    let _ = page.click("Resume")?;
    let messages = published(page);
    let actions: Vec<Action> = messages
        .into_iter()
        .map(|message| update(&mut state, message))
        .collect();
    assert!(
        matches!(actions.as_slice(), [Action::Resume]),
        "{actions:?}"
    );
    Ok(())
}

#[test]
fn a_failed_step_shows_its_message_and_resume() -> Result<(), Error> {
    let events = recording();
    let started = events
        .iter()
        .position(
            |event| matches!(event, Event::StepStarted { step, .. } if step == "crm-load@node1"),
        )
        .expect("the recording loads the Pacemaker configuration");
    let title = title_of(&events, "crm-load@node1");
    let mut state = State::started("/tmp/journal.jsonl".into());
    feed(&mut state, &events[..=started]);
    feed(
        &mut state,
        &[
            Event::StepFailed {
                step: "crm-load@node1".into(),
                node: "node1".into(),
                message: "the command failed".into(),
                command: Some("crm configure load update /etc/tandem/cluster.crm".into()),
                status: Some("1".into()),
                output_tail: vec!["ERROR: vm_vm1: attribute xmfile does not exist".into()],
                duration_ms: 812,
            },
            Event::Finished {
                summary: Summary {
                    changed: 12,
                    already_done: 51,
                    passed: 10,
                    failed: 1,
                    ..Summary::default()
                },
            },
        ],
    );
    assert!(matches!(
        update(&mut state, Message::EventsEnded),
        Action::Finished { succeeded: false }
    ));
    assert!(!state.running() && !state.succeeded());
    assert_eq!(
        state.blocked_reason(),
        "A step failed: fix its cause, then Resume"
    );
    assert_eq!(state.board.failed().len(), 1);

    let mut page = ui(&state);
    let _ = page.find("Stopped: a step failed")?;
    let _ = page.find("A step failed")?;
    let _ = page.find(format!("node1 · {title}"))?;
    let _ = page.find(
        "the command failed\ncommand: crm configure load update /etc/tandem/cluster.crm\nexit status: 1\n  ERROR: vm_vm1: attribute xmfile does not exist",
    )?;
    let _ = page.find("FAILED · 0.8 s")?;
    assert!(page.find("Cancel").is_err());
    let _ = page.click("Resume")?;
    let messages = published(page);
    let actions: Vec<Action> = messages
        .into_iter()
        .map(|message| update(&mut state, message))
        .collect();
    assert!(
        matches!(actions.as_slice(), [Action::Resume]),
        "{actions:?}"
    );
    Ok(())
}

#[test]
fn a_run_cut_off_without_its_report_can_be_resumed() -> Result<(), Error> {
    let events = recording();
    let at = vm1_at_12_5(&events);
    let mut state = State::started("/tmp/journal.jsonl".into());
    feed(&mut state, &events[..at]);
    assert!(matches!(
        update(&mut state, Message::EventsEnded),
        Action::Finished { succeeded: false }
    ));
    assert!(!state.running(), "Back and the sidebar are free again");
    let mut page = ui(&state);
    let _ = page.find("The run ended before it finished")?;
    let _ = page.click("Resume")?;
    let messages = published(page);
    assert!(matches!(
        update(&mut state, messages.into_iter().next().expect("a message")),
        Action::Resume
    ));
    Ok(())
}

#[test]
fn durations_read_as_seconds_then_minutes_and_log_lines_lose_colour_codes() {
    assert_eq!(duration(812), "0.8 s");
    assert_eq!(duration(48_753), "48.8 s");
    assert_eq!(duration(357_234), "5:57");
    assert_eq!(plain("\u{1b}[33mWARNING\u{1b}[0m: x"), "WARNING: x");
    // As crm_verify's output reached the log on the testbed: a tab after the location.
    assert_eq!(
        plain("WARNING: (unpack_config) \twarning: Blind faith\r"),
        "WARNING: (unpack_config)        warning: Blind faith"
    );
}
