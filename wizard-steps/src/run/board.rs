//! The board: a run's events folded into what is known about the run (each node's steps with
//! state, duration and failure, one DRBD sync bar per resource, the files written, the log, the
//! final state). The Run and Done pages show it as the run goes; the report folds the run's
//! journal into one, so that a live run, a recorded one and its report agree.

use std::collections::{BTreeMap, VecDeque};

use crate::cluster_state::ClusterState;
use crate::cluster_state::NodeDrbd;
use crate::facts::Finding;
use crate::run::{Event, Outcome, ProfileSummary, Summary};

/// Log lines kept for the log pane (the journal keeps them all).
pub const LOG_LINES: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Waiting,
    Running,
    AlreadyDone,
    Changed,
    Passed,
    Failed,
}

impl StepState {
    pub fn label(self) -> &'static str {
        match self {
            StepState::Waiting => "waiting",
            StepState::Running => "running",
            StepState::AlreadyDone => "already done",
            StepState::Changed => "changed",
            StepState::Passed => "passed",
            StepState::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepLine {
    pub id: String,
    pub node: String,
    /// The phase's kind (`DrbdMetadata`); [`Board::phase_title`] gives its title.
    pub phase: String,
    pub title: String,
    pub state: StepState,
    pub duration_ms: Option<u64>,
    /// What the step said when it finished (empty when nothing).
    pub detail: String,
    pub failure: Option<StepFailure>,
}

impl StepLine {
    /// Finished in any way (not waiting, not running).
    pub fn finished(&self) -> bool {
        !matches!(self.state, StepState::Waiting | StepState::Running)
    }
}

/// Why a step failed: the message, the command, how it ended and its last output lines.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFailure {
    pub message: String,
    pub command: Option<String>,
    pub status: Option<String>,
    pub tail: Vec<String>,
}

impl StepFailure {
    /// All of it as text, as the log and the Run page show it.
    pub fn describe(&self) -> String {
        let mut text = self.message.clone();
        if let Some(command) = &self.command {
            text.push_str(&format!("\ncommand: {command}"));
        }
        if let Some(status) = &self.status {
            text.push_str(&format!("\nexit status: {status}"));
        }
        for line in &self.tail {
            text.push_str(&format!("\n  {line}"));
        }
        text
    }
}

/// A file a step wrote (or found identical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    pub node: String,
    pub path: String,
    pub changed: bool,
    /// Where the file it replaced was kept.
    pub backup: Option<String>,
}

/// When a phase ran, from a journal's times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseTime {
    pub title: String,
    pub started_ms: u64,
    pub ended_ms: u64,
}

/// A DRBD sync (or an upload) in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressBar {
    pub step: String,
    pub node: String,
    pub label: String,
    pub percent: f64,
    pub speed_kib_per_sec: Option<u64>,
    pub eta_secs: Option<u64>,
}

