//! SSH sessions to the nodes: host-key trust, authentication (agent, key file, password), sudo,
//! commands streamed line by line, cancellation that stops the command on the node, atomic file
//! uploads with backups, and reconnecting after a reboot. The only module that names russh.

mod shell;
mod trust;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use russh::{ChannelMsg, Disconnect};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

pub use shell::quote;
pub use trust::{HostKeyTrust, Verdict, fingerprint};

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
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
}

impl fmt::Display for Target {
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

/// Why a connection failed; the caller branches on the host-key and authentication cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "{host}:{port} presented an unknown host key {fingerprint}: check it on the node (`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`) and confirm it"
    )]
    UnknownHostKey {
        host: String,
        port: u16,
        fingerprint: String,
    },
    #[error(
        "the host key of {host}:{port} CHANGED: it was {recorded} ({file}, line {line}), the server now presents {presented}. Tandem refuses to connect: if the node was reinstalled, remove the old line yourself"
    )]
    HostKeyChanged {
        host: String,
        port: u16,
        recorded: String,
        presented: String,
        file: String,
        line: usize,
    },
    #[error(
        "the host key {presented} of {host}:{port} is REVOKED ({file}, line {line}). Tandem refuses to connect"
    )]
    HostKeyRevoked {
        host: String,
        port: u16,
        presented: String,
        file: String,
        line: usize,
    },
    #[error("cannot read the known hosts file {file}: {reason}")]
    KnownHostsUnreadable { file: String, reason: String },
    #[error("cannot pin the host key of {host}:{port} in {file}: {reason}")]
    PinFailed {
        host: String,
        port: u16,
        file: String,
        reason: String,
    },
    #[error("{target} refused {method} authentication{remaining}")]
    AuthFailed {
        target: String,
        method: String,
        remaining: String,
    },
    #[error("the private key {path} is protected by a passphrase: give the passphrase")]
    PassphraseNeeded { path: String },
    #[error("cannot use the private key {path}: {reason}")]
    BadKey { path: String, reason: String },
    #[error(
        "no usable ssh-agent: {0} (start one and add your key with ssh-add, or choose a key file)"
    )]
    NoAgent(String),
    #[error("cannot connect to {host}:{port}: {reason}")]
    Unreachable {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("no answer from {host}:{port} within {seconds} s")]
    TimedOut {
        host: String,
        port: u16,
        seconds: u64,
    },
    #[error("SSH with {host}:{port} failed: {reason}")]
    Protocol {
        host: String,
        port: u16,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("the command was cancelled and stopped on the node")]
    Cancelled,
    #[error("the SSH connection failed while running a command: {0}")]
    Connection(String),
    #[error("sudo refused: {0}")]
    Sudo(String),
    #[error("reading the data to send failed: {0}")]
    Local(String),
}

/// One line a command printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputLine {
    Stdout(String),
    Stderr(String),
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: Option<u32>,
    pub signal: Option<String>,
}

impl ExitStatus {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.signal) {
            (Some(code), _) => write!(f, "exit status {code}"),
            (None, Some(signal)) => write!(f, "killed by signal {signal}"),
            (None, None) => f.write_str("no exit status"),
        }
    }
}

/// A finished command's whole output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOutcome {
    /// The file already had these contents, mode and owner: nothing was written.
    Unchanged,
    Created,
    /// The file differed; the old one was kept as `backup`.
    Replaced {
        backup: String,
    },
}

/// Marks the first line of every command: the process group to stop on cancel.
const PGID_MARKER: &str = "\u{1e}tandem-pgid ";

struct ClientHandler {
    host: String,
    port: u16,
    trust: HostKeyTrust,
    rejection: Arc<Mutex<Option<ConnectError>>>,
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
        *self.rejection.lock().expect("rejection lock") = Some(error);
    }
}

/// What a session needs to connect again (after a reboot).
#[derive(Debug, Clone)]
struct ConnectSpec {
    target: Target,
    auth: Auth,
    trust: HostKeyTrust,
    options: ConnectOptions,
}

