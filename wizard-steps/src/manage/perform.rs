//! The edge of maintenance: an action run over SSH, then the cluster followed until it settles
//! (or the time is up), with the progress reported as it goes.

use std::time::{Duration, Instant};

use super::*;
use crate::observe::{device_votes, observe_reachable};
use crate::remote::{ConnectError, ExecError, Session};
use crate::run::Event;
use crate::validate::Design;

/// What [`perform`] reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The command ran; the cluster is being followed.
    Started { command: String },
    /// Not settled yet: what still differs, after how long.
    Waiting { elapsed: Duration, pending: String },
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// False when the cluster was already as the action would leave it (nothing ran).
    pub changed: bool,
    pub note: String,
    pub took: Duration,
    pub status: Status,
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("not done: {0}")]
    Refused(String),
    #[error("`{command}` failed: {output}")]
    CommandFailed { command: String, output: String },
    #[error("the cluster had not settled after {} s: {pending}", .after.as_secs())]
    NotSettled { after: Duration, pending: String },
    #[error(transparent)]
    Ssh(#[from] ExecError),
    #[error("the node is back in the cluster but SSH does not answer: {0}")]
    Reconnect(#[from] ConnectError),
}

/// Reads the cluster: Pacemaker's view from the first node, DRBD from both.
pub async fn status(design: &Design, sessions: &[Session; 2]) -> Result<Status, ExecError> {
    status_reachable(design, [Some(&sessions[0]), Some(&sessions[1])]).await
}

/// The same from the nodes there are sessions to: with one node down, the other's view.
pub async fn status_reachable(
    design: &Design,
    sessions: [Option<&Session>; 2],
) -> Result<Status, ExecError> {
    let mut status = look(design, sessions).await?;
    if design.cluster.quorum_device.is_some() {
        status.votes = device_votes(&design.hostnames(), sessions).await;
    }
    Ok(status)
}

/// Pacemaker's view and DRBD, without the votes: what following an action needs, every few
/// seconds.
async fn look(design: &Design, sessions: [Option<&Session>; 2]) -> Result<Status, ExecError> {
    let (cluster, drbd) = observe_reachable(&design.hostnames(), sessions).await?;
    Ok(Status {
        cluster,
        drbd,
        votes: Vec::new(),
    })
}

/// How long a node that is back in the cluster may take to answer SSH again.
const RECONNECT_WITHIN: Duration = Duration::from_secs(120);

/// The cluster as the nodes `action` counts on see it.
async fn observe(
    design: &Design,
    sessions: &[Session; 2],
    action: &Maintenance,
) -> Result<Status, ExecError> {
    let [first, second] = action.observed_from();
    look(
        design,
        [
            first.then_some(&sessions[0]),
            second.then_some(&sessions[1]),
        ],
    )
    .await
}

/// Runs `action` on the cluster and follows it until it has settled (polling every `every`),
/// or fails after `timeout` with what still differs. After a rejoin the node's session is
/// connected again (its old connection died with the crash).
pub async fn perform(
    action: &Maintenance,
    design: &Design,
    sessions: &mut [Session; 2],
    every: Duration,
    timeout: Duration,
    mut progress: impl FnMut(Progress),
) -> Result<Outcome, ManageError> {
    let started = Instant::now();
    let before = observe(design, sessions, action).await?;
    match action.readiness(design, &before) {
        Readiness::Refused(why) => return Err(ManageError::Refused(why)),
        Readiness::AlreadyDone(note) => {
            return Ok(Outcome {
                changed: false,
                note,
                took: started.elapsed(),
                status: before,
            });
        }
        Readiness::Ready => {}
    }
    let placements_before = before.placements(design);
    let mut witness = CrashWitness::default();
    if let Some(command) = action.command(design) {
        let output = sessions[action.runs_on()].output(&command).await?;
        if !output.status.success() {
            return Err(ManageError::CommandFailed {
                command,
                output: format!("{}{}", output.stdout, output.stderr)
                    .trim()
                    .to_owned(),
            });
        }
        progress(Progress::Started { command });
    }
    loop {
        tokio::time::sleep(every).await;
        let now = observe(design, sessions, action).await?;
        let verdict = match action {
            Maintenance::Crash { node } | Maintenance::Fence { node } => {
                witness.observe(design, *node, &placements_before, &now)
            }
            _ => action.settled(design, &placements_before, &now),
        };
        match verdict {
            Ok(()) => {
                if let Maintenance::Rejoin { node } = action {
                    sessions[*node].reconnect(RECONNECT_WITHIN, None).await?;
                }
                return Ok(Outcome {
                    changed: true,
                    note: action.describe(design),
                    took: started.elapsed(),
                    status: now,
                });
            }
            Err(pending) if started.elapsed() >= timeout => {
                return Err(ManageError::NotSettled {
                    after: started.elapsed(),
                    pending,
                });
            }
            Err(pending) => progress(Progress::Waiting {
                elapsed: started.elapsed(),
                pending,
            }),
        }
    }
}

/// What [`maintain`] reports as it goes through its actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// The next action begins (its description).
    Started {
        action: String,
    },
    Progress(Progress),
    /// The action ended: its journal record ([`Event::Maintenance`]), and whether it worked.
    Finished {
        record: Event,
        ok: bool,
    },
}

/// Performs `actions` one after the other, each until the cluster has settled, and stops at the
/// first that fails or is refused. Reports each step to `on_update` (the CLI prints, the GUI
/// shows and both journal the records). True when all worked.
pub async fn maintain(
    design: &Design,
    sessions: &mut [Session; 2],
    actions: &[Maintenance],
    purpose: &str,
    every: Duration,
    timeout: Duration,
    mut on_update: impl FnMut(Update),
) -> bool {
    for action in actions {
        on_update(Update::Started {
            action: action.describe(design),
        });
        let result = perform(action, design, sessions, every, timeout, |progress| {
            on_update(Update::Progress(progress))
        })
        .await;
        let placements = match &result {
            Ok(outcome) => outcome.status.placements(design),
            Err(_) => observe(design, sessions, action)
                .await
                .map(|status| status.placements(design))
                .unwrap_or_default(),
        };
        let ok = result.is_ok();
        let record = Event::Maintenance {
            purpose: purpose.to_owned(),
            action: action.describe(design),
            command: match &result {
                Ok(outcome) if outcome.changed => action.command(design),
                Ok(_) | Err(ManageError::Refused(_)) => None,
                Err(_) => action.command(design),
            },
            changed: result.as_ref().is_ok_and(|outcome| outcome.changed),
            error: result.as_ref().err().map(ToString::to_string),
            took_ms: match &result {
                Ok(outcome) => outcome.took.as_millis() as u64,
                Err(ManageError::NotSettled { after, .. }) => after.as_millis() as u64,
                Err(_) => 0,
            },
            placements,
        };
        on_update(Update::Finished { record, ok });
        if !ok {
            return false;
        }
    }
    true
}
