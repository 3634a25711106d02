//! Day-2 operations on a running cluster, the seed's "planned service work": put a node in
//! standby (its VMs move to the other node) and bring it back (they return per the failback
//! policy), move one VM by hand and let it go again, clear failed actions; and the failover
//! drill made of them, in a hard variant that resets a node without shutting it down. Pure
//! here: the command an action runs (Pacemaker's own tools, run as root on a node), whether
//! the cluster allows it now, and when the cluster has settled after it.
//! `perform.rs` is the edge that runs an action over SSH and follows the cluster until it
//! settles ([`perform`], [`maintain`]).

use serde::{Deserialize, Serialize};

use crate::cluster_state::{ClusterState, NodeDrbd, Placement, placements};
use crate::profile::{Failback, Fencing};
use crate::protection::{DeviceVote, fence_devices};
use crate::remote::quote;
use crate::render::PacemakerIds;
use crate::validate::Design;

mod perform;

pub use perform::{
    ManageError, Outcome, Progress, Update, maintain, perform, status, status_reachable,
};

/// One maintenance action. Nodes and VMs are indexes into the design's `nodes` and `vms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Maintenance {
    /// The node keeps its cluster membership but runs nothing: its VMs move to the other node.
    Standby { node: usize },
    /// The node may run resources again; VMs return per the failback policy.
    Online { node: usize },
    /// Pins a VM to a node (a `cli-prefer` constraint) until [`Maintenance::Unmove`].
    Move { vm: usize, to: usize },
    /// Removes the pin; the VM goes where the failback policy puts it.
    Unmove { vm: usize },
    /// Clears failed actions (of one resource, or all) so Pacemaker tries again.
    Cleanup { resource: Option<String> },
    /// The hard drill: the node resets at once, without shutting down (as if its plug were
    /// pulled), and the other node must take its VMs over.
    Crash { node: usize },
    /// The fence drill: the cluster fences the node on purpose (`stonith_admin --reboot`, run
    /// on the other node), through the fence device that would fence it in a real failure;
    /// the other node must take its VMs over.
    Fence { node: usize },
    /// The crashed (or fenced) node boots by itself; done when it is back in the cluster, its
    /// DRBD resources resynced and the VMs where the failback policy puts them.
    Rejoin { node: usize },
}

/// How the drill takes each node away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DrillKind {
    /// In standby and back: a planned move, VMs shut down cleanly.
    #[default]
    Standby,
    /// Reset at once, without shutting down, as if the plug were pulled.
    Hard,
    /// Fenced by the cluster through its fence device (IPMI or SBD), as in a real failure.
    Fence,
}

/// How long the fencer may take to fence a node on purpose; a BMC's power cycle takes seconds,
/// SBD its message wait.
const FENCE_TIMEOUT_S: u32 = 120;

/// The cluster as Tandem observes it: Pacemaker's view, each node's DRBD resources and, with a
/// quorum device, its vote as each node counts it (a node whose corosync gives no quorum
/// information is named in the error).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Status {
    pub cluster: ClusterState,
    pub drbd: Vec<NodeDrbd>,
    #[serde(default)]
    pub votes: Vec<Result<DeviceVote, String>>,
}

impl Status {
    pub fn placements(&self, design: &Design) -> Vec<Placement> {
        placements(design, &self.cluster)
    }
}

/// Whether an action can run on the cluster as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The cluster is already as the action would leave it.
    AlreadyDone(String),
    /// Running it now would stop VMs or cannot work: why, and what to do first.
    Refused(String),
}