/// One SSH connection to a node, reused for every command (each runs in its own channel).
pub struct Session {
    handle: Handle<ClientHandler>,
    spec: ConnectSpec,
    commands: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("target", &self.spec.target)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub async fn connect(
        target: Target,
        auth: Auth,
        trust: HostKeyTrust,
        options: ConnectOptions,
    ) -> Result<Session, ConnectError> {
        let spec = ConnectSpec {
            target,
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

    pub fn target(&self) -> &Target {
        &self.spec.target
    }

    /// Changes how commands get root (after asking for a sudo password, say).
    pub fn set_sudo(&mut self, sudo: Option<Sudo>) {
        self.spec.options.sudo = sudo;
    }

    /// Runs a command (as root: through sudo when the user is not root), feeding `stdin` to it,
    /// and hands each output line to `on_line` as it arrives. When `cancel` fires, the command's
    /// whole process group is stopped on the node.
    pub async fn exec(
        &self,
        command: &str,
        stdin: Option<&[u8]>,
        on_line: &mut (dyn FnMut(OutputLine) + Send),
        cancel: &CancellationToken,
    ) -> Result<ExitStatus, ExecError> {
        let payload = stdin.map(Payload::Bytes);
        self.exec_with_progress(command, payload, on_line, &mut |_| {}, cancel)
            .await
    }

    async fn exec_with_progress(
        &self,
        command: &str,
        stdin: Option<Payload<'_>>,
        on_line: &mut (dyn FnMut(OutputLine) + Send),
        on_sent: &mut (dyn FnMut(u64) + Send),
        cancel: &CancellationToken,
    ) -> Result<ExitStatus, ExecError> {
        let connection = |error: russh::Error| ExecError::Connection(error.to_string());
        self.commands
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(connection)?;
        channel
            .exec(true, self.wrap(command))
            .await
            .map_err(connection)?;
        if let Some(Sudo::Password(password)) = &self.spec.options.sudo {
            let line = format!("{}\n", password.expose());
            channel
                .data_bytes(line.into_bytes())
                .await
                .map_err(connection)?;
        }
        if let Some(stdin) = stdin {
            let mut chunks = stdin
                .chunks()
                .await
                .map_err(|error| ExecError::Local(error.to_string()))?;
            let mut sent = 0u64;
            loop {
                let chunk = chunks
                    .next()
                    .await
                    .map_err(|error| ExecError::Local(error.to_string()))?;
                if chunk.is_empty() {
                    break;
                }
                let length = chunk.len() as u64;
                tokio::select! {
                    result = channel.data_bytes(chunk) => result.map_err(connection)?,
                    () = cancel.cancelled() => {
                        let _ = channel.close().await;
                        return Err(ExecError::Cancelled);
                    }
                }
                sent += length;
                on_sent(sent);
            }
        }
        channel.eof().await.map_err(connection)?;

        let mut stdout = LineBuffer::default();
        let mut stderr = LineBuffer::default();
        let mut process_group: Option<u32> = None;
        let mut status = ExitStatus {
            code: None,
            signal: None,
        };
        let mut sudo_refusal = None;
        let emit_stdout = |line: String,
                           process_group: &mut Option<u32>,
                           on_line: &mut (dyn FnMut(OutputLine) + Send)| {
            if process_group.is_none()
                && let Some(pgid) = line.strip_prefix(PGID_MARKER)
            {
                *process_group = pgid.trim().parse().ok();
                return;
            }
            on_line(OutputLine::Stdout(line));
        };
        loop {
            let message = tokio::select! {
                message = channel.wait() => message,
                () = cancel.cancelled() => {
                    if let Some(pgid) = process_group {
                        Box::pin(self.stop_process_group(pgid)).await;
                    }
                    let _ = channel.close().await;
                    return Err(ExecError::Cancelled);
                }
            };
            match message {
                Some(ChannelMsg::Data { data }) => {
                    for line in stdout.push(&data) {
                        emit_stdout(line, &mut process_group, on_line);
                    }
                }
                Some(ChannelMsg::ExtendedData { data, ext: 1 }) => {
                    for line in stderr.push(&data) {
                        if is_sudo_refusal(&line) {
                            sudo_refusal = Some(line.clone());
                        }
                        on_line(OutputLine::Stderr(line));
                    }
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => status.code = Some(exit_status),
                Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                    status.signal = Some(format!("{signal_name:?}"))
                }
                Some(_) => {}
                None => break,
            }
        }
        if let Some(line) = stdout.finish() {
            emit_stdout(line, &mut process_group, on_line);
        }
        if let Some(line) = stderr.finish() {
            on_line(OutputLine::Stderr(line));
        }
        match sudo_refusal {
            Some(refusal) if status.code == Some(1) => Err(ExecError::Sudo(refusal)),
            _ => Ok(status),
        }
    }

    /// Runs a command to its end and collects its output.
    pub async fn output(&self, command: &str) -> Result<CommandOutput, ExecError> {
        self.output_with_stdin(command, None).await
    }

    async fn output_with_stdin(
        &self,
        command: &str,
        stdin: Option<&[u8]>,
    ) -> Result<CommandOutput, ExecError> {
        let mut stdout = String::new();
        let mut stderr = String::new();
        let status = self
            .exec(
                command,
                stdin,
                &mut |line| match line {
                    OutputLine::Stdout(line) => {
                        stdout.push_str(&line);
                        stdout.push('\n');
                    }
                    OutputLine::Stderr(line) => {
                        stderr.push_str(&line);
                        stderr.push('\n');
                    }
                },
                &CancellationToken::new(),
            )
            .await?;
        Ok(CommandOutput {
            status,
            stdout,
            stderr,
        })
    }

    /// Writes `contents` to `path` on the node: nothing when the file is already identical (same
    /// contents, mode and owner); otherwise into a hidden temporary file beside it, checked and
    /// synced to disk, then renamed over the target. A differing old file is either kept in
    /// [`BACKUP_ROOT`] first ([`Existing::Replace`]) or left alone with an error
    /// ([`Existing::Keep`]). `on_progress` receives the bytes sent so far.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload(
        &self,
        contents: Payload<'_>,
        path: &str,
        mode: u32,
        owner: &str,
        existing: Existing,
        on_progress: &mut (dyn FnMut(u64) + Send),
        cancel: &CancellationToken,
    ) -> Result<UploadOutcome, UploadError> {
        let local_error = |error: std::io::Error| UploadError::Remote {
            path: path.to_owned(),
            detail: format!("cannot read the local file: {error}"),
        };
        let size = contents.len().await.map_err(local_error)?;
        let quoted = quote(path);
        let probe = self
            .output(&format!(
                "if [ -e {quoted} ]; then stat -c '%a %U:%G %s' -- {quoted}; else echo absent; fi"
            ))
            .await?;
        let found = match probe.stdout.trim() {
            "absent" => None,
            stat => match stat.rsplit_once(' ') {
                Some((mode_owner, found_size)) => Some((
                    mode_owner.to_owned(),
                    found_size.parse::<u64>().unwrap_or(u64::MAX),
                )),
                None => {
                    return Err(UploadError::Remote {
                        path: path.to_owned(),
                        detail: format!("could not inspect the file: {}", probe.stderr.trim()),
                    });
                }
            },
        };
        let checksum = contents.sha256().await.map_err(local_error)?;
        if let Some((mode_owner, found_size)) = &found {
            let same_contents = *found_size == size && {
                let sum = self
                    .output(&format!("sha256sum < {quoted} | cut -d' ' -f1"))
                    .await?;
                sum.stdout.trim() == checksum
            };
            match existing {
                Existing::Keep if same_contents => return Ok(UploadOutcome::Unchanged),
                Existing::Keep => {
                    return Err(UploadError::Differs {
                        path: path.to_owned(),
                        local: contents.describe(),
                    });
                }
                Existing::Replace
                    if same_contents && *mode_owner == format!("{mode:o} {owner}") =>
                {
                    return Ok(UploadOutcome::Unchanged);
                }
                Existing::Replace => {}
            }
        }
        let (parent, name) = match path.rsplit_once('/') {
            Some(("", name)) => ("/", name),
            Some((parent, name)) => (parent, name),
            None => (".", path),
        };
        // Hidden: a directory some tool sources with `*` (ifupdown's interfaces.d) skips it.
        let temporary = format!("{parent}/.{name}.tandem-new");
        let quoted_temporary = quote(&temporary);
        let write = format!(
            "umask 077 && mkdir -p {parent} && cat > {quoted_temporary}",
            parent = quote(parent)
        );
        let mut discard = |_: OutputLine| {};
        let status = self
            .exec_with_progress(&write, Some(contents), &mut discard, on_progress, cancel)
            .await?;
        if !status.success() {
            return Err(UploadError::Remote {
                path: path.to_owned(),
                detail: format!("writing {temporary} ended with {status}"),
            });
        }
        let backup = found.as_ref().map(|_| backup_path(path));
        let keep_backup = backup
            .as_ref()
            .map(|backup| {
                format!(
                    "install -d -m 700 {root} && mkdir -p -- \"$(dirname -- {backup})\" && cp -p -- {quoted} {backup} && ",
                    root = quote(BACKUP_ROOT),
                    backup = quote(backup)
                )
            })
            .unwrap_or_default();
        // Synced before the rename and the directory after it: a crash leaves the old file or
        // the whole new one, never an empty one.
        let install = format!(
            "set -e; umask 077; [ \"$(sha256sum < {quoted_temporary} | cut -d' ' -f1)\" = {checksum} ] || {{ rm -f -- {quoted_temporary}; echo 'the uploaded copy is incomplete' >&2; exit 3; }}; \
             chown {owner} {quoted_temporary} && chmod {mode:o} {quoted_temporary} && sync -- {quoted_temporary} && {keep_backup}mv -f -- {quoted_temporary} {quoted} && sync -- {parent}",
            owner = quote(owner),
            parent = quote(parent),
        );
        let installed = self.output(&install).await?;
        if !installed.status.success() {
            return Err(UploadError::Remote {
                path: path.to_owned(),
                detail: format!(
                    "installing the file ended with {}: {}",
                    installed.status,
                    installed.stderr.trim()
                ),
            });
        }
        Ok(match backup {
            Some(backup) => UploadOutcome::Replaced { backup },
            None => UploadOutcome::Created,
        })
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
                    host: self.spec.target.host.clone(),
                    port: self.spec.target.port,
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

    /// The remote command line: print the process group, then run the command with `sh`, as
    /// root (through sudo when the user is not root). sshd starts each command in a new session,
    /// so the login shell's PID is the process group of everything the command starts.
    fn wrap(&self, command: &str) -> String {
        let run = match &self.spec.options.sudo {
            None => format!("sh -c {}", quote(command)),
            Some(Sudo::NoPassword) => format!("sudo -n -- sh -c {}", quote(command)),
            // -k: always ask, so the password line is always consumed by sudo, never by the command.
            Some(Sudo::Password(_)) => format!("sudo -k -S -p '' -- sh -c {}", quote(command)),
        };
        format!(
            "printf '{}%s\\n' \"$$\"; {run}",
            PGID_MARKER.replace('\u{1e}', "\\036")
        )
    }

    async fn stop_process_group(&self, pgid: u32) {
        // No `--`: dash's kill does not take it.
        let stop = format!(
            "kill -TERM -{pgid} 2>/dev/null; sleep 2; kill -KILL -{pgid} 2>/dev/null; true"
        );
        let _ = self.output(&stop).await;
    }
}

/// What an upload sends: bytes in memory, or a local file read in chunks (an install ISO).
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    Bytes(&'a [u8]),
    File(&'a std::path::Path),
}

const CHUNK: usize = 256 * 1024;

impl Payload<'_> {
    pub async fn sha256(&self) -> std::io::Result<String> {
        match self {
            Payload::Bytes(bytes) => Ok(format!("{:x}", Sha256::digest(bytes))),
            Payload::File(path) => {
                let path = path.to_path_buf();
                tokio::task::spawn_blocking(move || {
                    let mut file = std::fs::File::open(path)?;
                    let mut hasher = Sha256::new();
                    std::io::copy(&mut file, &mut hasher)?;
                    Ok(format!("{:x}", hasher.finalize()))
                })
                .await
                .map_err(std::io::Error::other)?
            }
        }
    }

    /// The payload's size in bytes.
    pub async fn len(&self) -> std::io::Result<u64> {
        match self {
            Payload::Bytes(bytes) => Ok(bytes.len() as u64),
            Payload::File(path) => Ok(tokio::fs::metadata(path).await?.len()),
        }
    }

    /// The payload for a person: the local file's path, or "Tandem's rendered contents".
    pub fn describe(&self) -> String {
        match self {
            Payload::Bytes(_) => "the contents Tandem would write".to_owned(),
            Payload::File(path) => format!("{} on this workstation", path.display()),
        }
    }

    async fn chunks(&self) -> std::io::Result<Chunks<'_>> {
        Ok(match self {
            Payload::Bytes(bytes) => Chunks::Bytes(bytes.chunks(CHUNK)),
            Payload::File(path) => Chunks::File(tokio::fs::File::open(path).await?),
        })
    }
}

enum Chunks<'a> {
    Bytes(std::slice::Chunks<'a, u8>),
    File(tokio::fs::File),
}

impl Chunks<'_> {
    /// The next chunk; empty at the end.
    async fn next(&mut self) -> std::io::Result<Vec<u8>> {
        match self {
            Chunks::Bytes(chunks) => Ok(chunks.next().map(<[u8]>::to_vec).unwrap_or_default()),
            Chunks::File(file) => {
                use tokio::io::AsyncReadExt;
                let mut buffer = vec![0; CHUNK];
                let mut filled = 0;
                while filled < CHUNK {
                    let read = file.read(&mut buffer[filled..]).await?;
                    if read == 0 {
                        break;
                    }
                    filled += read;
                }
                buffer.truncate(filled);
                Ok(buffer)
            }
        }
    }
}

