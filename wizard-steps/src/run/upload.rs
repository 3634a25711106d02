//! A file written to a node: uploaded only when it differs, its mode and owner set, and the
//! command that makes it take effect run after.

use std::time::Instant;

use crate::plan::Step;
use crate::remote::{Existing, Payload, Session, UploadOutcome};

use super::{Event, Outcome, Runner, StepError};

impl Runner<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn upload(
        &self,
        session: &Session,
        node: &str,
        payload: Payload<'_>,
        path: &str,
        mode: u32,
        owner: &str,
        existing: Existing,
        step: &Step,
    ) -> Result<Outcome, StepError> {
        let total = payload
            .len()
            .await
            .map_err(|error| StepError::new(format!("cannot read the local file: {error}")))?
            .max(1);
        let started = Instant::now();
        let mut last_percent = -1.0;
        let upload = session
            .upload(
                payload,
                path,
                mode,
                owner,
                existing,
                &mut |sent| {
                    let percent = 100.0 * sent as f64 / total as f64;
                    // Small files need no progress; large ones report every whole percent.
                    if total > 4 * 1024 * 1024 && percent - last_percent >= 1.0 {
                        last_percent = percent;
                        let elapsed = started.elapsed().as_secs_f64().max(0.001);
                        let speed = sent as f64 / 1024.0 / elapsed;
                        self.emit(Event::Progress {
                            step: step.id.clone(),
                            node: node.to_owned(),
                            label: path.to_owned(),
                            percent,
                            speed_kib_per_sec: Some(speed as u64),
                            eta_secs: Some(
                                ((total - sent.min(total)) as f64 / 1024.0 / speed.max(1.0)) as u64,
                            ),
                        });
                    }
                },
                &self.cancel,
            )
            .await
            .map_err(|error| StepError::new(error.to_string()))?;
        let (changed, backup) = match upload {
            UploadOutcome::Unchanged => (false, None),
            UploadOutcome::Created => (true, None),
            UploadOutcome::Replaced { backup } => (true, Some(backup)),
        };
        self.emit(Event::FileWritten {
            node: node.to_owned(),
            path: path.to_owned(),
            changed,
            backup,
        });
        Ok(if changed {
            Outcome::Changed
        } else {
            Outcome::AlreadyDone
        })
    }
}