impl Maintenance {
    /// What the action does, in a line.
    pub fn describe(&self, design: &Design) -> String {
        match self {
            Maintenance::Standby { node } => format!(
                "put {} in standby (its VMs move to {})",
                hostname(design, *node),
                hostname(design, 1 - node)
            ),
            Maintenance::Online { node } => format!(
                "bring {} back online (VMs return per the failback policy: {})",
                hostname(design, *node),
                describe_failback(&design.cluster.failback)
            ),
            Maintenance::Move { vm, to } => format!(
                "move {} to {} and keep it there",
                design.vms[*vm].name,
                hostname(design, *to)
            ),
            Maintenance::Unmove { vm } => format!(
                "let {} go where the failback policy puts it",
                design.vms[*vm].name
            ),
            Maintenance::Cleanup {
                resource: Some(resource),
            } => {
                format!("clear the failed actions of {resource}")
            }
            Maintenance::Cleanup { resource: None } => "clear all failed actions".to_owned(),
            Maintenance::Crash { node } => format!(
                "crash {} (reset without shutting down: its VMs restart on {})",
                hostname(design, *node),
                hostname(design, 1 - node)
            ),
            Maintenance::Fence { node } => format!(
                "fence {} through the cluster ({}: its VMs restart on {})",
                hostname(design, *node),
                fence_method(design),
                hostname(design, 1 - node)
            ),
            Maintenance::Rejoin { node } => format!(
                "wait for {} to boot and rejoin (VMs return per the failback policy: {})",
                hostname(design, *node),
                describe_failback(&design.cluster.failback)
            ),
        }
    }

    /// The shell command, run as root on the node [`Maintenance::runs_on`] names (Pacemaker's tools
    /// also honour `CIB_file`, which is how the tests run them against an offline CIB). None
    /// when the action only waits.
    pub fn command(&self, design: &Design) -> Option<String> {
        Some(match self {
            Maintenance::Standby { node } => format!(
                "crm_attribute --type nodes --node {} --name standby --update on",
                quote(hostname(design, *node))
            ),
            Maintenance::Online { node } => format!(
                "crm_attribute --type nodes --node {} --name standby --update off",
                quote(hostname(design, *node))
            ),
            Maintenance::Move { vm, to } => format!(
                "crm_resource --move --resource {} --node {}",
                quote(&xen_id(design, *vm)),
                quote(hostname(design, *to))
            ),
            Maintenance::Unmove { vm } => format!(
                "crm_resource --clear --resource {}",
                quote(&xen_id(design, *vm))
            ),
            Maintenance::Cleanup {
                resource: Some(resource),
            } => {
                format!("crm_resource --cleanup --resource {}", quote(resource))
            }
            Maintenance::Cleanup { resource: None } => "crm_resource --cleanup".to_owned(),
            // Detached, so that the command returns before the node goes; `sync` keeps dom0's
            // own files whole, the VMs get no warning. /proc/sysrq-trigger works whatever the
            // kernel.sysrq setting (which is for the keyboard).
            Maintenance::Crash { .. } => {
                "sync; nohup sh -c 'sleep 2; echo b > /proc/sysrq-trigger' >/dev/null 2>&1 &"
                    .to_owned()
            }
            // The fencer answers once the device has fenced the node (or failed to).
            Maintenance::Fence { node } => format!(
                "stonith_admin --reboot {} --timeout {FENCE_TIMEOUT_S}",
                quote(hostname(design, *node))
            ),
            Maintenance::Rejoin { .. } => return None,
        })
    }

    /// The node the command runs on: one that stays a full member, except for a crash, which
    /// only the node itself can do.
    pub fn runs_on(&self) -> usize {
        match self {
            Maintenance::Standby { node } | Maintenance::Fence { node } => 1 - node,
            Maintenance::Crash { node } => *node,
            _ => 0,
        }
    }

    /// The nodes whose view of the cluster counts while the action settles: with a node crashed
    /// or fenced (or booting) only the other one answers.
    pub fn observed_from(&self) -> [bool; 2] {
        match self {
            Maintenance::Crash { node }
            | Maintenance::Fence { node }
            | Maintenance::Rejoin { node } => {
                let mut observed = [true; 2];
                observed[*node] = false;
                observed
            }
            _ => [true; 2],
        }
    }

