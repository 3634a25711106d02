//! Waiting for a DRBD resource to sync, with its progress reported as events.

use std::time::Instant;

use crate::drbd;
use crate::drbd::{ResourceState, SyncRate};
use crate::plan::Step;
use crate::remote::{Session, quote};
use crate::render::DrbdGeneration;

use super::{Event, Outcome, Runner, StepError};

impl Runner<'_> {
    pub(super) async fn wait_for_sync(
        &self,
        session: &Session,
        step: &Step,
        node: &str,
        resource: &str,
        minor: u32,
        generation: DrbdGeneration,
    ) -> Result<(Outcome, String), StepError> {
        let started = Instant::now();
        let mut rate = SyncRate::default();
        let mut first = true;
        loop {
            let state = drbd_state(session, generation, resource, minor).await?;
            match state {
                Some(state) if state.is_healthy() => {
                    let outcome = if first {
                        Outcome::AlreadyDone
                    } else {
                        Outcome::Passed
                    };
                    if !first {
                        self.emit(Event::Progress {
                            step: step.id.clone(),
                            node: node.to_owned(),
                            label: resource.to_owned(),
                            percent: 100.0,
                            speed_kib_per_sec: None,
                            eta_secs: Some(0),
                        });
                    }
                    return Ok((
                        outcome,
                        format!("UpToDate/UpToDate after {} s", started.elapsed().as_secs()),
                    ));
                }
                Some(state) if state.is_syncing() => {
                    let sync = state.sync.clone().unwrap_or_default();
                    let (speed, eta) = match (sync.speed_kib_per_sec, state.out_of_sync_kib) {
                        (Some(speed), _) => (Some(speed), sync.eta_secs),
                        (None, Some(left)) => rate.sample(started.elapsed().as_secs_f64(), left),
                        (None, None) => (None, None),
                    };
                    self.emit(Event::Progress {
                        step: step.id.clone(),
                        node: node.to_owned(),
                        label: resource.to_owned(),
                        percent: sync.percent,
                        speed_kib_per_sec: speed,
                        eta_secs: eta.or(sync.eta_secs),
                    });
                }
                Some(state)
                    if matches!(state.connection.as_str(), "StandAlone" | "Disconnecting") =>
                {
                    return Err(StepError::new(format!(
                        "{resource} is {} ({}/{}): the nodes stopped replicating",
                        state.connection, state.disk, state.peer_disk
                    )));
                }
                _ => {}
            }
            first = false;
            self.pause().await?;
        }
    }
}

/// One resource's state: from /proc/drbd (8.4, which prints speed and ETA) or drbdsetup (9).
pub(super) async fn drbd_state(
    session: &Session,
    generation: DrbdGeneration,
    resource: &str,
    minor: u32,
) -> Result<Option<ResourceState>, StepError> {
    Ok(match generation {
        DrbdGeneration::V84 => {
            let output = session.output("cat /proc/drbd").await?;
            drbd::parse_proc_drbd(&output.stdout)
                .map_err(|error| StepError::new(format!("/proc/drbd: {error}")))?
                .into_iter()
                .find(|state| state.minor == Some(minor))
        }
        DrbdGeneration::V9 => {
            let output = session
                .output(&format!(
                    "drbdsetup status {} --verbose --statistics",
                    quote(resource)
                ))
                .await?;
            drbd::parse_status(&output.stdout)
                .map_err(|error| StepError::new(format!("drbdsetup status: {error}")))?
                .into_iter()
                .next()
        }
    })
}
