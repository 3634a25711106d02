//! SSH sessions to the nodes: host-key trust, authentication (agent, key file, password), sudo,
//! commands streamed line by line, cancellation that stops the command on the node, atomic file
//! uploads with backups, and reconnecting after a reboot. The only module that names russh.
//!
//! The files, as warpgate splits its client: `error.rs` (what can go wrong), `handler.rs` (the
//! host-key check russh calls), `auth.rs` (opening a connection and authenticating), `exec.rs`
//! (commands), `upload.rs` (files), `trust.rs` (known_hosts and fingerprints), `shell.rs`
//! (quoting); the session itself, its options and reconnecting are here.

mod auth;
mod error;
mod exec;
mod handler;
mod shell;
mod trust;
mod upload;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use russh::Disconnect;
use russh::client::Handle;

use self::auth::open;
use self::handler::ClientHandler;

pub use error::{ConnectError, ExecError, UploadError};
pub use exec::{CommandOutput, ExitStatus, OutputLine};
pub use shell::{quote, tcp_probe};
pub use trust::{HostKeyTrust, Verdict, fingerprint};
pub use upload::{BACKUP_ROOT, Existing, Payload, UploadOutcome, backup_path, backup_path_at};

/// A secret (password, passphrase) that never shows in Debug output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where to connect and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}:{}", self.user, self.host, self.port)
    }
}

#[derive(Debug, Clone)]
pub enum Auth {
    /// The keys of an ssh-agent: the one at `socket`, or the session's (SSH_AUTH_SOCK).
    Agent {
        socket: Option<PathBuf>,
    },
    KeyFile {
        path: PathBuf,
        passphrase: Option<Secret>,
    },
    Password(Secret),
}

/// How commands get root on a node whose user is not root.
#[derive(Debug, Clone)]
pub enum Sudo {
    /// The user may run sudo without a password.
    NoPassword,
    /// The password goes to sudo over stdin, never on a command line.
    Password(Secret),
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub connect_timeout: Duration,
    /// Keepalive probes keep NAT and firewalls open and notice a dead node.
    pub keepalive_interval: Duration,
    pub sudo: Option<Sudo>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(15),
            keepalive_interval: Duration::from_secs(10),
            sudo: None,
        }
    }
}

/// One SSH connection to a node, reused for every command (each runs in its own channel).
/// What a session needs to connect again (after a reboot).
#[derive(Debug, Clone)]
struct ConnectSpec {
    endpoint: Endpoint,
    auth: Auth,
    trust: HostKeyTrust,
    options: ConnectOptions,
}

pub struct Session {
    handle: Handle<ClientHandler>,
    spec: ConnectSpec,
    commands: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("endpoint", &self.spec.endpoint)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub async fn connect(
        endpoint: Endpoint,
        auth: Auth,
        trust: HostKeyTrust,
        options: ConnectOptions,
    ) -> Result<Session, ConnectError> {
        let spec = ConnectSpec {
            endpoint,
            auth,
            trust,
            options,
        };
        let handle = open(&spec).await?;
        Ok(Session {
            handle,
            spec,
            commands: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.spec.endpoint
    }

    /// Changes how commands get root (after asking for a sudo password, say).
    pub fn set_sudo(&mut self, sudo: Option<Sudo>) {
        self.spec.options.sudo = sudo;
    }

    /// The node's current boot id; it changes with every boot.
    pub async fn boot_id(&self) -> Result<String, ExecError> {
        let output = self.output("cat /proc/sys/kernel/random/boot_id").await?;
        Ok(output.stdout.trim().to_owned())
    }

    /// After a reboot was started: waits until the node answers SSH again with a new boot id,
    /// then uses the new connection.
    pub async fn reconnect_after_reboot(
        &mut self,
        old_boot_id: &str,
        deadline: Duration,
    ) -> Result<(), ConnectError> {
        self.reconnect(deadline, Some(old_boot_id)).await
    }

    /// Opens a new connection (the old one may have died with a network change) and uses it;
    /// with `old_boot_id`, only a connection to a node that has rebooted since counts.
    pub async fn reconnect(
        &mut self,
        deadline: Duration,
        old_boot_id: Option<&str>,
    ) -> Result<(), ConnectError> {
        let started = tokio::time::Instant::now();
        loop {
            match open(&self.spec).await {
                Ok(handle) => {
                    let previous = std::mem::replace(&mut self.handle, handle);
                    let _ = previous
                        .disconnect(Disconnect::ByApplication, "", "en")
                        .await;
                    match old_boot_id {
                        None => return Ok(()),
                        Some(old) if self.boot_id().await.is_ok_and(|id| id != old) => {
                            return Ok(());
                        }
                        Some(_) => {}
                    }
                }
                Err(
                    error @ (ConnectError::HostKeyChanged { .. }
                    | ConnectError::HostKeyRevoked { .. }
                    | ConnectError::UnknownHostKey { .. }
                    | ConnectError::AuthFailed { .. }),
                ) => return Err(error),
                Err(_) => {}
            }
            if started.elapsed() > deadline {
                return Err(ConnectError::TimedOut {
                    host: self.spec.endpoint.host.clone(),
                    port: self.spec.endpoint.port,
                    seconds: deadline.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    }

    /// How many commands this session has run (for the benchmarks).
    pub fn commands_run(&self) -> u64 {
        self.commands.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
    }
}

#[cfg(test)]
mod tests;
