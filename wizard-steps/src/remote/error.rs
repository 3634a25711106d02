//! What can go wrong on a session: connecting (with the real reason a host key was refused),
//! running a command, uploading a file.

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
