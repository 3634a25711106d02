//! Run: the plan carried out live. Each node's steps with their state and duration, a bar per
//! DRBD sync and per upload, the log as it comes, the phase in progress and how many steps are
//! done; Cancel while it runs, and after a failure or a cancel what went wrong and Resume.

use std::path::PathBuf;

use iced::widget::{Column, button, column, container, progress_bar, row, scrollable, text};
use iced::{Center, Element, Fill, Font, Theme};
use wizard_steps::run::Event;
use wizard_steps::run::board::{Board, ProgressBar, StepLine, StepState};

use super::{heading, section, warning};

#[derive(Debug, Default)]
pub struct State {
    pub journal: Option<PathBuf>,
    pub board: Board,
    /// Cancel was pressed: the run is stopping.
    cancelling: bool,
    /// The event stream ended (with or without a Finished event).
    ended: bool,
}

impl State {
    pub fn started(journal: PathBuf) -> State {
        State {
            journal: Some(journal),
            ..State::default()
        }
    }

    pub fn running(&self) -> bool {
        self.board.running() && !self.ended
    }

    pub fn succeeded(&self) -> bool {
        self.board
            .summary
            .as_ref()
            .is_some_and(|summary| summary.succeeded())
    }

    /// The run is over without having succeeded: it failed, was cancelled or was cut off.
    fn stopped(&self) -> bool {
        !self.running() && !self.succeeded() && (self.board.summary.is_some() || self.ended)
    }

    pub fn blocked_reason(&self) -> String {
        if self.succeeded() {
            String::new()
        } else if self.cancelling && self.running() {
            "Cancelling: the command running on a node is being stopped".to_owned()
        } else if self.running() {
            "The setup is running".to_owned()
        } else if !self.board.failed().is_empty() {
            "A step failed: fix its cause, then Resume".to_owned()
        } else if self.stopped() {
            "The run stopped before the end: Resume to carry on".to_owned()
        } else {
            "The run has not started".to_owned()
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Event(Box<Event>),
    EventsEnded,
    CancelPressed,
    ResumePressed,
}

#[derive(Debug)]
pub enum Action {
    None,
    Cancel,
    Resume,
    Finished { succeeded: bool },
}

pub fn update(state: &mut State, message: Message) -> Action {
    match message {
        Message::Event(event) => {
            state.board.apply(&event);
            Action::None
        }
        Message::EventsEnded => {
            state.ended = true;
            Action::Finished {
                succeeded: state.succeeded(),
            }
        }
        Message::CancelPressed => {
            if state.running() && !state.cancelling {
                state.cancelling = true;
                Action::Cancel
            } else {
                Action::None
            }
        }
        Message::ResumePressed => {
            if state.stopped() {
                Action::Resume
            } else {
                Action::None
            }
        }
    }
}

/// "0.8 s", "48.8 s", "5:57".
pub fn duration(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        let seconds = ms / 1000;
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

pub fn view(state: &State) -> Element<'_, Message> {
    let board = &state.board;
    let target =
        (!board.target.is_empty()).then(|| text(format!("Rendered for {}", board.target)).size(13));
    column![
        heading(
            "Setting up the cluster",
            "Tandem carries out the plan on both nodes. Steps found done already are skipped."
        ),
        target,
        status_view(state),
        failure_view(state),
        bars_view("DRBD sync", board.sync_bars()),
        bars_view("Uploads", board.upload_bars()),
        log_view(board),
        steps_view(state),
    ]
    .spacing(20)
    .into()
}

fn status_view(state: &State) -> Element<'_, Message> {
    let board = &state.board;
    let (done, total) = board.counts();
    let headline = match &board.summary {
        Some(summary) if summary.succeeded() => format!(
            "Finished: {} changed, {} already done, {} checks passed, in {}",
            summary.changed,
            summary.already_done,
            summary.passed,
            duration(summary.duration_ms)
        ),
        Some(summary) if summary.cancelled => "Cancelled".to_owned(),
        Some(_) => "Stopped: a step failed".to_owned(),
        None if state.ended => "The run ended before it finished".to_owned(),
        None => match &board.phase {
            Some(phase) if state.cancelling => format!("Cancelling… (in phase: {phase})"),
            Some(phase) => format!("Phase in progress: {phase}"),
            None if state.cancelling => "Cancelling…".to_owned(),
            None => "Starting…".to_owned(),
        },
    };
    let action: Option<Element<'_, Message>> = if state.running() {
        Some(if state.cancelling {
            button(text("Cancelling…")).style(button::secondary).into()
        } else {
            button(text("Cancel"))
                .style(button::danger)
                .on_press(Message::CancelPressed)
                .into()
        })
    } else if state.stopped() {
        Some(
            button(text("Resume"))
                .style(button::primary)
                .on_press(Message::ResumePressed)
                .into(),
        )
    } else {
        None
    };
    let headline = if state.succeeded() {
        text(headline).size(18).style(text::success)
    } else if state.stopped() {
        text(headline).size(18).style(text::danger)
    } else {
        text(headline).size(18)
    };
    column![
        row![
            column![headline, text(format!("{done} of {total} steps")).size(14)]
                .spacing(4)
                .width(Fill),
            action
        ]
        .spacing(12)
        .align_y(Center),
        progress_bar(0.0..=total.max(1) as f32, done as f32).girth(8),
    ]
    .spacing(8)
    .into()
}

