//! Split-brain recovery, the seed's nine manual steps as a guided flow. A split brain leaves a
//! VM's DRBD resource StandAlone on a node (and StandAlone or waiting for a connection on the
//! other) after both nodes were Primary and wrote. Tandem detects it from the nodes' DRBD
//! states, shows what each node knows about its data (role, data generation UUIDs, how much it
//! changed since the split, its kernel's DRBD messages), lets the administrator choose the node
//! whose changes are discarded, and then recovers as a plan the runner carries out (journaled,
//! resumable, the discard confirmed): stop the VM's resources in the cluster, bring DRBD up,
//! disconnect and make both sides Secondary, connect the victim with --discard-my-data and the
//! survivor, wait for the resync, take DRBD down again and let Pacemaker start the resources.

use serde::{Deserialize, Serialize};

use crate::cluster_state::NodeDrbd;
use crate::drbd;
use crate::plan::{Operation, Phase, PhaseKind, Plan, Scope, Step};
use crate::remote::{ExecError, Session, quote};
use crate::render::{DrbdGeneration, PacemakerIds};
use crate::validate::Design;

/// A VM's DRBD resource that looks split: StandAlone on one node, and on the other StandAlone,
/// waiting for the peer, or down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Index into the design's VMs.
    pub vm: usize,
    pub resource: String,
    /// The connection state on each node ("down" when the resource is not up there).
    pub connections: [String; 2],
}

impl Split {
    /// In a line: which resource, and its connection on each node.
    pub fn describe(&self, design: &Design) -> String {
        format!(
            "SPLIT BRAIN: {} is {} on {} and {} on {}",
            self.resource,
            self.connections[0],
            design.nodes[0].hostname,
            self.connections[1],
            design.nodes[1].hostname
        )
    }
}

/// Connection states in which a node does not replicate and waits, or gave up.
const UNCONNECTED: [&str; 5] = [
    "StandAlone",
    "WFConnection",
    "Connecting",
    "Unconnected",
    "down",
];

/// The resources in (or suspected of) split brain, from both nodes' DRBD states.
pub fn detect(design: &Design, drbd: &[NodeDrbd]) -> Vec<Split> {
    design
        .vms
        .iter()
        .enumerate()
        .filter_map(|(index, vm)| {
            let connections = [0, 1].map(|node| {
                drbd.iter()
                    .find(|seen| seen.node == design.nodes[node].hostname)
                    .and_then(|seen| seen.resources.iter().find(|r| r.name == vm.name))
                    .map_or_else(|| "down".to_owned(), |resource| resource.connection.clone())
            });
            let standalone = connections.iter().any(|state| state == "StandAlone");
            let unconnected = connections
                .iter()
                .all(|state| UNCONNECTED.contains(&state.as_str()));
            (standalone && unconnected).then(|| Split {
                vm: index,
                resource: vm.name.clone(),
                connections,
            })
        })
        .collect()
}

/// What one node knows about its side of a split resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Side {
    pub node: String,
    pub role: String,
    pub connection: String,
    pub disk: String,
    /// KiB this node changed (or marked out of sync) since the connection was lost.
    pub changed_kib: Option<u64>,
    /// `drbdadm get-gi`: current, bitmap and history data generation UUIDs.
    pub generation: String,
    /// The kernel's latest messages about the resource (roles, connection, split brain).
    pub log: Vec<String>,
}

impl Side {
    /// In a line: the node, its role, connection and disk, and how much it changed.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} {} {}, changed since the split: {}",
            self.node,
            self.role,
            self.connection,
            self.disk,
            self.changed_kib
                .map_or("unknown".to_owned(), |kib| format!("{kib} KiB"))
        )
    }
}

/// The shell script that reads a node's side of `resource` on DRBD minor `minor` (read-only).
pub fn evidence_script(resource: &str, minor: u32) -> String {
    let quoted = quote(resource);
    let pattern = quote(&format!("drbd {resource}[:/ ]"));
    format!(
        "echo \"gi=$(drbdadm get-gi {quoted} 2>/dev/null)\"\n\
         drbdsetup status {quoted} --verbose --statistics 2>/dev/null | sed 's/^/status=/'\n\
         [ -r /proc/drbd ] && sed -n '/^ *{minor}: /,/oos:/p' /proc/drbd | grep -o 'oos:[0-9]*' | sed 's/oos:/oos=/'\n\
         journalctl -k -o short-iso --no-pager 2>/dev/null | grep -E {pattern} \
         | grep -E 'Split-Brain|role\\(|conn\\(|pdsk\\(' | tail -n 8 | sed 's/^/log=/'\n\
         true\n"
    )
}