/// Why an upload failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error("uploading {path}: {detail}")]
    Remote { path: String, detail: String },
    #[error(
        "{path} already exists on the node and differs from {local}: Tandem does not replace it. Remove or rename it on the node if it is not needed, or upload to another file name"
    )]
    Differs { path: String, local: String },
}

/// What an upload does when the node already has a different file at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it, keeping the old one in [`BACKUP_ROOT`] (Tandem's own rendered files).
    Replace,
    /// Leave it and fail ([`UploadError::Differs`]): files the user owns, such as install ISOs.
    Keep,
}

/// Where a file Tandem changes on a node is kept first: `/var/backups/tandem/<path>.<time>`,
/// outside every directory a tool reads configuration from (ifupdown sources everything in
/// interfaces.d; a backup there would be a second stanza at the next boot).
pub const BACKUP_ROOT: &str = "/var/backups/tandem";

/// The backup of `path` made now: `/var/backups/tandem/etc/x.conf.20261203-081500` (UTC).
pub fn backup_path(path: &str) -> String {
    backup_path_at(path, &crate::journal::utc_stamp(crate::journal::now_ms()))
}

/// The backup of `path` with a given time stamp (the shell's `$(date -u +%Y%m%d-%H%M%S)`).
pub fn backup_path_at(path: &str, stamp: &str) -> String {
    format!("{BACKUP_ROOT}/{}.{stamp}", path.trim_start_matches('/'))
}