    /// Whether the cluster allows the action now. Refuses what would stop VMs: putting a node
    /// in standby, or moving a VM to it, while the other node cannot take its VMs.
    pub fn readiness(&self, design: &Design, now: &Status) -> Readiness {
        let cluster = &now.cluster;
        let usable = |node: usize| {
            let name = hostname(design, node);
            cluster
                .nodes
                .iter()
                .find(|state| state.name == name)
                .map_or("unknown to the cluster", |state| state.condition())
        };
        match self {
            Maintenance::Standby { node } => {
                let other = 1 - node;
                if usable(*node) == "standby" {
                    return Readiness::AlreadyDone(format!(
                        "{} is already in standby",
                        hostname(design, *node)
                    ));
                }
                match usable(other) {
                    "online" => Readiness::Ready,
                    condition => Readiness::Refused(format!(
                        "{} is {condition}: with {} in standby no node could run the VMs; bring {} online first",
                        hostname(design, other),
                        hostname(design, *node),
                        hostname(design, other)
                    )),
                }
            }
            Maintenance::Online { node } => match usable(*node) {
                "standby" => Readiness::Ready,
                "online" => {
                    Readiness::AlreadyDone(format!("{} is online already", hostname(design, *node)))
                }
                condition => Readiness::Refused(format!(
                    "{} is {condition}: start it (and its cluster services) first",
                    hostname(design, *node)
                )),
            },
            Maintenance::Move { vm, to } => {
                if cluster.vm_node(&design.vms[*vm].name).as_deref() == Some(hostname(design, *to))
                {
                    return Readiness::AlreadyDone(format!(
                        "{} runs on {} already",
                        design.vms[*vm].name,
                        hostname(design, *to)
                    ));
                }
                match usable(*to) {
                    "online" => Readiness::Ready,
                    condition => Readiness::Refused(format!(
                        "{} is {condition}: it cannot take {}",
                        hostname(design, *to),
                        design.vms[*vm].name
                    )),
                }
            }
            Maintenance::Unmove { .. } => Readiness::Ready,
            Maintenance::Fence { node } => {
                if let Some(why) = fence_refusal(design, *node, cluster) {
                    return Readiness::Refused(why);
                }
                Maintenance::Crash { node: *node }.readiness(design, now)
            }
            Maintenance::Crash { node } => {
                let (name, other) = (hostname(design, *node), hostname(design, 1 - node));
                if usable(*node) != "online" {
                    return Readiness::Refused(format!(
                        "{name} is {}: the drill crashes a node that runs VMs; bring it online first",
                        usable(*node)
                    ));
                }
                if usable(1 - node) != "online" {
                    return Readiness::Refused(format!(
                        "{other} is {}: with {name} crashed no node could run the VMs; bring {other} online first",
                        usable(1 - node)
                    ));
                }
                match replicated(design, now) {
                    Ok(()) => Readiness::Ready,
                    Err(why) => Readiness::Refused(format!(
                        "{why}: {other} could not take over with current data; wait for the resync"
                    )),
                }
            }
            Maintenance::Rejoin { .. } => Readiness::Ready,
            Maintenance::Cleanup { resource } => {
                let failing = cluster.failures.iter().any(|failure| {
                    resource
                        .as_ref()
                        .is_none_or(|resource| &failure.resource == resource)
                });
                if failing {
                    Readiness::Ready
                } else {
                    Readiness::AlreadyDone("no failed actions to clear".to_owned())
                }
            }
        }
    }

