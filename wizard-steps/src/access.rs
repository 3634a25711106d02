//! From a profile's node settings to SSH connections, and the preflight facts read over them.
//! The interactive parts (confirming a host key, asking for a password) belong to the GUI and
//! the CLI; these are the pieces both compose.

use crate::facts::{self, LocalFacts, NodeFacts};
use crate::profile::{self, Boot, SshAccess, SshAuth};
use crate::remote::{
    Auth, ConnectError, ConnectOptions, Endpoint, ExecError, HostKeyTrust, Secret, Session, Sudo,
};
use crate::validate::Design;

/// Where Tandem connects for a node.
pub fn endpoint(ssh: &SshAccess) -> Endpoint {
    Endpoint {
        host: ssh.host.clone(),
        port: ssh.port,
        user: ssh.user.clone(),
    }
}

/// The authentication a node's settings ask for, with the secrets the administrator gave
/// (a password for password authentication, a passphrase for a locked key).
pub fn auth(ssh: &SshAccess, password: Option<Secret>, passphrase: Option<Secret>) -> Option<Auth> {
    match &ssh.auth {
        SshAuth::Agent {} => Some(Auth::Agent { socket: None }),
        SshAuth::KeyFile { path } => Some(Auth::KeyFile {
            path: profile::expand_home(path),
            passphrase,
        }),
        SshAuth::Password {} => password.map(Auth::Password),
    }
}

/// What the administrator has given so far to reach a node; asked for only when needed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub password: Option<Secret>,
    pub passphrase: Option<Secret>,
    pub sudo_password: Option<Secret>,
}

/// Why a connection needs the administrator (or failed for good).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// A host key never seen: show the fingerprint, connect again trusting it once confirmed.
    #[error("{0}")]
    UnknownHostKey(ConnectError),
    #[error("the SSH password is needed")]
    PasswordNeeded,
    #[error("the private key {path} needs its passphrase")]
    PassphraseNeeded { path: String },
    #[error("sudo needs the user's password")]
    SudoPasswordNeeded,
    #[error("{0}")]
    Connect(ConnectError),
    #[error("{0}")]
    Exec(ExecError),
}

impl AccessError {
    /// The fingerprint to confirm, for [`AccessError::UnknownHostKey`].
    pub fn unknown_fingerprint(&self) -> Option<&str> {
        match self {
            AccessError::UnknownHostKey(ConnectError::UnknownHostKey { fingerprint, .. }) => {
                Some(fingerprint)
            }
            _ => None,
        }
    }
}

/// Connects to a node with what was given, without asking anybody: the caller asks for what
/// the error says is missing and calls again. With sudo, it also finds out whether sudo needs
/// the password and proves it works.
pub async fn connect(
    ssh: &SshAccess,
    credentials: &Credentials,
    trust: HostKeyTrust,
) -> Result<Session, AccessError> {
    if matches!(ssh.auth, SshAuth::Password {}) && credentials.password.is_none() {
        return Err(AccessError::PasswordNeeded);
    }
    let auth = auth(
        ssh,
        credentials.password.clone(),
        credentials.passphrase.clone(),
    )
    .ok_or(AccessError::PasswordNeeded)?;
    let mut session = Session::connect(endpoint(ssh), auth, trust, ConnectOptions::default())
        .await
        .map_err(|error| match error {
            ConnectError::UnknownHostKey { .. } => AccessError::UnknownHostKey(error),
            ConnectError::PassphraseNeeded { path } => AccessError::PassphraseNeeded { path },
            other => AccessError::Connect(other),
        })?;
    if ssh.sudo {
        let sudo = match &credentials.sudo_password {
            Some(password) => Sudo::Password(password.clone()),
            None => Sudo::NoPassword,
        };
        session.set_sudo(Some(sudo));
        match session.output("true").await {
            Ok(_) => {}
            Err(ExecError::Sudo(_)) if credentials.sudo_password.is_none() => {
                session.close().await;
                return Err(AccessError::SudoPasswordNeeded);
            }
            Err(error) => {
                session.close().await;
                return Err(AccessError::Exec(error));
            }
        }
    }
    Ok(session)
}

/// Runs the read-only discovery script: what the node is and has, before there is a profile.
pub async fn discover(session: &Session) -> Result<NodeFacts, ExecError> {
    let output = session.output(&facts::discovery_script()).await?;
    Ok(facts::parse(&output.stdout))
}

/// The read-only preflight on both nodes: their facts, the verdict on them and the plan.
#[derive(Debug, Clone)]
pub struct Preflight {
    pub facts: [NodeFacts; 2],
    pub findings: Vec<facts::Finding>,
    pub plan: crate::plan::Plan,
}

pub async fn preflight(design: &Design, sessions: &[Session; 2]) -> Result<Preflight, ExecError> {
    let facts = gather(design, sessions).await?;
    let findings = facts::evaluate(design, &facts, &local_facts(design));
    let plan = crate::plan::plan(design, &facts);
    Ok(Preflight {
        facts,
        findings,
        plan,
    })
}

/// Runs the read-only gather script on both nodes.
pub async fn gather(design: &Design, sessions: &[Session; 2]) -> Result<[NodeFacts; 2], ExecError> {
    let mut gathered: [NodeFacts; 2] = Default::default();
    for (index, (session, slot)) in sessions.iter().zip(&mut gathered).enumerate() {
        let output = session.output(&facts::gather_script(design, index)).await?;
        *slot = facts::parse(&output.stdout);
    }
    Ok(gathered)
}

/// What the preflight needs to know about this workstation: which ISOs to upload exist.
pub fn local_facts(design: &Design) -> LocalFacts {
    LocalFacts {
        existing_sources: design
            .vms
            .iter()
            .filter_map(|vm| match &vm.boot {
                Boot::Hvm {
                    iso_source: Some(source),
                    ..
                } if profile::expand_home(source).is_file() => Some(source.clone()),
                _ => None,
            })
            .collect(),
    }
}