impl ProgressBar {
    /// "42.0% · 21.3 MiB/s · 1:05 left"
    pub fn caption(&self) -> String {
        let mut caption = format!("{:.1}%", self.percent);
        if let Some(speed) = self.speed_kib_per_sec {
            caption.push_str(&format!(" · {:.1} MiB/s", speed as f64 / 1024.0));
        }
        if let Some(eta) = self.eta_secs {
            caption.push_str(&format!(" · {}:{:02} left", eta / 60, eta % 60));
        }
        caption
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Board {
    /// What the run was for.
    pub profile: Option<ProfileSummary>,
    pub preflight: Vec<Finding>,
    pub target: String,
    /// Every step of the plan, in the plan's order.
    pub steps: Vec<StepLine>,
    /// The phase running now (its title).
    pub phase: Option<String>,
    /// Phase kinds (`DrbdMetadata`) to the titles of the phases that have started.
    pub phase_titles: BTreeMap<String, String>,
    /// The kind of the phase running now, for a step the outline did not list.
    phase_kind: String,
    pub bars: Vec<ProgressBar>,
    pub log: VecDeque<String>,
    pub files: Vec<FileLine>,
    pub cluster: Option<(ClusterState, Vec<NodeDrbd>)>,
    pub summary: Option<Summary>,
    /// From a journal's times ([`Board::apply_at`]): when the run started and ended, and each
    /// phase's times.
    pub started_ms: Option<u64>,
    pub finished_ms: Option<u64>,
    pub phase_times: Vec<PhaseTime>,
    /// Day-2 actions appended to the journal after the run: (when, the event).
    pub maintenance: Vec<(u64, Event)>,
}

impl Board {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Board {
        let mut board = Board::default();
        for event in events {
            board.apply(event);
        }
        board
    }

    /// Folds in an event recorded at `at_ms` (a journal entry): as [`Board::apply`], with the
    /// times of the run and its phases.
    pub fn apply_at(&mut self, at_ms: u64, event: &Event) {
        // Day-2 actions come after the run: they must not stretch its times.
        if let Event::Maintenance { .. } = event {
            self.maintenance.push((at_ms, event.clone()));
            return;
        }
        self.started_ms.get_or_insert(at_ms);
        self.finished_ms = Some(at_ms);
        if let Some(last) = self.phase_times.last_mut() {
            last.ended_ms = at_ms;
        }
        if let Event::PhaseStarted { title, .. } = event {
            self.phase_times.push(PhaseTime {
                title: title.clone(),
                started_ms: at_ms,
                ended_ms: at_ms,
            });
        }
        self.apply(event);
    }

    /// The title of a phase kind, or its words while the phase has not started
    /// (`InitialSync` → `Initial sync`).
    pub fn phase_title(&self, phase: &str) -> String {
        self.phase_titles
            .get(phase)
            .cloned()
            .unwrap_or_else(|| words(phase))
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::RunStarted { summary } => self.profile = Some(summary.clone()),
            Event::Preflight { findings } => self.preflight = findings.clone(),
            Event::PlanReady { target, steps } => {
                self.target = target.clone();
                self.steps = steps
                    .iter()
                    .map(|step| StepLine {
                        id: step.id.clone(),
                        node: step.node.clone(),
                        phase: format!("{:?}", step.phase),
                        title: step.title.clone(),
                        state: StepState::Waiting,
                        duration_ms: None,
                        detail: String::new(),
                        failure: None,
                    })
                    .collect();
            }
            Event::PhaseStarted { phase, title } => {
                self.phase = Some(title.clone());
                self.phase_kind = format!("{phase:?}");
                self.phase_titles
                    .insert(format!("{phase:?}"), title.clone());
                self.log(format!("== {title}"));
            }
            Event::StepStarted { step, node, title } => {
                let title = title.clone();
                let line = self.step_mut(step, node);
                line.state = StepState::Running;
                if line.title.is_empty() {
                    line.title = title.clone();
                }
                self.log(format!("[{node}] {title}"));
            }
            Event::Output { node, line, .. } => self.log(format!("[{node}]   {line}")),
            Event::Progress {
                step,
                node,
                label,
                percent,
                speed_kib_per_sec,
                eta_secs,
            } => {
                let bar = ProgressBar {
                    step: step.clone(),
                    node: node.clone(),
                    label: label.clone(),
                    percent: *percent,
                    speed_kib_per_sec: *speed_kib_per_sec,
                    eta_secs: *eta_secs,
                };
                match self
                    .bars
                    .iter_mut()
                    .find(|known| known.label == *label && known.node == *node)
                {
                    Some(known) => *known = bar,
                    None => self.bars.push(bar),
                }
            }
            Event::FileWritten {
                node,
                path,
                changed,
                backup,
            } => {
                self.files.push(FileLine {
                    node: node.clone(),
                    path: path.clone(),
                    changed: *changed,
                    backup: backup.clone(),
                });
                if let Some(backup) = backup {
                    self.log(format!(
                        "[{node}]   {path} written (old one kept as {backup})"
                    ));
                }
            }
            Event::StepFinished {
                step,
                node,
                outcome,
                detail,
                duration_ms,
            } => {
                {
                    let line = self.step_mut(step, node);
                    line.state = match outcome {
                        Outcome::AlreadyDone => StepState::AlreadyDone,
                        Outcome::Changed => StepState::Changed,
                        Outcome::Passed => StepState::Passed,
                    };
                    line.duration_ms = Some(*duration_ms);
                    line.detail = detail.clone();
                }
                if !detail.is_empty() {
                    self.log(format!("[{node}]   {detail}"));
                }
            }
            Event::StepFailed {
                step,
                node,
                message,
                command,
                status,
                output_tail,
                duration_ms,
            } => {
                let failure = StepFailure {
                    message: message.clone(),
                    command: command.clone(),
                    status: status.clone(),
                    tail: output_tail.clone(),
                };
                self.log(format!("[{node}] FAILED: {}", failure.describe()));
                {
                    let line = self.step_mut(step, node);
                    line.state = StepState::Failed;
                    line.duration_ms = Some(*duration_ms);
                    line.detail = message.clone();
                    line.failure = Some(failure);
                }
            }
            Event::ClusterVerified { state, drbd } => {
                self.cluster = Some((state.clone(), drbd.clone()));
            }
            Event::Finished { summary } => {
                // A step still "running" when the run ended was cut short by a cancel.
                self.summary = Some(summary.clone());
            }
            // Day-2 actions appended after the run: not part of the setup's board.
            Event::Maintenance { .. } => {}
        }
    }

    /// The nodes in the order the plan names them ("both" last).
    pub fn nodes(&self) -> Vec<String> {
        let mut nodes: Vec<String> = Vec::new();
        for step in &self.steps {
            if !nodes.contains(&step.node) {
                nodes.push(step.node.clone());
            }
        }
        nodes.sort_by_key(|node| node == "both");
        nodes
    }

    pub fn steps_on<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a StepLine> + 'a {
        self.steps.iter().filter(move |step| step.node == node)
    }

