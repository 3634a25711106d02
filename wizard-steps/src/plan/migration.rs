//! Live migration between the nodes: each node's migration key, trusted by the peer for that one
//! purpose (forced command, from the replication address), and its removal when it is switched
//! off.

use crate::remote::quote;
use crate::render::{migration_key_comment, paths};

use super::builder::{BOTH, Builder, backup_shell};
use super::{Operation, Phase, PhaseKind, Scope, Step, phase};

impl Builder<'_> {
    pub(super) fn switching_live_migration_off(&self) -> bool {
        !self.design.cluster.live_migration && self.facts.iter().any(|facts| facts.migration_access)
    }

    /// The Xen resource agent migrates with `xl migrate VM PEER`, which needs root on each node
    /// to reach the other by SSH: each node gets its own key, usable on the peer only from the
    /// node's replication address and only to receive a migration, and pins the peer's host key.
    pub(super) fn live_migration(&self) -> [Phase; 2] {
        let mut steps = Vec::new();
        for &node in &BOTH {
            steps.push(self.file_step(node, paths::MIGRATE_RECEIVE));
            steps.push(self.file_step(node, paths::MIGRATION_SSH_CONFIG));
            steps.push(self.step(
                "migration-key".into(),
                node,
                "root's live-migration key".into(),
                Operation::Command {
                    check: Some(format!(
                        "[ -s {key} ] && [ -s {key}.pub ]",
                        key = paths::MIGRATION_KEY
                    )),
                    apply: format!(
                        "install -d -m 700 {dir} && rm -f {key} {key}.pub && ssh-keygen -q -t ed25519 -N '' -C {comment} -f {key}",
                        dir = paths::MIGRATION_DIR,
                        key = paths::MIGRATION_KEY,
                        comment = quote(&self.migration_key_comment(node)),
                    ),
                    verify: None,
                },
            ));
        }
        let keys = phase(
            PhaseKind::LiveMigration,
            "Live migration keys",
            false,
            steps,
        );
        let mut steps = vec![Step {
            id: "migration-trust".into(),
            scope: Scope::Cluster,
            title: "each node's migration key and host key trusted by the other".into(),
            operation: Operation::Exchange {
                read: format!(
                    "cat /etc/ssh/ssh_host_ed25519_key.pub {}.pub",
                    paths::MIGRATION_KEY
                ),
                check: BOTH.map(|node| self.peer_trusted(node)),
                apply: BOTH.map(|node| self.trust_peer(node)),
            },
            destructive: None,
            disruptive: None,
        }];
        for &node in &BOTH {
            let peer = self.hostname(1 - node);
            steps.push(self.step(
                "migration-ssh".into(),
                node,
                format!("root reaches {peer} for live migration"),
                Operation::Require {
                    check: format!("timeout 30 ssh {} true", quote(peer)),
                    failure: format!(
                        "root cannot reach {peer} by SSH over the private link with the migration key (is sshd on {peer} listening on {}?)",
                        self.design.nodes[1 - node].replication_address
                    ),
                },
            ));
        }
        [
            keys,
            phase(
                PhaseKind::LiveMigrationTrust,
                "Live migration between the nodes",
                false,
                steps,
            ),
        ]
    }

    pub(super) fn migration_key_comment(&self, node: usize) -> String {
        migration_key_comment(self.hostname(node), &self.design.cluster.name)
    }

    /// Live migration switched off, after the cluster has demoted one side of each resource:
    /// DRBD's dual-primary goes, and so does the access live migration gave root on each node.
    pub(super) fn live_migration_off(&self) -> Phase {
        let steps =
            BOTH.iter()
                .flat_map(|&node| {
                    let comment = quote(&format!(" {}", self.migration_key_comment(1 - node)));
                    let files = [
                        paths::MIGRATION_SSH_CONFIG,
                        paths::MIGRATE_RECEIVE,
                        paths::MIGRATION_DIR,
                    ];
                    let gone = files
                        .iter()
                        .map(|path| format!("[ ! -e {path} ] && "))
                        .collect::<String>()
                        + &format!("! grep -qsF {comment} {}", paths::ROOT_AUTHORIZED_KEYS);
                    let adjusted =
                        self.design.vms.iter().map(move |vm| {
                            self.drbd_adjusted(node, vm, "drbd-single-primary", false)
                        });
                    let removed = self.step(
                        "migration-access-removed".into(),
                        node,
                        format!(
                            "{} may no longer migrate VMs here as root",
                            self.hostname(1 - node)
                        ),
                        Operation::Command {
                            check: Some(gone.clone()),
                            apply: format!(
                                "set -e\nif grep -qsF {comment} {authorized_keys}; then\n{rewrite}\nfi\nrm -rf {files}",
                                authorized_keys = paths::ROOT_AUTHORIZED_KEYS,
                                rewrite = authorized_keys_rewrite(
                                    &self.migration_key_comment(1 - node),
                                    None
                                ),
                                files = files.join(" "),
                            ),
                            verify: Some(gone),
                        },
                    );
                    adjusted.chain(std::iter::once(removed))
                })
                .collect();
        phase(
            PhaseKind::LiveMigrationOff,
            "Live migration switched off",
            false,
            steps,
        )
    }

    /// The peer's lines as they belong on `node`, to stand in a double-quoted shell word: its
    /// host key in the migration known_hosts and its migration key in root's authorized_keys
    /// (the shell variables `host` and `key` hold the peer's two public keys).
    pub(super) fn peer_lines(&self, node: usize) -> (String, String) {
        let peer = 1 - node;
        let address = &self.design.nodes[peer].replication_address;
        (
            format!("{},{address} $host", self.hostname(peer)),
            format!(
                "from=\\\"{address}\\\",restrict,command=\\\"{}\\\" $key {}",
                paths::MIGRATE_RECEIVE,
                self.migration_key_comment(peer)
            ),
        )
    }

    pub(super) fn peer_trusted(&self, node: usize) -> String {
        let (known, authorized) = self.peer_lines(node);
        format!(
            "{PEER_KEYS} && grep -qxF \"{known}\" {known_hosts} && grep -qxF \"{authorized}\" {authorized_keys}",
            known_hosts = paths::MIGRATION_KNOWN_HOSTS,
            authorized_keys = paths::ROOT_AUTHORIZED_KEYS,
        )
    }

    pub(super) fn trust_peer(&self, node: usize) -> String {
        let (known, authorized) = self.peer_lines(node);
        format!(
            r#"set -e
{PEER_KEYS}
install -d -m 700 {dir} /root/.ssh
printf '%s\n' "{known}" > {known_hosts}.tandem-new
chmod 644 {known_hosts}.tandem-new
mv {known_hosts}.tandem-new {known_hosts}
{rewrite}"#,
            dir = paths::MIGRATION_DIR,
            known_hosts = paths::MIGRATION_KNOWN_HOSTS,
            rewrite = authorized_keys_rewrite(
                &self.migration_key_comment(1 - node),
                Some(&format!("\"{authorized}\"")),
            ),
        )
    }
}