    /// Whether the cluster has settled after the action, given where the VMs ran before it:
    /// `Ok` when it has, otherwise what still differs.
    pub fn settled(
        &self,
        design: &Design,
        before: &[Placement],
        now: &Status,
    ) -> Result<(), String> {
        let placements = now.placements(design);
        for (placement, vm) in placements.iter().zip(&design.vms) {
            running_whole(placement, vm.console_ip.is_some())?;
        }
        let failback = &design.cluster.failback;
        let where_now = |vm: usize| placements[vm].running_on.clone().unwrap_or_default();
        let was = |vm: usize| {
            before
                .get(vm)
                .and_then(|placement| placement.running_on.clone())
                .unwrap_or_default()
        };
        let home = |vm: usize| hostname(design, design.vms[vm].home).to_owned();
        let expect = |vm: usize, wanted: &[String]| -> Result<(), String> {
            let now = where_now(vm);
            if wanted.contains(&now) {
                Ok(())
            } else {
                Err(format!(
                    "{} runs on {now}, expected on {}",
                    design.vms[vm].name,
                    wanted.join(" or ")
                ))
            }
        };
        // Where the failback policy lets a VM be once nothing pins it.
        let by_policy = |vm: usize| -> Vec<String> {
            match failback {
                Failback::ReturnHome {} => vec![home(vm)],
                Failback::Stay {} => vec![was(vm)],
                // The nodes' clocks decide; either is right.
                Failback::Window { .. } => vec![home(vm), was(vm)],
            }
        };
        match self {
            // A crash or a fence also needs the node seen out of the cluster: [`CrashWitness`].
            Maintenance::Standby { node }
            | Maintenance::Crash { node }
            | Maintenance::Fence { node } => {
                let name = hostname(design, *node);
                let other = hostname(design, 1 - node).to_owned();
                for vm in 0..design.vms.len() {
                    expect(vm, std::slice::from_ref(&other))?;
                }
                if let Some(instance) = now.cluster.instances.iter().find(|i| i.node == name) {
                    return Err(format!("{} still runs {}", name, instance.resource));
                }
                Ok(())
            }
            Maintenance::Online { node } | Maintenance::Rejoin { node } => {
                let name = hostname(design, *node);
                if !now
                    .cluster
                    .nodes
                    .iter()
                    .any(|state| state.name == name && state.condition() == "online")
                {
                    return Err(format!("{name} is not online yet"));
                }
                replicated(design, now)?;
                (0..design.vms.len()).try_for_each(|vm| expect(vm, &by_policy(vm)))
            }
            Maintenance::Move { vm, to } => {
                expect(*vm, &[hostname(design, *to).to_owned()])?;
                for other in (0..design.vms.len()).filter(|other| other != vm) {
                    expect(other, &[was(other)])?;
                }
                Ok(())
            }
            Maintenance::Unmove { vm } => expect(*vm, &by_policy(*vm)),
            Maintenance::Cleanup { resource } => {
                match now.cluster.failures.iter().find(|failure| {
                    resource
                        .as_ref()
                        .is_none_or(|resource| &failure.resource == resource)
                }) {
                    Some(failure) => Err(format!(
                        "{} still shows a failed {} on {}",
                        failure.resource, failure.task, failure.node
                    )),
                    None => Ok(()),
                }
            }
        }
    }
}

/// What a crash (or a fence) has shown so far, over the looks at the cluster: the node out of
/// the cluster, and the other node running every VM. Not necessarily in the same look: a node that boots
/// fast is back before its VMs have restarted on the other one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrashWitness {
    left: bool,
    taken_over: bool,
}

impl CrashWitness {
    /// Takes in one look at the cluster after `node`'s reset: `Ok` once both were seen,
    /// otherwise what is still missing.
    pub fn observe(
        &mut self,
        design: &Design,
        node: usize,
        before: &[Placement],
        now: &Status,
    ) -> Result<(), String> {
        let name = hostname(design, node);
        self.left |= !now
            .cluster
            .nodes
            .iter()
            .any(|state| state.name == name && state.online);
        let taken_over = Maintenance::Crash { node }.settled(design, before, now);
        self.taken_over |= taken_over.is_ok();
        match (self.left, self.taken_over) {
            (true, true) => Ok(()),
            (false, _) => Err(format!("{name} is still in the cluster")),
            (true, false) => taken_over,
        }
    }
}

/// The drill: each node taken away and back as `kind` says, node1 first; after each step every
/// VM must run where the step says.
pub fn drill(design: &Design, kind: DrillKind) -> Vec<Maintenance> {
    drill_of(0..design.nodes.len(), kind)
}

/// The drill of `nodes`, in order: in standby and back, or crashed (or fenced) and rejoined.
pub fn drill_of(nodes: impl IntoIterator<Item = usize>, kind: DrillKind) -> Vec<Maintenance> {
    nodes
        .into_iter()
        .flat_map(|node| match kind {
            DrillKind::Standby => [Maintenance::Standby { node }, Maintenance::Online { node }],
            DrillKind::Hard => [Maintenance::Crash { node }, Maintenance::Rejoin { node }],
            DrillKind::Fence => [Maintenance::Fence { node }, Maintenance::Rejoin { node }],
        })
        .collect()
}