fn failure_view(state: &State) -> Option<Element<'_, Message>> {
    if !state.stopped() {
        return None;
    }
    let failed = state.board.failed();
    let mut body = Column::new().spacing(8);
    for step in &failed {
        body = body.push(text(format!("{} · {}", step.node, step.title)).style(text::danger));
        if let Some(failure) = &step.failure {
            body = body.push(
                container(text(failure.describe()).font(Font::MONOSPACE).size(12))
                    .padding(8)
                    .width(Fill)
                    .style(container::rounded_box),
            );
        }
    }
    let title = if failed.is_empty() {
        "The run stopped"
    } else {
        "A step failed"
    };
    body = body.push(text(
        "Nothing is lost: Resume checks the nodes again and runs the plan once more; the steps \
         that are done are found done and skipped.",
    ));
    if failed.is_empty() && state.board.summary.is_none() {
        body = body.push(warning(
            "The run ended without its final report (the connection to a node may have been lost).",
        ));
    }
    Some(section(title, body))
}

fn bars_view<'a>(
    title: &'a str,
    bars: impl Iterator<Item = &'a ProgressBar>,
) -> Option<Element<'a, Message>> {
    let mut list = Column::new().spacing(10);
    let mut any = false;
    for bar in bars {
        any = true;
        list = list.push(
            column![
                row![
                    text(format!("{} on {}", bar.label, bar.node)).width(Fill),
                    text(bar.caption()).size(13)
                ]
                .spacing(12),
                progress_bar(0.0..=100.0, bar.percent as f32).girth(10),
            ]
            .spacing(4),
        );
    }
    any.then(|| section(title, list))
}

fn log_view(board: &Board) -> Element<'_, Message> {
    let lines = Column::with_children(
        board
            .log
            .iter()
            .map(|line| text(plain(line)).font(Font::MONOSPACE).size(12).into()),
    );
    section(
        "Log",
        scrollable(container(lines).padding([4, 8]).width(Fill))
            .anchor_bottom()
            .height(220)
            .width(Fill),
    )
}

/// A log line without terminal colour codes (crmsh colours its warnings).
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut characters = line.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\u{1b}' && characters.peek() == Some(&'[') {
            // CSI: parameters and intermediates up to a final byte in @..~.
            characters.next();
            for code in characters.by_ref() {
                if ('@'..='~').contains(&code) {
                    break;
                }
            }
        } else {
            out.push(character);
        }
    }
    out
}

fn steps_view(state: &State) -> Element<'_, Message> {
    let board = &state.board;
    let nodes = board.nodes();
    let mut per_node = row![].spacing(16);
    let mut both = None;
    for node in nodes {
        let list = node_steps(state, &node);
        if node == "both" {
            both = Some(list);
        } else {
            per_node = per_node.push(list);
        }
    }
    section("Steps", column![per_node, both].spacing(16))
}

fn node_steps<'a>(state: &'a State, node: &str) -> Element<'a, Message> {
    let title = if node == "both" {
        "Both nodes".to_owned()
    } else {
        node.to_owned()
    };
    let mut list = column![text(title).size(17)].spacing(2);
    let mut phase: Option<&str> = None;
    for step in state.board.steps.iter().filter(|step| step.node == node) {
        if phase != Some(step.phase.as_str()) {
            phase = Some(step.phase.as_str());
            list = list.push(
                container(text(state.board.phase_title(&step.phase)).size(14))
                    .padding(iced::padding::top(6)),
            );
        }
        list = list.push(step_row(state, step));
    }
    list.width(Fill).into()
}

fn step_row<'a>(state: &'a State, step: &'a StepLine) -> Element<'a, Message> {
    // A step still "running" after the run ended was cut short.
    let over = state.board.summary.is_some() || state.ended;
    let cut_short = step.state == StepState::Running && over;
    let label = if cut_short {
        "stopped"
    } else {
        step.state.label()
    };
    let style: fn(&Theme) -> text::Style = match step.state {
        StepState::Running if cut_short => text::warning,
        StepState::Running => text::primary,
        StepState::Waiting | StepState::AlreadyDone => text::secondary,
        StepState::Changed | StepState::Passed => text::success,
        StepState::Failed => text::danger,
    };
    let status = match step.duration_ms {
        Some(ms) => format!("{label} · {}", duration(ms)),
        None => label.to_owned(),
    };
    row![
        text(step.title.as_str()).size(13).width(Fill),
        text(status).size(13).style(style)
    ]
    .spacing(8)
    .into()
}

#[cfg(test)]
mod tests {
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
            "[node1]   WARNING: (unpack_config) \twarning: Blind faith: not fencing unseen nodes",
        )?;
        let _ = page.find("Initial DRBD sync")?;
        assert!(page.find("Cancel").is_err());
        assert!(page.find("Resume").is_err());
        Ok(())
    }

    #[test]
    fn midway_through_the_recording_the_sync_is_in_progress_and_cancel_stops_it()
    -> Result<(), Error> {
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
            .position(|event| matches!(event, Event::StepStarted { step, .. } if step == "crm-load@node1"))
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
    }
}
