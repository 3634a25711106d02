//! The quorum device's certificate exchange across the three machines
//! ([`QdeviceCertificates`]): what one machine prints reaches the next
//! one's script as a shell variable, never through a file on this workstation.

use crate::plan::QdeviceCertificates;
use crate::remote::{Session, quote};

use super::{Outcome, Runner, StepError, tail_of};

impl Runner<'_> {
    pub(super) async fn qdevice_certificates(
        &self,
        sessions: &[Session; 2],
        commands: &QdeviceCertificates,
    ) -> Result<(Outcome, String), StepError> {
        let Some(qnetd) = self.quorum_device else {
            return Err(StepError::new(
                "the quorum device's machine is not connected (a bug: the plan has steps there)",
            ));
        };
        let machine = self.plan.quorum_device.clone().unwrap_or_default();
        let ca = printed(qnetd, &machine, &commands.ca, &[]).await?;
        let mut missing = Vec::new();
        for (index, session) in sessions.iter().enumerate() {
            if !self
                .holds(session, &with(&[("CA", &ca)], &commands.check))
                .await?
            {
                missing.push(self.plan.nodes[index].clone());
            }
        }
        if missing.is_empty() {
            return Ok((
                Outcome::AlreadyDone,
                "both nodes hold the cluster's certificate".to_owned(),
            ));
        }
        let [first, second] = sessions;
        let (node1, node2) = (&self.plan.nodes[0], &self.plan.nodes[1]);
        let request = printed(first, node1, &commands.request, &[("CA", &ca)]).await?;
        let cert = printed(qnetd, &machine, &commands.sign, &[("REQUEST", &request)]).await?;
        let p12 = printed(first, node1, &commands.import, &[("CERT", &cert)]).await?;
        printed(
            second,
            node2,
            &commands.import_peer,
            &[("CA", &ca), ("P12", &p12)],
        )
        .await?;
        for (session, node) in sessions.iter().zip([node1, node2]) {
            if !self
                .holds(session, &with(&[("CA", &ca)], &commands.check))
                .await?
            {
                return Err(StepError {
                    message: format!(
                        "{node} does not hold the cluster's certificate after the exchange (its check still fails)"
                    ),
                    command: Some(commands.check.clone()),
                    status: None,
                    tail: Vec::new(),
                });
            }
        }
        Ok((
            Outcome::Changed,
            format!(
                "certificate signed by qnetd on {machine}, imported on {node1} and {node2} (was missing on {})",
                missing.join(" and ")
            ),
        ))
    }
}

/// A script with shell variables set first (each value quoted).
fn with(variables: &[(&str, &str)], script: &str) -> String {
    let mut text = String::new();
    for (name, value) in variables {
        text.push_str(&format!("{name}={}\n", quote(value)));
    }
    text.push_str(script);
    text
}

/// Runs a script with variables on `machine`; what it printed (trimmed), or the failure.
async fn printed(
    session: &Session,
    machine: &str,
    script: &str,
    variables: &[(&str, &str)],
) -> Result<String, StepError> {
    let output = session.output(&with(variables, script)).await?;
    if output.status.success() {
        Ok(output.stdout.trim().to_owned())
    } else {
        Err(StepError {
            message: format!("the certificate exchange failed on {machine}"),
            command: Some(script.to_owned()),
            status: Some(output.status.to_string()),
            tail: tail_of(&output.stdout, &output.stderr),
        })
    }
}
