//! Run: the plan carried out live. Each node's steps with their state and duration, a bar per
//! DRBD sync and per upload, the log as it comes, the phase in progress and how many steps are
//! done; Cancel while it runs, and after a failure or a cancel what went wrong and Resume.

use crate::screens::focus::Activate;
use std::path::PathBuf;

use iced::widget::{Column, button, column, container, progress_bar, row, scrollable, text};
use iced::{Center, Element, Fill, Font, Theme};
use wizard_steps::run::Event;
use wizard_steps::run::board::{Board, ProgressBar, StepLine, StepState};

use super::{heading, section, warning};
use crate::screens::style;

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
                .on_activate(Message::CancelPressed)
        })
    } else if state.stopped() {
        Some(
            button(text("Resume"))
                .style(button::primary)
                .on_activate(Message::ResumePressed),
        )
    } else {
        None
    };
    let headline = if state.succeeded() {
        text(headline).size(18).style(style::success)
    } else if state.stopped() {
        text(headline).size(18).style(style::danger)
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
        body = body.push(text(format!("{} · {}", step.node, step.title)).style(style::danger));
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

/// A log line as a terminal would show it: without colour codes (crmsh colours its warnings),
/// tabs expanded to the next 8 columns (crm_verify indents with them) and no other control
/// characters (the font has no glyph for them).
fn plain(line: &str) -> String {
    const TAB_STOP: usize = 8;
    let mut out = String::with_capacity(line.len());
    let mut column = 0;
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
        } else if character == '\t' {
            let spaces = TAB_STOP - column % TAB_STOP;
            out.extend(std::iter::repeat_n(' ', spaces));
            column += spaces;
        } else if !character.is_control() {
            out.push(character);
            column += 1;
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
        StepState::Running if cut_short => style::warning,
        StepState::Running => text::primary,
        StepState::Waiting | StepState::AlreadyDone => style::secondary,
        StepState::Changed | StepState::Passed => style::success,
        StepState::Failed => style::danger,
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
mod tests;
