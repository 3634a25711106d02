//! Manage cluster: the running cluster of a saved profile, read live from the nodes (nodes,
//! where each VM runs, DRBD with any sync progress, failed actions), and the seed's planned
//! service work on it: a node in standby and back, a VM moved by hand and let go, failed actions
//! cleared, the failover drill, and the guided split-brain recovery. The page asks; the app
//! performs (`wizard_steps::manage` over the nodes' sessions) and routes the updates back here.
//! This file is the page's state and update; `view.rs` draws it.

use wizard_steps::Design;
use wizard_steps::manage::{self, Progress, Status, Update};
use wizard_steps::render::DrbdGeneration;
use wizard_steps::run::Event;
use wizard_steps::split_brain::{Side, Split};

#[derive(Debug, Default)]
pub struct State {
    /// The cluster as last read.
    pub status: Option<Status>,
    /// Why the last read failed.
    pub read_error: Option<String>,
    /// A read is under way: ticks wait for it.
    reading: bool,
    /// The maintenance under way.
    busy: Option<Busy>,
    /// What the actions since the page opened did, oldest first.
    pub log: Vec<Logged>,
    /// The drill waits for the administrator's confirmation.
    confirming_drill: bool,
    /// How the drill asked for takes each node away; back to standby after each question.
    drill_kind: manage::DrillKind,
    /// The split resource being examined.
    examined: Option<Examined>,
}

/// A split resource under examination: what each node knows, and whose changes to discard.
#[derive(Debug)]
struct Examined {
    split: Split,
    /// Each node's side and the nodes' DRBD generation, once read.
    evidence: Option<Result<([Side; 2], DrbdGeneration), String>>,
    /// The node chosen as the victim, waiting for the confirmation.
    victim: Option<usize>,
}

#[derive(Debug, Default)]
struct Busy {
    /// The action under way.
    action: String,
    /// Its latest progress.
    line: String,
}

/// One finished action, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub text: String,
    pub ok: bool,
}

