//! The network change: armed with a revert on the node, applied, then confirmed only when the
//! node answers again over a new session.

use std::time::Duration;

use crate::plan::Step;
use crate::remote::{Existing, Payload, Session, quote};

use super::Outcome;
use super::{Runner, StepError};

impl Runner<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn network_change(
        &self,
        session: &mut Session,
        step: &Step,
        node: &str,
        check: &str,
        apply: &str,
        revert: &str,
        confirm_within_secs: u64,
    ) -> Result<(Outcome, String), StepError> {
        if self.holds(session, check).await? {
            return Ok((Outcome::AlreadyDone, "already in place".to_owned()));
        }
        const REVERT: &str = "/etc/tandem/network-revert.sh";
        self.upload(
            session,
            node,
            Payload::Bytes(format!("#!/bin/sh\n{revert}\n").as_bytes()),
            REVERT,
            0o700,
            "root:root",
            Existing::Replace,
            step,
        )
        .await?;
        // Armed before the change: unless Tandem confirms, the node returns to its old network.
        self.run_streamed(
            session,
            step,
            node,
            &format!(
                "systemctl stop tandem-network-revert.timer 2>/dev/null; systemctl reset-failed tandem-network-revert.service 2>/dev/null; \
                 systemd-run --quiet --unit=tandem-network-revert --on-active={confirm_within_secs}s /bin/sh {REVERT}"
            ),
        )
        .await?;
        // Detached: the change may cut the connection this command arrived on.
        self.run_streamed(
            session,
            step,
            node,
            &format!(
                "nohup setsid sh -c {} >/var/log/tandem-network-change.log 2>&1 &",
                quote(apply)
            ),
        )
        .await?;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let window = Duration::from_secs(confirm_within_secs.saturating_sub(15).max(10));
        session.reconnect(window, None).await.map_err(|error| {
            StepError::new(format!(
                "the node is unreachable after the network change ({error}); it returns to its old network within {confirm_within_secs} s"
            ))
        })?;
        if !self.holds(session, check).await? {
            return Err(StepError {
                message: format!(
                    "the new network is not in place; the node returns to its old network within {confirm_within_secs} s"
                ),
                command: Some(check.to_owned()),
                status: None,
                tail: Vec::new(),
            });
        }
        self.run_streamed(
            session,
            step,
            node,
            "systemctl stop tandem-network-revert.timer",
        )
        .await?;
        Ok((Outcome::Changed, "changed and confirmed".to_owned()))
    }
}