async fn open(spec: &ConnectSpec) -> Result<Handle<ClientHandler>, ConnectError> {
    let target = &spec.target;
    let mut config = client::Config {
        keepalive_interval: Some(spec.options.keepalive_interval),
        keepalive_max: 3,
        inactivity_timeout: None,
        ..client::Config::default()
    };
    let known = spec.trust.known_algorithms(&target.host, target.port);
    if !known.is_empty() {
        config.preferred.key = known.into();
    }
    let rejection = Arc::new(Mutex::new(None));
    let handler = ClientHandler {
        host: target.host.clone(),
        port: target.port,
        trust: spec.trust.clone(),
        rejection: rejection.clone(),
    };
    let timeout = spec.options.connect_timeout;
    let timed_out = || ConnectError::TimedOut {
        host: target.host.clone(),
        port: target.port,
        seconds: timeout.as_secs(),
    };
    let connected = tokio::time::timeout(
        timeout,
        client::connect(
            Arc::new(config),
            (target.host.as_str(), target.port),
            handler,
        ),
    )
    .await
    .map_err(|_| timed_out())?;
    let mut handle = match connected {
        Ok(handle) => handle,
        Err(error) => {
            if let Some(rejection) = rejection.lock().expect("rejection lock").take() {
                return Err(rejection);
            }
            return Err(match error {
                russh::Error::IO(io) => ConnectError::Unreachable {
                    host: target.host.clone(),
                    port: target.port,
                    reason: io.to_string(),
                },
                other => ConnectError::Protocol {
                    host: target.host.clone(),
                    port: target.port,
                    reason: other.to_string(),
                },
            });
        }
    };
    tokio::time::timeout(timeout, authenticate(&mut handle, spec))
        .await
        .map_err(|_| timed_out())??;
    Ok(handle)
}

