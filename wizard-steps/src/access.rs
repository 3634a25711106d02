//! From a profile's node settings to SSH connections, and the preflight facts read over them.
//! The interactive parts (confirming a host key, asking for a password) belong to the GUI and
//! the CLI; these are the pieces both compose.

use std::path::PathBuf;

use crate::facts::{self, LocalFacts, NodeFacts};
use crate::profile::{Boot, Node, SshAuth};
use crate::remote::{Auth, ExecError, Secret, Session, Target};
use crate::validate::Design;

/// Where Tandem connects for a node.
pub fn target(node: &Node) -> Target {
    Target {
        host: node.ssh.host.clone(),
        port: node.ssh.port,
        user: node.ssh.user.clone(),
    }
}

/// The authentication a node's settings ask for, with the secrets the administrator gave
/// (a password for password authentication, a passphrase for a locked key).
pub fn auth(node: &Node, password: Option<Secret>, passphrase: Option<Secret>) -> Option<Auth> {
    match &node.ssh.auth {
        SshAuth::Agent {} => Some(Auth::Agent { socket: None }),
        SshAuth::KeyFile { path } => Some(Auth::KeyFile {
            path: expand_home(path),
            passphrase,
        }),
        SshAuth::Password {} => password.map(Auth::Password),
    }
}

/// `~/x` → the home directory's `x`.
pub fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|dirs| dirs.home_dir().join(rest))
            .unwrap_or_else(|| PathBuf::from(path)),
        None => PathBuf::from(path),
    }
}

/// Runs the read-only gather script on both nodes.
pub async fn gather(design: &Design, sessions: &[Session; 2]) -> Result<[NodeFacts; 2], ExecError> {
    let mut gathered = Vec::new();
    for (index, session) in sessions.iter().enumerate() {
        let output = session.output(&facts::gather_script(design, index)).await?;
        gathered.push(facts::parse(&output.stdout));
    }
    Ok(gathered.try_into().expect("two nodes"))
}

/// What the preflight needs to know about this workstation: which ISOs to upload exist.
pub fn local_facts(design: &Design) -> LocalFacts {
    LocalFacts {
        existing_sources: design
            .profile
            .vms
            .iter()
            .filter_map(|vm| match &vm.boot {
                Boot::Hvm {
                    iso_source: Some(source),
                    ..
                } if expand_home(source).is_file() => Some(source.clone()),
                _ => None,
            })
            .collect(),
    }
}
