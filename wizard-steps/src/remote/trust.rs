//! Host-key trust: Tandem's own known_hosts file (OpenSSH format) plus the user's
//! ~/.ssh/known_hosts. An unknown key is never accepted silently, a changed key never at all.

use std::path::{Path, PathBuf};

use russh::keys::{HashAlg, PublicKey};

/// Where host keys are looked up and pinned, and which new key (if any) the administrator has
/// confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyTrust {
    /// Tandem's own file; confirmed keys are pinned here.
    pub pinned: PathBuf,
    /// Also consulted, never written: the user's OpenSSH known_hosts.
    pub user_known_hosts: Option<PathBuf>,
    /// A fingerprint (`SHA256:...`) the administrator confirmed for a host not yet known.
    pub accept: Option<String>,
}

impl HostKeyTrust {
    /// Tandem's file in its data directory (`~/.local/share/tandem/known_hosts`) and the user's
    /// `~/.ssh/known_hosts`.
    pub fn standard() -> HostKeyTrust {
        let pinned = directories::ProjectDirs::from("", "", "tandem")
            .map(|dirs| dirs.data_dir().join("known_hosts"))
            .unwrap_or_else(|| PathBuf::from("tandem_known_hosts"));
        let user_known_hosts =
            directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".ssh/known_hosts"));
        HostKeyTrust {
            pinned,
            user_known_hosts,
            accept: None,
        }
    }

    /// The same files, with a confirmed fingerprint.
    pub fn accepting(&self, fingerprint: impl Into<String>) -> HostKeyTrust {
        HostKeyTrust {
            accept: Some(fingerprint.into()),
            ..self.clone()
        }
    }

    fn files(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.pinned.as_path()).chain(self.user_known_hosts.as_deref())
    }

    /// The algorithms of the keys already known for the host, so the client asks the server for
    /// one of those (as OpenSSH does) instead of a new kind of key.
    pub fn known_algorithms(&self, host: &str, port: u16) -> Vec<russh::keys::Algorithm> {
        let mut algorithms = Vec::new();
        for file in self.files() {
            for (_, key) in
                russh::keys::known_hosts::known_host_keys_path(host, port, file).unwrap_or_default()
            {
                if !algorithms.contains(&key.algorithm()) {
                    algorithms.push(key.algorithm());
                }
            }
        }
        algorithms
    }

    /// Decides about the key a server presented.
    pub fn judge(&self, host: &str, port: u16, key: &PublicKey) -> Verdict {
        let presented = fingerprint(key);
        // russh's reader skips marker lines: a key the user revoked would only look unknown,
        // and one "trust it" would pin it. A revoked key is refused for every host.
        for file in self.files() {
            if let Some(line) = revoked_at(file, key) {
                return Verdict::Revoked {
                    presented,
                    file: file.to_path_buf(),
                    line,
                };
            }
        }
        let mut known = false;
        for file in self.files() {
            let entries = match russh::keys::known_hosts::known_host_keys_path(host, port, file) {
                Ok(entries) => entries,
                Err(error) => {
                    return Verdict::Unreadable {
                        file: file.to_path_buf(),
                        reason: error.to_string(),
                    };
                }
            };
            for (line, recorded) in entries {
                if recorded == *key {
                    known = true;
                } else if recorded.algorithm() == key.algorithm() {
                    return Verdict::Changed {
                        presented,
                        recorded: fingerprint(&recorded),
                        file: file.to_path_buf(),
                        line,
                    };
                }
            }
        }
        if known {
            Verdict::Known
        } else if self.accept.as_deref() == Some(presented.as_str()) {
            Verdict::Confirmed
        } else {
            Verdict::Unknown { presented }
        }
    }

    /// Pins a confirmed key in Tandem's own file.
    pub fn pin(&self, host: &str, port: u16, key: &PublicKey) -> Result<(), String> {
        russh::keys::known_hosts::learn_known_hosts_path(host, port, key, &self.pinned)
            .map_err(|error| error.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Known,
    /// Not known, and its fingerprint is the one the administrator confirmed: pin it.
    Confirmed,
    Unknown {
        presented: String,
    },
    Changed {
        presented: String,
        recorded: String,
        file: PathBuf,
        line: usize,
    },
    Unreadable {
        file: PathBuf,
        reason: String,
    },
    /// The key is marked `@revoked` in a known_hosts file.
    Revoked {
        presented: String,
        file: PathBuf,
        line: usize,
    },
}

/// The line (from 1) of an `@revoked` entry for `key` in the OpenSSH known_hosts `file`.
fn revoked_at(file: &Path, key: &PublicKey) -> Option<usize> {
    let text = std::fs::read_to_string(file).ok()?;
    let presented = key.to_openssh().ok()?;
    let mut presented = presented.split_whitespace();
    let (algorithm, data) = (presented.next()?, presented.next()?);
    text.lines().enumerate().find_map(|(index, line)| {
        let mut fields = line.split_whitespace();
        let marked = fields.next() == Some("@revoked");
        let _hosts = fields.next();
        (marked && fields.next() == Some(algorithm) && fields.next() == Some(data))
            .then_some(index + 1)
    })
}

/// `SHA256:...`, as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}
