use super::*;
use crate::run::StepOutline;

#[test]
fn the_board_follows_a_run_step_by_step_with_sync_bars() {
    let outline = |id: &str, node: &str| StepOutline {
        id: id.into(),
        phase: crate::plan::PhaseKind::InitialSync,
        node: node.into(),
        title: format!("do {id}"),
        destructive: None,
    };
    let events = vec![
        Event::PlanReady {
            target: "Debian 12".into(),
            steps: vec![
                outline("a", "node1"),
                outline("b", "node2"),
                outline("key", "both"),
            ],
        },
        Event::StepStarted {
            step: "a".into(),
            node: "node1".into(),
            title: "do a".into(),
        },
        Event::Progress {
            step: "a".into(),
            node: "node1".into(),
            label: "vm1".into(),
            percent: 10.0,
            speed_kib_per_sec: Some(20480),
            eta_secs: Some(65),
        },
        Event::Progress {
            step: "a".into(),
            node: "node1".into(),
            label: "vm1".into(),
            percent: 42.0,
            speed_kib_per_sec: Some(21811),
            eta_secs: Some(65),
        },
        Event::StepFinished {
            step: "a".into(),
            node: "node1".into(),
            outcome: Outcome::Changed,
            detail: String::new(),
            duration_ms: 1200,
        },
        Event::StepStarted {
            step: "key".into(),
            node: "node1".into(),
            title: "do key".into(),
        },
        Event::StepFailed {
            step: "b".into(),
            node: "node2".into(),
            message: "boom".into(),
            command: Some("false".into()),
            status: Some("1".into()),
            output_tail: vec!["oops".into()],
            duration_ms: 5,
        },
    ];
    let board = Board::from_events(&events);
    assert_eq!(board.nodes(), ["node1", "node2", "both"]);
    assert_eq!(board.steps[0].state, StepState::Changed);
    assert_eq!(board.steps[0].duration_ms, Some(1200));
    assert_eq!(board.steps[1].state, StepState::Failed);
    let failure = board.steps[1]
        .failure
        .as_ref()
        .expect("the failure is kept");
    assert_eq!(failure.tail, ["oops"]);
    assert!(failure.describe().contains("exit status: 1\n  oops"));
    assert!(
        board
            .log
            .iter()
            .any(|line| line.contains("[node2] FAILED: boom"))
    );
    assert_eq!(board.steps[2].state, StepState::Running);
    let bars: Vec<_> = board.sync_bars().collect();
    assert_eq!(bars.len(), 1);
    assert_eq!(bars[0].caption(), "42.0% · 21.3 MiB/s · 1:05 left");
    assert!(board.running());
    assert_eq!(board.counts(), (2, 3));
}

#[test]
fn a_step_the_outline_did_not_list_still_gets_its_line() {
    // A journal whose plan line could not be read: the steps it reports still show.
    let events = [
        Event::PhaseStarted {
            phase: crate::plan::PhaseKind::Packages,
            title: "Packages".into(),
        },
        Event::StepStarted {
            step: "packages@node1".into(),
            node: "node1".into(),
            title: "install the packages".into(),
        },
        Event::StepFinished {
            step: "packages@node1".into(),
            node: "node1".into(),
            outcome: Outcome::Changed,
            detail: String::new(),
            duration_ms: 9,
        },
    ];
    let board = Board::from_events(&events);
    assert_eq!(board.steps.len(), 1);
    let line = &board.steps[0];
    assert_eq!(line.title, "install the packages");
    assert_eq!(line.state, StepState::Changed);
    assert_eq!(board.phase_title(&line.phase), "Packages");
}