impl State {
    /// A maintenance is under way.
    pub fn busy(&self) -> bool {
        self.busy.is_some()
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    /// Time to read the cluster again (the app sends it every few seconds while connected).
    Tick,
    RefreshPressed,
    Read(Result<Status, String>),
    StandbyPressed(usize),
    OnlinePressed(usize),
    MovePressed {
        vm: usize,
        to: usize,
    },
    UnmovePressed(usize),
    CleanupPressed,
    DrillPressed,
    DrillKindPicked(manage::DrillKind),
    DrillConfirmed,
    DrillCancelled,
    Update(Box<Update>),
    /// The maintenance's updates ended.
    Ended,
    ExaminePressed(Split),
    Examined(Box<Result<([Side; 2], DrbdGeneration), String>>),
    DiscardChosen(usize),
    RecoverConfirmed,
    RecoverCancelled,
    /// An event of the split-brain recovery's run.
    RecoveryEvent(Box<Event>),
    RecoveryEnded,
}

#[derive(Debug, PartialEq)]
pub enum Action {
    None,
    /// Read the cluster.
    Read,
    /// Perform these actions in order, journaled with this purpose.
    Perform {
        actions: Vec<manage::Maintenance>,
        purpose: &'static str,
    },
    /// Read both nodes' side of a split resource.
    Examine(Split),
    /// Recover the split resource, discarding `victim`'s changes (node index).
    Recover {
        split: Split,
        victim: usize,
        generation: DrbdGeneration,
    },
}

pub fn update(state: &mut State, message: Message, design: Option<&Design>) -> Action {
    let perform = |state: &mut State, actions: Vec<manage::Maintenance>, purpose| {
        if state.busy.is_some() {
            return Action::None;
        }
        state.busy = Some(Busy::default());
        Action::Perform { actions, purpose }
    };
    match message {
        Message::Tick | Message::RefreshPressed => {
            if state.reading || state.busy.is_some() {
                Action::None
            } else {
                state.reading = true;
                Action::Read
            }
        }
        Message::Read(result) => {
            state.reading = false;
            match result {
                Ok(status) => {
                    state.status = Some(status);
                    state.read_error = None;
                }
                Err(error) => state.read_error = Some(error),
            }
            Action::None
        }
        Message::StandbyPressed(node) => perform(
            state,
            vec![manage::Maintenance::Standby { node }],
            "maintenance",
        ),
        Message::OnlinePressed(node) => perform(
            state,
            vec![manage::Maintenance::Online { node }],
            "maintenance",
        ),
        Message::MovePressed { vm, to } => perform(
            state,
            vec![manage::Maintenance::Move { vm, to }],
            "maintenance",
        ),
        Message::UnmovePressed(vm) => perform(
            state,
            vec![manage::Maintenance::Unmove { vm }],
            "maintenance",
        ),
        Message::CleanupPressed => perform(
            state,
            vec![manage::Maintenance::Cleanup { resource: None }],
            "maintenance",
        ),
        Message::DrillPressed => {
            state.confirming_drill = true;
            Action::None
        }
        Message::DrillKindPicked(kind) => {
            state.drill_kind = kind;
            Action::None
        }
        Message::DrillCancelled => {
            state.confirming_drill = false;
            state.drill_kind = manage::DrillKind::default();
            Action::None
        }
        Message::DrillConfirmed => {
            state.confirming_drill = false;
            let kind = std::mem::take(&mut state.drill_kind);
            match design {
                Some(design) => perform(state, manage::drill(design, kind), "drill"),
                None => Action::None,
            }
        }
        Message::Update(update) => {
            let busy = state.busy.get_or_insert_with(Busy::default);
            match *update {
                Update::Started { action } => {
                    busy.action = action;
                    busy.line = "starting…".to_owned();
                }
                Update::Progress(Progress::Started { command }) => {
                    busy.line = format!("ran {command}; following the cluster…");
                }
                Update::Progress(Progress::Waiting { elapsed, pending }) => {
                    busy.line = format!("{} s: {pending}", elapsed.as_secs());
                }
                Update::Finished { record, ok } => state.log.push(logged(&record, ok)),
            }
            Action::None
        }
        Message::Ended | Message::RecoveryEnded => {
            state.busy = None;
            state.reading = true;
            Action::Read
        }
        Message::ExaminePressed(split) => {
            state.examined = Some(Examined {
                split: split.clone(),
                evidence: None,
                victim: None,
            });
            Action::Examine(split)
        }
        Message::Examined(result) => {
            if let Some(examined) = &mut state.examined {
                examined.evidence = Some(*result);
            }
            Action::None
        }
        Message::DiscardChosen(victim) => {
            if let Some(examined) = &mut state.examined {
                examined.victim = Some(victim);
            }
            Action::None
        }
        Message::RecoverCancelled => {
            if let Some(examined) = &mut state.examined {
                examined.victim = None;
            }
            Action::None
        }
        Message::RecoverConfirmed => {
            let Some(Examined {
                split,
                evidence: Some(Ok((_, generation))),
                victim: Some(victim),
            }) = state.examined.take()
            else {
                return Action::None;
            };
            if state.busy.is_some() {
                return Action::None;
            }
            state.busy = Some(Busy {
                action: format!("split-brain recovery of {}", split.resource),
                line: "starting…".to_owned(),
            });
            Action::Recover {
                split,
                victim,
                generation,
            }
        }
        Message::RecoveryEvent(event) => {
            let busy = state.busy.get_or_insert_with(Busy::default);
            match *event {
                Event::StepStarted { title, node, .. } => busy.line = format!("{node}: {title}"),
                Event::Progress { label, percent, .. } => {
                    busy.line = format!("{label}: {percent:.1}%")
                }
                Event::StepFailed { message, node, .. } => {
                    busy.line = format!("{node}: FAILED: {message}")
                }
                Event::Finished { summary } => {
                    let action = busy.action.clone();
                    state.log.push(if summary.succeeded() {
                        Logged {
                            text: format!("{action}: done in {} s", summary.duration_ms / 1000),
                            ok: true,
                        }
                    } else {
                        Logged {
                            text: format!(
                                "{action}: FAILED ({} step(s) failed; run it again to resume)",
                                summary.failed
                            ),
                            ok: false,
                        }
                    });
                }
                _ => {}
            }
            Action::None
        }
    }
}

fn logged(record: &Event, ok: bool) -> Logged {
    let text = match record {
        Event::Maintenance {
            action,
            changed,
            error,
            took_ms,
            ..
        } => match error {
            Some(error) => format!("{action}: FAILED: {error}"),
            None if *changed => format!("{action}: done in {} s", took_ms / 1000),
            None => format!("{action}: nothing to do, the cluster is already so"),
        },
        other => format!("{other:?}"),
    };
    Logged { text, ok }
}

mod view;

pub use view::view;

#[cfg(test)]
mod tests;
