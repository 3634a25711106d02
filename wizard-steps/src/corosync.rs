//! corosync.conf as corosync reads it, and what a change to it takes on a running cluster.
//!
//! Corosync reloads most of its settings at run time (`corosync-cfgtool -R`, cluster-wide);
//! a few only take effect when the daemon restarts (corosync's own list in exec/cfg.c,
//! `remove_ro_entries`). A restart of corosync also restarts Pacemaker, which stops the node's
//! VMs: on a running cluster that is done one node at a time, its VMs moved to the other node
//! first and back after, waiting for membership in between. This module is pure: it compares
//! the file a node has with the one Tandem renders and writes the shell the plan runs.

use std::collections::BTreeMap;

use crate::remote::quote;

/// corosync.conf flattened into the keys corosync's configuration map (cmap) uses:
/// `totem.token`, `quorum.two_node`, `nodelist.node.0.ring0_addr`, ... Comments and layout
/// are gone; values are as written.
pub fn flatten(text: &str) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let mut path: Vec<String> = Vec::new();
    let mut counters: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_suffix('{') {
            let section = section.trim().to_owned();
            let prefix = path.join(".");
            // Repeated sections (nodelist's `node`, totem's `interface`) are numbered.
            let named = if matches!(section.as_str(), "node" | "interface") {
                let counter = counters.entry(format!("{prefix}.{section}")).or_insert(0);
                let numbered = format!("{section}.{counter}");
                *counter += 1;
                numbered
            } else {
                section
            };
            path.push(named);
        } else if line == "}" {
            path.pop();
        } else if let Some((key, value)) = line.split_once(':') {
            let mut full = path.clone();
            full.push(key.trim().to_owned());
            keys.insert(full.join("."), value.trim().to_owned());
        }
    }
    keys
}

/// What it takes for a running corosync to follow a changed corosync.conf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The settings are the same (at most comments or layout differ).
    None,
    /// Every changed setting is reloaded at run time: `corosync-cfgtool -R`, no restart.
    Reload,
    /// A setting that only a restart applies changed.
    Restart,
}

/// Settings corosync reads only at start (its `remove_ro_entries`; crypto is reloadable with
/// the knet of Debian 12 and 13).
pub fn needs_restart(key: &str) -> bool {
    const AT_START: [&str; 9] = [
        "totem.version",
        "totem.threads",
        "totem.ip_version",
        "totem.ip_dscp",
        "totem.netmtu",
        "totem.transport",
        "totem.cluster_name",
        "quorum.provider",
        "system.",
    ];
    AT_START
        .iter()
        .any(|fixed| key == *fixed || (fixed.ends_with('.') && key.starts_with(fixed)))
        || (key.starts_with("totem.interface.")
            && ["bindnetaddr", "mcastaddr", "broadcast", "mcastport", "ttl"]
                .iter()
                .any(|field| key.ends_with(&format!(".{field}"))))
}

/// What changing `old` into `new` takes on a node whose corosync runs `old`.
pub fn change(old: &str, new: &str) -> Change {
    let (old, new) = (flatten(old), flatten(new));
    let changed: Vec<&String> = old
        .keys()
        .chain(new.keys())
        .filter(|key| old.get(*key) != new.get(*key))
        .collect();
    if changed.is_empty() {
        Change::None
    } else if changed.iter().any(|key| needs_restart(key)) {
        Change::Restart
    } else {
        Change::Reload
    }
}

/// A command that exits 0 when the running corosync has every setting of `conf` (as
/// `corosync-cmapctl` shows its configuration map).
pub fn runs_with(conf: &str) -> String {
    let checks: Vec<String> = flatten(conf)
        .into_iter()
        .map(|(key, value)| {
            format!(
                "[ \"$(corosync-cmapctl -g {} 2>/dev/null | sed 's/^[^=]*= //')\" = {} ]",
                quote(&key),
                quote(&value)
            )
        })
        .collect();
    checks.join(" && ")
}

/// Where the rolling restart remembers that it put the node in standby itself (so that a run
/// interrupted halfway brings the node back, and an administrator's own standby is left alone).
pub const STANDBY_MARK: &str = "/var/lib/tandem/standby-for-restart";

/// Both nodes online in the cluster, as crm_mon sees it.
pub const BOTH_ONLINE: &str = "[ \"$(crm_mon -1 --output-as=xml 2>/dev/null | grep -c '<node name=.* online=\"true\"')\" -eq 2 ]";

/// Shell that polls `condition` every 2 s for up to `seconds`, failing with `failure`.
fn wait_for(condition: &str, seconds: u32, failure: &str) -> String {
    format!(
        "i=0; until {condition}; do i=$((i + 1)); if [ $i -gt {tries} ]; then echo {failure} >&2; exit 1; fi; sleep 2; done",
        tries = seconds / 2,
        failure = quote(failure),
    )
}

/// Restarts corosync and Pacemaker on `node` of a running cluster without stopping a VM for
/// longer than a failover: refused unless both nodes are online; the node goes into standby
/// (its VMs move to `peer`), its services restart, both nodes must be members again, and the
/// node comes back online (VMs return per the failback policy). A node that is not an online
/// member (nothing runs there) is simply restarted.
///
/// Stopped, then started, rather than restarted: SBD's unit is part of corosync's, so a
/// restart of corosync restarts SBD too, even when SBD was just disabled; a stop stops it, and
/// the start starts it again only if it is still enabled.
pub fn rolling_restart(node: &str, peer: &str) -> String {
    let node_q = quote(node);
    let online = format!(
        "crm_mon -1 --output-as=xml 2>/dev/null | grep -q '<node name=\"{node}\" .*online=\"true\"'"
    );
    format!(
        "set -e\n\
         if ! systemctl is-active --quiet corosync || ! {online}; then\n\
         {RESTART}\n\
         exit 0\n\
         fi\n\
         {BOTH_ONLINE} || {{ echo {refusal} >&2; exit 1; }}\n\
         mkdir -p /var/lib/tandem && touch {STANDBY_MARK}\n\
         crm_attribute --type nodes --node {node_q} --name standby --update on\n\
         crm_resource --wait --timeout=900s\n\
         {RESTART}\n\
         {membership}\n\
         {back}",
        refusal = quote(&format!(
            "{peer} is not online: restarting {node}'s cluster services now would stop its VMs; bring {peer} back first"
        )),
        membership = wait_for(
            BOTH_ONLINE,
            600,
            &format!(
                "{node} did not rejoin {peer} after its restart: it stays in standby, its VMs run on {peer}"
            )
        ),
        back = back_online(node),
    )
}

/// The cluster services of a node stopped and started again (see [`rolling_restart`]).
const RESTART: &str = "systemctl stop pacemaker corosync && systemctl start corosync pacemaker";

/// Brings `node` back online after [`rolling_restart`] put it in standby: once both nodes are
/// members, the standby goes, the cluster settles, and the mark is removed.
pub fn back_online(node: &str) -> String {
    format!(
        "{BOTH_ONLINE} && crm_attribute --type nodes --node {node} --name standby --update off && crm_resource --wait --timeout=900s && rm -f {STANDBY_MARK}",
        node = quote(node)
    )
}

#[cfg(test)]
mod tests;
