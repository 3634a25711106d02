//! The Nodes page: how Tandem reaches each node, and what a node turned out to be when the
//! administrator connected to it.

use crate::access::AccessError;
use crate::facts::NodeFacts;
use crate::profile::Profile;
use crate::remote::ConnectError;

/// Takes what a connected node told about itself into the profile where the administrator has
/// not decided yet: its hostname, and the Debian release when it is one Tandem supports.
pub fn adopt(profile: &mut Profile, index: usize, facts: &NodeFacts) {
    let Some(node) = profile.nodes.get_mut(index) else {
        return;
    };
    if node.hostname.trim().is_empty() && !facts.hostname.is_empty() {
        node.hostname = facts.hostname.clone();
    }
    if let Some(release) = facts.debian_release() {
        profile.cluster.debian = release;
    }
}

/// The likely cause of a failed connection and where to look, for the administrator who just
/// pressed Connect (the error itself says what happened).
pub fn connect_hint(error: &AccessError, user: &str) -> Option<&'static str> {
    let AccessError::Connect(error) = error else {
        return None;
    };
    Some(match error {
        ConnectError::Unreachable { reason, .. } if reason.contains("refused") => {
            "Nothing listens there: is sshd running on the node (systemctl status ssh), and is \
             the port right?"
        }
        ConnectError::Unreachable { .. } => {
            "The address did not lead to the node: check the address (or its DNS name) and the \
             network between this workstation and the node."
        }
        ConnectError::TimedOut { .. } => {
            "No answer: check the address, that the node is up, and that no firewall drops SSH \
             on the way."
        }
        ConnectError::AuthFailed { method, .. } if user == "root" && method == "password" => {
            "Debian's sshd refuses root's password by default (PermitRootLogin \
             prohibit-password): sign in with a key, or as a user with sudo."
        }
        ConnectError::AuthFailed { .. } => {
            "The node did not accept these credentials: check the user, the password or the key \
             (its public half must be in ~/.ssh/authorized_keys on the node)."
        }
        _ => return None,
    })
}

/// One line per thing found, for the page's summary of a connected node.
pub fn describe(facts: &NodeFacts) -> Vec<(&'static str, String)> {
    let release = match facts.debian_release() {
        Some(release) => release.to_string(),
        None => format!("{} {} (not supported)", facts.os_id, facts.os_version_id),
    };
    let nics: Vec<String> = facts
        .nics
        .iter()
        .filter(|nic| nic.name != "lo")
        .map(|nic| match (&nic.master, nic.is_bridge) {
            (_, true) => format!("{} (bridge)", nic.name),
            (Some(master), false) => format!("{} (in {master})", nic.name),
            (None, false) => nic.name.clone(),
        })
        .collect();
    let groups: Vec<String> = facts
        .volume_groups
        .iter()
        .map(|group| {
            let volumes: Vec<String> = group
                .volumes
                .iter()
                .map(|(name, volume)| format!("{name} {}", mib_text(volume.size_mib)))
                .collect();
            format!(
                "{} ({} free of {}): {}",
                group.name,
                mib_text(group.free_mib),
                mib_text(group.size_mib),
                if volumes.is_empty() {
                    "no volumes".to_owned()
                } else {
                    volumes.join(", ")
                }
            )
        })
        .collect();
    vec![
        ("Hostname", facts.hostname.clone()),
        ("Debian", release),
        ("Memory", mib_text(facts.memory_mib)),
        ("CPUs", facts.cpus.to_string()),
        (
            "Virtualisation",
            if facts.hvm_capable {
                "VT-x/AMD-V: HVM and PV guests".to_owned()
            } else {
                "none: PV guests only".to_owned()
            },
        ),
        (
            "Xen",
            if facts.dom0 {
                "running as dom0".to_owned()
            } else {
                "not yet (Tandem installs it)".to_owned()
            },
        ),
        ("NICs", or_none(nics)),
        ("Volume groups", or_none(groups)),
    ]
}

fn or_none(items: Vec<String>) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// A size for people: "512 MiB", "8.0 GiB", "1.5 TiB".
pub fn mib_text(mib: u64) -> String {
    if mib >= 1024 * 1024 {
        format!("{:.1} TiB", mib as f64 / (1024.0 * 1024.0))
    } else if mib >= 1024 {
        format!("{:.1} GiB", mib as f64 / 1024.0)
    } else {
        format!("{mib} MiB")
    }
}