/// Parses [`evidence_script`]'s output.
pub fn parse_evidence(node: &str, output: &str) -> Side {
    let mut side = Side {
        node: node.to_owned(),
        ..Side::default()
    };
    let mut status = String::new();
    let mut proc_changed = None;
    for line in output.lines() {
        if let Some(gi) = line.strip_prefix("gi=") {
            side.generation = gi.trim().to_owned();
        } else if let Some(text) = line.strip_prefix("status=") {
            status.push_str(text);
            status.push('\n');
        } else if let Some(text) = line.strip_prefix("log=") {
            side.log.push(text.trim().to_owned());
        } else if let Some(kib) = line.strip_prefix("oos=") {
            proc_changed = kib.trim().parse().ok();
        }
    }
    if let Some(state) = drbd::parse_status(&status)
        .ok()
        .and_then(|states| states.into_iter().next())
    {
        side.role = state.role;
        side.connection = state.connection;
        side.disk = state.disk;
        side.changed_kib = state.out_of_sync_kib;
    }
    // DRBD 8.4 counts what changed since the split in /proc/drbd only.
    side.changed_kib = side.changed_kib.or(proc_changed);
    if side.connection.is_empty() {
        side.connection = "down".to_owned();
    }
    side
}

/// Reads both nodes' side of a split resource over their sessions.
pub async fn evidence(
    design: &Design,
    split: &Split,
    sessions: &[Session; 2],
) -> Result<[Side; 2], ExecError> {
    let script = evidence_script(&split.resource, design.vms[split.vm].drbd_minor);
    let mut sides = [Side::default(), Side::default()];
    for (index, session) in sessions.iter().enumerate() {
        let output = session.output(&script).await?;
        sides[index] = parse_evidence(&design.nodes[index].hostname, &output.stdout);
    }
    Ok(sides)
}

/// The DRBD generation of the module a node has loaded.
pub async fn loaded_generation(session: &Session) -> DrbdGeneration {
    match session.output("head -n 1 /proc/drbd 2>/dev/null").await {
        Ok(output) if output.stdout.contains("version: 9.") => DrbdGeneration::V9,
        _ => DrbdGeneration::V84,
    }
}

/// The node whose changes Tandem suggests discarding: the one that changed less since the
/// split; on a tie, the one that is not Primary; else the second node. The administrator
/// decides.
pub fn suggested_victim(sides: &[Side; 2]) -> usize {
    match (sides[0].changed_kib, sides[1].changed_kib) {
        (Some(first), Some(second)) if first < second => 0,
        (Some(first), Some(second)) if second < first => 1,
        _ if sides[0].role != "Primary" && sides[1].role == "Primary" => 0,
        _ => 1,
    }
}

