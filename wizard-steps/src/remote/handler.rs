//! russh's client handler: checks the server's host key against the trust (known_hosts, the
//! user's answer) and keeps the real reason for a refusal.

use std::sync::{Arc, Mutex};

use russh::client;

use super::{ConnectError, HostKeyTrust, Verdict};

pub(super) struct ClientHandler {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) trust: HostKeyTrust,
    pub(super) rejection: Arc<Mutex<Option<ConnectError>>>,
}

impl client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        presented: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } = presented else {
            self.reject(ConnectError::Protocol {
                host: self.host.clone(),
                port: self.port,
                reason: "the server presented a host certificate, which Tandem does not trust"
                    .to_owned(),
            });
            return Ok(false);
        };
        match self.trust.judge(&self.host, self.port, key) {
            Verdict::Known => Ok(true),
            Verdict::Confirmed => match self.trust.pin(&self.host, self.port, key) {
                Ok(()) => Ok(true),
                Err(reason) => {
                    self.reject(ConnectError::PinFailed {
                        host: self.host.clone(),
                        port: self.port,
                        file: self.trust.pinned.display().to_string(),
                        reason,
                    });
                    Ok(false)
                }
            },
            Verdict::Unknown { presented } => {
                self.reject(ConnectError::UnknownHostKey {
                    host: self.host.clone(),
                    port: self.port,
                    fingerprint: presented,
                });
                Ok(false)
            }
            Verdict::Changed {
                presented,
                recorded,
                file,
                line,
            } => {
                self.reject(ConnectError::HostKeyChanged {
                    host: self.host.clone(),
                    port: self.port,
                    recorded,
                    presented,
                    file: file.display().to_string(),
                    line,
                });
                Ok(false)
            }
            Verdict::Revoked {
                presented,
                file,
                line,
            } => {
                self.reject(ConnectError::HostKeyRevoked {
                    host: self.host.clone(),
                    port: self.port,
                    presented,
                    file: file.display().to_string(),
                    line,
                });
                Ok(false)
            }
            Verdict::Unreadable { file, reason } => {
                self.reject(ConnectError::KnownHostsUnreadable {
                    file: file.display().to_string(),
                    reason,
                });
                Ok(false)
            }
        }
    }
}

impl ClientHandler {
    fn reject(&self, error: ConnectError) {
        *self
            .rejection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error);
    }
}