async fn authenticate(
    handle: &mut Handle<ClientHandler>,
    spec: &ConnectSpec,
) -> Result<(), ConnectError> {
    let target = &spec.target;
    let protocol = |error: russh::Error| ConnectError::Protocol {
        host: target.host.clone(),
        port: target.port,
        reason: error.to_string(),
    };
    let failed = |method: &str, result: &russh::client::AuthResult| {
        let remaining = match result {
            russh::client::AuthResult::Failure {
                remaining_methods, ..
            } => {
                let names: Vec<&str> = remaining_methods.iter().map(<&str>::from).collect();
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" (it accepts: {})", names.join(", "))
                }
            }
            russh::client::AuthResult::Success => String::new(),
        };
        ConnectError::AuthFailed {
            target: target.to_string(),
            method: method.to_owned(),
            remaining,
        }
    };
    match &spec.auth {
        Auth::Password(password) => {
            let result = handle
                .authenticate_password(&target.user, password.expose())
                .await
                .map_err(protocol)?;
            if !result.success() {
                return Err(failed("password", &result));
            }
        }
        Auth::KeyFile { path, passphrase } => {
            let key = russh::keys::load_secret_key(path, passphrase.as_ref().map(Secret::expose))
                .map_err(|error| match error {
                russh::keys::Error::KeyIsEncrypted => ConnectError::PassphraseNeeded {
                    path: path.display().to_string(),
                },
                other => ConnectError::BadKey {
                    path: path.display().to_string(),
                    reason: other.to_string(),
                },
            })?;
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(protocol)?
                .flatten();
            let result = handle
                .authenticate_publickey(
                    &target.user,
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
                .await
                .map_err(protocol)?;
            if !result.success() {
                return Err(failed(&format!("public key ({})", path.display()), &result));
            }
        }
        Auth::Agent { socket } => {
            let agent = match socket {
                Some(socket) => russh::keys::agent::client::AgentClient::connect_uds(socket).await,
                None => russh::keys::agent::client::AgentClient::connect_env().await,
            };
            let mut agent = agent.map_err(|error| ConnectError::NoAgent(error.to_string()))?;
            let identities = agent
                .request_identities()
                .await
                .map_err(|error| ConnectError::NoAgent(error.to_string()))?;
            if identities.is_empty() {
                return Err(ConnectError::NoAgent("the agent holds no keys".to_owned()));
            }
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(protocol)?
                .flatten();
            let mut last = None;
            for identity in identities {
                let key: PublicKey = identity.public_key().into_owned();
                match handle
                    .authenticate_publickey_with(&target.user, key, hash, &mut agent)
                    .await
                {
                    Ok(result) if result.success() => return Ok(()),
                    Ok(result) => last = Some(result),
                    Err(error) => return Err(ConnectError::NoAgent(error.to_string())),
                }
            }
            let result = last.expect("at least one identity was tried");
            return Err(failed("ssh-agent", &result));
        }
    }
    Ok(())
}