/// The recovery of one split resource as a plan, discarding `victim`'s changes (node index).
pub fn recovery_plan(design: &Design, split: &Split, victim: usize, drbd: DrbdGeneration) -> Plan {
    let survivor = 1 - victim;
    let vm = &design.vms[split.vm];
    let name = &vm.name;
    let resource = quote(name);
    let ids = PacemakerIds::for_vm(name);
    let host = |node: usize| design.nodes[node].hostname.as_str();
    let step = |id: &str, node: usize, title: String, operation: Operation| Step {
        id: format!("{id}:{name}@{}", host(node)),
        scope: Scope::Node(node),
        title,
        operation,
        destructive: None,
        disruptive: None,
    };
    let command = |check: String, apply: String| Operation::Command {
        check: Some(check.clone()),
        apply,
        verify: Some(check),
    };
    let cstate = format!("drbdadm cstate {resource} 2>/dev/null");
    let replicating = "'^(Connected|Established|Sync|PausedSync|WFBitMap)'";
    let cluster_resources = {
        let mut list = vec![ids.drbd_clone.clone(), ids.xen.clone()];
        if vm.console_ip.is_some() {
            list.push(ids.ip.clone());
        }
        list
    };
    let not_running = cluster_resources
        .iter()
        .map(|id| format!("crm_resource --locate --resource {id} 2>&1 | grep -q 'NOT running'"))
        .collect::<Vec<_>>()
        .join(" && ");
    let running = format!(
        "crm_resource --locate --resource {} 2>&1 | grep -q 'is running on'",
        ids.xen
    );

    let stop = Step {
        destructive: Some(format!(
            "stops VM {name} on every node until the recovery has finished (an outage)"
        )),
        ..step(
            "split-brain-stop",
            survivor,
            format!("stop {name} and its DRBD resource in the cluster"),
            command(
                not_running.clone(),
                format!(
                    "crm resource stop {} && crm_resource --wait --timeout=300s",
                    cluster_resources.join(" ")
                ),
            ),
        )
    };
    let mut prepare = Vec::new();
    for node in [0, 1] {
        prepare.push(step(
            "split-brain-up",
            node,
            format!("bring {name} up by hand"),
            command(
                format!("drbdsetup status {resource} >/dev/null 2>&1"),
                format!("drbdadm up {resource}"),
            ),
        ));
        prepare.push(step(
            "split-brain-disconnect",
            node,
            format!("disconnect {name}"),
            command(
                format!("{cstate} | grep -qE '^StandAlone' || {cstate} | grep -qE {replicating}"),
                // A split brain drops the connection by itself, maybe between the check and
                // this: then there is nothing left to disconnect. Just after `drbdadm up` the
                // resource may be in a transient state (the handshake), which refuses a
                // disconnect until it has passed: try again for up to 30 s.
                format!(
                    "n=0; until drbdadm disconnect {resource} || {cstate} | grep -qE '^StandAlone'; \
                     do [ $n -lt 30 ] || break; n=$((n+1)); sleep 1; done; \
                     {cstate} | grep -qE '^StandAlone'"
                ),
            ),
        ));
        prepare.push(step(
            "split-brain-secondary",
            node,
            format!("make {name} Secondary"),
            command(
                format!("drbdadm role {resource} 2>/dev/null | grep -q '^Secondary'"),
                format!("drbdadm secondary {resource}"),
            ),
        ));
    }
    let connected = format!("! {cstate} | grep -qE '^StandAlone'");
    let discard = Step {
        destructive: Some(format!(
            "discards what {} wrote to {name} since the split brain: its disk becomes a copy of {}'s",
            host(victim),
            host(survivor)
        )),
        ..step(
            "split-brain-discard",
            victim,
            format!("connect {name} discarding {}'s changes", host(victim)),
            command(
                connected.clone(),
                format!("drbdadm connect --discard-my-data {resource}"),
            ),
        )
    };
    let connect = step(
        "split-brain-connect",
        survivor,
        format!("connect {name} on {}", host(survivor)),
        command(connected, format!("drbdadm connect {resource}")),
    );
    let mut resync = vec![step(
        "split-brain-connected",
        victim,
        format!("{name} connected again"),
        Operation::WaitUntil {
            condition: format!("{cstate} | grep -qE {replicating}"),
            timeout_secs: 180,
        },
    )];
    resync.push(step(
        "split-brain-resync",
        victim,
        format!("{} takes {}'s data", host(victim), host(survivor)),
        Operation::WaitForSync {
            resource: name.clone(),
            minor: vm.drbd_minor,
            drbd,
        },
    ));
    resync.push(step(
        "split-brain-uptodate",
        victim,
        format!("{name} UpToDate on both nodes"),
        Operation::WaitUntil {
            condition: format!(
                "drbdadm dstate {resource} 2>/dev/null | grep -q '^UpToDate/UpToDate'"
            ),
            timeout_secs: 3600,
        },
    ));
    let down = [0, 1]
        .map(|node| {
            step(
                "split-brain-down",
                node,
                format!("hand {name} back to Pacemaker (drbdadm down)"),
                command(
                    format!("! drbdsetup status {resource} >/dev/null 2>&1 || {running}"),
                    format!("drbdadm down {resource}"),
                ),
            )
        })
        .to_vec();
    let start = vec![step(
        "split-brain-start",
        survivor,
        format!("start {name} in the cluster again"),
        command(
            running.clone(),
            format!(
                "crm resource start {} && crm_resource --cleanup --resource {} && crm_resource --wait --timeout=300s",
                cluster_resources.join(" "),
                ids.drbd_clone
            ),
        ),
    )];
    let phase = |kind, title: &str, steps| Phase {
        kind,
        title: title.to_owned(),
        one_node_at_a_time: false,
        steps,
    };
    Plan {
        cluster: design.cluster.name.clone(),
        nodes: [host(0).to_owned(), host(1).to_owned()],
        target: format!(
            "split-brain recovery of {name}: keep {}'s data",
            host(survivor)
        ),
        quorum_device: None,
        phases: vec![
            phase(
                PhaseKind::RecoveryStop,
                "Stop the VM in the cluster",
                vec![stop],
            ),
            phase(
                PhaseKind::RecoveryPrepare,
                "DRBD up, disconnected, Secondary on both nodes",
                prepare,
            ),
            phase(
                PhaseKind::RecoveryDiscard,
                "The victim connects, discarding its changes",
                vec![discard],
            ),
            phase(
                PhaseKind::RecoveryConnect,
                "The survivor connects",
                vec![connect],
            ),
            phase(PhaseKind::RecoveryResync, "Resync", resync),
            phase(PhaseKind::RecoveryDown, "DRBD back to Pacemaker", down),
            phase(
                PhaseKind::RecoveryStart,
                "Start the VM in the cluster",
                start,
            ),
        ],
    }
}

#[cfg(test)]
mod tests;