/// Why a drill of `kind` cannot run on this design at all, whatever the cluster's state: a
/// fence drill without fencing. The CLI says so before connecting; the Manage page does not
/// offer it.
pub fn drill_unavailable(design: &Design, kind: DrillKind) -> Option<String> {
    (kind == DrillKind::Fence && !design.fences()).then(|| {
        "the cluster has no fencing (cluster.fencing = none), so nothing can fence a node; \
         choose IPMI or SBD (the Cluster page, or [cluster.fencing] in the profile) and apply \
         first"
            .to_owned()
    })
}

/// Why the cluster cannot fence `node` on purpose now: no fencing in the design, or the device
/// that fences it not running or failing its checks (a fence through it would fail too).
fn fence_refusal(design: &Design, node: usize, cluster: &ClusterState) -> Option<String> {
    if let Some(why) = drill_unavailable(design, DrillKind::Fence) {
        return Some(why);
    }
    let name = hostname(design, node);
    let devices = fence_devices(design, cluster);
    let Some(device) = devices
        .iter()
        .find(|device| device.fences.iter().any(|fenced| fenced == name))
    else {
        return Some(format!(
            "no fence device fences {name}: apply the profile first"
        ));
    };
    (!device.healthy()).then(|| {
        format!(
            "{}: fix it (the BMC or the disk it uses) and clear its failure first",
            device.describe()
        )
    })
}

fn fence_method(design: &Design) -> &'static str {
    match design.cluster.fencing {
        Fencing::Ipmi {} => "its BMC power-cycles it",
        Fencing::Sbd { .. } => "SBD has its watchdog reset it",
        Fencing::None { .. } => "no fencing configured",
    }
}

/// A VM runs as a whole: its domain on one node, its DRBD resource Promoted there, its console
/// IP there too.
fn running_whole(placement: &Placement, has_console_ip: bool) -> Result<(), String> {
    let Some(node) = &placement.running_on else {
        return Err(format!("{} is not running", placement.vm));
    };
    if !placement.promoted_on.contains(node) {
        return Err(format!(
            "{} runs on {node} but its DRBD resource is not Promoted there",
            placement.vm
        ));
    }
    if has_console_ip && placement.console_ip_on.as_ref() != Some(node) {
        return Err(format!("{}'s console IP is not up on {node}", placement.vm));
    }
    Ok(())
}

/// Every VM's DRBD resource is connected with UpToDate data on both nodes, as every node
/// observed says (one node's view holds its peer's disk state too).
fn replicated(design: &Design, now: &Status) -> Result<(), String> {
    if now.drbd.is_empty() {
        return Err("no node's DRBD state was read".to_owned());
    }
    for vm in &design.vms {
        for node in &design.nodes {
            let Some(observed) = now.drbd.iter().find(|drbd| drbd.node == node.hostname) else {
                continue;
            };
            let resource = observed.resources.iter().find(|r| r.name == vm.name);
            match resource {
                Some(resource)
                    if resource.connection == "Connected"
                        && resource.disk == "UpToDate"
                        && resource.peer_disk == "UpToDate" => {}
                Some(resource) => {
                    return Err(format!(
                        "DRBD {} on {}: {} {}/{}{}",
                        vm.name,
                        node.hostname,
                        resource.connection,
                        resource.disk,
                        resource.peer_disk,
                        resource
                            .sync_percent
                            .map_or(String::new(), |percent| format!(", sync {percent:.1}%"))
                    ));
                }
                None => return Err(format!("DRBD {} is not up on {}", vm.name, node.hostname)),
            }
        }
    }
    Ok(())
}

fn hostname(design: &Design, node: usize) -> &str {
    &design.nodes[node].hostname
}

fn xen_id(design: &Design, vm: usize) -> String {
    PacemakerIds::for_vm(&design.vms[vm].name).xen
}

fn describe_failback(failback: &Failback) -> String {
    match failback {
        Failback::ReturnHome {} => "return home".to_owned(),
        Failback::Stay {} => "stay".to_owned(),
        Failback::Window {
            start_hour,
            end_hour,
        } => format!("return home between {start_hour}:00 and {end_hour}:00"),
    }
}

#[cfg(test)]
mod tests;