    /// The DRBD sync bars (uploads have a path as their label).
    pub fn sync_bars(&self) -> impl Iterator<Item = &ProgressBar> {
        self.bars.iter().filter(|bar| !bar.label.starts_with('/'))
    }

    pub fn upload_bars(&self) -> impl Iterator<Item = &ProgressBar> {
        self.bars.iter().filter(|bar| bar.label.starts_with('/'))
    }

    pub fn failed(&self) -> Vec<&StepLine> {
        self.steps
            .iter()
            .filter(|step| step.state == StepState::Failed)
            .collect()
    }

    pub fn running(&self) -> bool {
        !self.steps.is_empty() && self.summary.is_none()
    }

    /// Steps finished (in any way) and steps in all.
    pub fn counts(&self) -> (usize, usize) {
        let done = self.steps.iter().filter(|step| step.finished()).count();
        (done, self.steps.len())
    }

    /// The line of a step, or a new one at the end when the plan's outline did not list it (its
    /// line in the journal could not be read): no step the run reports goes unshown.
    fn step_mut(&mut self, id: &str, node: &str) -> &mut StepLine {
        let found = self
            .steps
            .iter()
            .position(|line| line.id == id && (line.node == node || line.node == "both"));
        let index = found.unwrap_or_else(|| {
            self.steps.push(StepLine {
                id: id.to_owned(),
                node: node.to_owned(),
                phase: self.phase_kind.clone(),
                title: String::new(),
                state: StepState::Waiting,
                duration_ms: None,
                detail: String::new(),
                failure: None,
            });
            self.steps.len() - 1
        });
        &mut self.steps[index]
    }

    fn log(&mut self, line: String) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }
}

/// `InitialSync` → `Initial sync`.
fn words(name: &str) -> String {
    let mut out = String::new();
    for (index, character) in name.chars().enumerate() {
        if character.is_uppercase() && index > 0 {
            out.push(' ');
            out.extend(character.to_lowercase());
        } else {
            out.push(character);
        }
    }
    out
}

#[cfg(test)]
mod tests;