/// Shell lines that rewrite root's authorized_keys without the keys whose comment is `comment`
/// (keys Tandem added), then with `added` (a double-quoted shell word) when given. Every other
/// key stays, and the file as it was is backed up first.
pub(super) fn authorized_keys_rewrite(comment: &str, added: Option<&str>) -> String {
    let add = added.map_or(String::new(), |line| format!(" printf '%s\\n' {line};"));
    format!(
        r#"f={authorized_keys}
{backup}
{{ grep -vF {comment} "$f" 2>/dev/null || true;{add} }} > "$f.tandem-new"
chmod 600 "$f.tandem-new"
mv "$f.tandem-new" "$f""#,
        authorized_keys = paths::ROOT_AUTHORIZED_KEYS,
        backup = backup_shell("\"$f\"", "cp -p"),
        comment = quote(&format!(" {comment}")),
    )
}

/// Splits `$PEER` (the peer's `cat` of its SSH host key and its migration key) into `host` and
/// `key`, each "type base64"; fails when either is missing.
pub(super) const PEER_KEYS: &str = "host=$(printf '%s\\n' \"$PEER\" | sed -n 1p | cut -d' ' -f1,2) && key=$(printf '%s\\n' \"$PEER\" | sed -n 2p | cut -d' ' -f1,2) && [ -n \"$host\" ] && [ -n \"$key\" ]";