/// Splits a byte stream into lines (lossy UTF-8, trailing CR removed).
#[derive(Default)]
struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    fn push(&mut self, data: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(data);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            lines.push(to_line(&line[..line.len() - 1]));
        }
        lines
    }

    fn finish(&mut self) -> Option<String> {
        (!self.pending.is_empty()).then(|| to_line(&std::mem::take(&mut self.pending)))
    }
}

fn to_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.strip_suffix('\r').unwrap_or(&text).to_owned()
}

fn is_sudo_refusal(line: &str) -> bool {
    line.starts_with("sudo: ")
        && (line.contains("incorrect password")
            || line.contains("a password is required")
            || line.contains("is not in the sudoers file")
            || line.contains("not allowed to execute"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_across_chunks() {
        let mut buffer = LineBuffer::default();
        assert!(buffer.push(b"par").is_empty());
        assert_eq!(buffer.push(b"tial\r\nnext\nla"), ["partial", "next"]);
        assert_eq!(buffer.finish().as_deref(), Some("la"));
        assert_eq!(buffer.finish(), None);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let auth = Auth::Password(Secret::new("hunter2"));
        assert!(!format!("{auth:?}").contains("hunter2"));
    }

    #[test]
    fn backups_mirror_the_path_under_var_backups_tandem() {
        assert_eq!(
            backup_path_at("/etc/network/interfaces.d/tandem-br0", "20261203-081500"),
            "/var/backups/tandem/etc/network/interfaces.d/tandem-br0.20261203-081500"
        );
        assert!(
            backup_path("/etc/corosync/corosync.conf")
                .starts_with("/var/backups/tandem/etc/corosync/corosync.conf.20")
        );
    }
}
