//! The rendered Pacemaker configuration, loaded by the real crmsh into an offline CIB (crmsh
//! checks every agent parameter against the installed agents), verified by `crm_verify`, and run
//! through the real scheduler with `crm_simulate`: every VM starts on its home node, moves when
//! that node fails, and comes back (or not) per the failback policy. Every check runs with
//! Debian 12's Pacemaker 2.1 and crmsh 4.4 and with Debian 13's Pacemaker 3.0 and crmsh 5.0, on
//! the profile rendered for that release.

use crate::common;
use crate::common::tools::Tools;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;
use wizard_steps::Design;
use wizard_steps::cluster_state::{ClusterState, parse_crm_mon};
use wizard_steps::cluster_state::{DrbdResource, NodeDrbd};
use wizard_steps::manage::{CrashWitness, DrillKind, Maintenance, Readiness, Status};
use wizard_steps::protection::fence_devices;
use wizard_steps::render::PacemakerIds;

/// What crmsh prints about any offline CIB: stonith off in a CIB without a live cluster.
const OFFLINE_CIB_NOISE: [&str; 2] = [
    "Blind faith: not fencing unseen nodes",
    "Fencing and resource management disabled due to lack of quorum",
];

/// An offline CIB in a directory of its own, driven through the real Pacemaker tools.
struct Cib {
    dir: TempDir,
    tools: Tools,
    design: Design,
    /// The scheduler's clock (ISO 8601), for time-based failback rules.
    now: Option<String>,
}

impl Cib {
    /// Renders the profile for the tools' release with `tandem render` and loads it into a
    /// fresh CIB whose two nodes have joined, as on a cluster whose corosync is up.
    fn load(tools: &Tools, profile: &Path) -> Cib {
        let profile = tools.profile(profile);
        let cib = Cib::with_nodes(tools, common::design(&profile));
        let rendered = common::render(&profile, &[]);
        cib.crm_load(&rendered.path().join("cluster.crm"));
        cib
    }

    /// An empty CIB that knows the design's two nodes. They are added with cibadmin, as
    /// corosync's membership adds them: crmsh 5 refuses `node NAME` in an offline CIB.
    fn with_nodes(tools: &Tools, design: Design) -> Cib {
        let dir = TempDir::new().expect("temporary directory");
        let empty = common::run(tools.command("cibadmin").arg("--empty"));
        common::assert_success(&empty, "cibadmin --empty");
        fs::write(dir.path().join("cib.xml"), &empty.stdout).expect("write the CIB");
        let cib = Cib {
            dir,
            tools: tools.clone(),
            design,
            now: None,
        };
        for node in &cib.design.nodes {
            let xml = format!(r#"<node id="{0}" uname="{0}"/>"#, node.hostname);
            let output = common::run(
                cib.tool("cibadmin")
                    .args(["--create", "-o", "nodes", "--xml-text"])
                    .arg(&xml),
            );
            common::assert_success(&output, &format!("cibadmin --create {xml}"));
        }
        cib
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("cib.xml")
    }

    fn tool(&self, name: &str) -> Command {
        self.offline(self.tools.command(name))
    }

    /// A shell command line (a plan's or an action's) run against this CIB.
    fn shell(&self, command_line: &str) -> Command {
        let mut command = self.tools.command("sh");
        command.arg("-c").arg(command_line);
        self.offline(command)
    }

    /// Points a command at this CIB file. crmsh creates ~/.cache/crm on its first run and fails
    /// when a parallel test made it first (seen on a fresh machine), so each CIB also gives its
    /// commands a home of their own.
    fn offline(&self, mut command: Command) -> Command {
        let home = self.dir.path();
        command
            .env("CIB_file", self.path())
            .env("HOME", home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_CONFIG_HOME", home.join(".config"));
        command
    }

    /// `crm configure load update FILE`; fails on an error or on any warning beyond the
    /// offline-CIB noise (crmsh warns, for example, about unknown agent parameters).
    fn crm_load(&self, file: &Path) {
        let output = common::run(
            self.tool("crm")
                .args(["configure", "load", "update"])
                .arg(file),
        );
        let messages = common::strip_ansi(&format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
        let unexpected: Vec<&str> = messages
            .lines()
            .map(str::trim)
            .filter(|line| {
                !line.is_empty() && !OFFLINE_CIB_NOISE.iter().any(|noise| line.contains(noise))
            })
            .collect();
        assert!(
            output.status.success() && unexpected.is_empty(),
            "crm configure load update {} said:\n{}",
            file.display(),
            unexpected.join("\n")
        );
    }

    fn verify(&self) {
        let output = common::run(self.tool("crm_verify").arg("-x").arg(self.path()));
        common::assert_success(&output, "crm_verify");
    }

    /// One scheduler run, written back into the CIB; the two-node cluster keeps quorum.
    fn simulate(&self, events: &[&str]) {
        let mut command = self.tool("crm_simulate");
        command
            .arg("-x")
            .arg(self.path())
            .args(["-X", "-Q", "-q", "true"])
            .args(events);
        if let Some(now) = &self.now {
            command.args(["-t", now]);
        }
        let output = common::run(&mut command);
        common::assert_success(&output, &format!("crm_simulate {events:?}"));
    }

    /// Sets the promotion scores the DRBD agent's monitor would set on a node with UpToDate data.
    fn inject_promotion_scores(&self, node: &str) {
        for vm in &self.design.vms {
            let ids = PacemakerIds::for_vm(&vm.name);
            let output = common::run(
                self.tool("crm_attribute")
                    .args(["-N", node, "-l", "reboot"])
                    .arg(format!("--promotion={}", ids.drbd))
                    .args(["-v", "10000"]),
            );
            common::assert_success(&output, "crm_attribute --promotion");
        }
    }

    /// Both nodes come up, DRBD reports UpToDate on both, the cluster settles.
    fn start_cluster(&self) {
        let up: Vec<&str> = self
            .design
            .nodes
            .iter()
            .flat_map(|node| ["-u", node.hostname.as_str()])
            .collect();
        self.simulate(&up);
        for node in &self.design.nodes {
            self.inject_promotion_scores(&node.hostname);
        }
        self.simulate(&[]);
    }

    fn fail(&self, node: &str) {
        self.simulate(&["-f", node]);
        self.simulate(&[]);
    }

    /// The failed node boots again: its old state is gone, it joins, its DRBD resyncs to UpToDate.
    fn rejoin(&self, node: &str) {
        let xpath = format!("//node_state[@uname='{node}']");
        let output = common::run(self.tool("cibadmin").args(["--delete", "--xpath", &xpath]));
        common::assert_success(&output, "cibadmin --delete node_state");
        self.simulate(&["-u", node]);
        self.inject_promotion_scores(node);
        self.simulate(&[]);
    }

    /// A copy of this CIB at its current state, with another clock.
    fn fork(&self, now: Option<&str>) -> Cib {
        let dir = TempDir::new().expect("temporary directory");
        fs::copy(self.path(), dir.path().join("cib.xml")).expect("copy the CIB");
        Cib {
            dir,
            tools: self.tools.clone(),
            design: self.design.clone(),
            now: now.map(str::to_owned),
        }
    }

    /// Where each active resource runs, from `crm_mon --output-as=xml`, read by the same
    /// parser `tandem status` uses.
    fn placement(&self) -> ClusterState {
        let output = common::run(self.tool("crm_mon").args(["-1", "--output-as=xml"]));
        common::assert_success(&output, "crm_mon");
        parse_crm_mon(&String::from_utf8_lossy(&output.stdout)).expect("crm_mon XML")
    }

    /// Runs a maintenance action's own command against this CIB with `sh`, as `tandem` runs it
    /// on a node, then lets the scheduler carry out what follows. Returns the scheduler's first
    /// transition graph (XML): the actions it planned.
    fn perform(&self, action: &Maintenance) -> String {
        let command = action
            .command(&self.design)
            .expect("the action runs a command");
        let output = common::run(&mut self.shell(&command));
        common::assert_success(&output, &command);
        let graph = self.transition_graph(&[]);
        self.simulate(&[]);
        graph
    }

    /// One scheduler run after `events` (crm_simulate's `-f NODE`, ...), whose transition is
    /// carried out and written back into the CIB, like [`Cib::simulate`]; returns that
    /// transition's graph (XML): the actions it planned.
    fn transition_graph(&self, events: &[&str]) -> String {
        let graph = self.dir.path().join("graph.xml");
        let mut simulate = self.tool("crm_simulate");
        simulate
            .arg("-x")
            .arg(self.path())
            .args(["-X", "-Q", "-q", "true"])
            .args(events)
            .arg("-G")
            .arg(&graph);
        common::assert_success(&common::run(&mut simulate), "crm_simulate -G");
        fs::read_to_string(graph).expect("the transition graph")
    }

    /// What `tandem` observes: this CIB's crm_mon, and DRBD connected and UpToDate on both nodes
    /// (the offline cluster has no DRBD; the promotion scores stand for it).
    fn status(&self) -> Status {
        let drbd = self
            .design
            .nodes
            .iter()
            .map(|node| NodeDrbd {
                node: node.hostname.clone(),
                resources: self
                    .design
                    .vms
                    .iter()
                    .map(|vm| DrbdResource {
                        name: vm.name.clone(),
                        role: "Secondary".into(),
                        peer_role: "Primary".into(),
                        connection: "Connected".into(),
                        disk: "UpToDate".into(),
                        peer_disk: "UpToDate".into(),
                        sync_percent: None,
                    })
                    .collect(),
            })
            .collect();
        Status {
            cluster: self.placement(),
            drbd,
            votes: Vec::new(),
        }
    }

    /// Performs `action` as `tandem` does: it must be ready, and the cluster must settle after
    /// it by the action's own test.
    fn maintain(&self, action: &Maintenance) -> String {
        let before = self.status();
        assert_eq!(
            action.readiness(&self.design, &before),
            Readiness::Ready,
            "{action:?}"
        );
        let graph = self.perform(action);
        let after = self.status();
        assert_eq!(
            action.settled(&self.design, &before.placements(&self.design), &after),
            Ok(()),
            "{action:?} did not settle; the cluster shows {:?}",
            after.cluster.instances
        );
        graph
    }

    /// What `tandem` observes during a hard-drill step: only the nodes the action counts on,
    /// and with a node gone their DRBD waits for the peer.
    fn observed(&self, action: &Maintenance) -> Status {
        let mut status = self.status();
        status.drbd = (status.drbd.into_iter())
            .zip(action.observed_from())
            .filter_map(|(drbd, observed)| observed.then_some(drbd))
            .collect();
        if status.cluster.nodes.iter().any(|node| !node.online) {
            for resource in status.drbd.iter_mut().flat_map(|node| &mut node.resources) {
                resource.connection = "Connecting".into();
                resource.peer_disk = "DUnknown".into();
                resource.peer_role = "Unknown".into();
            }
        }
        status
    }

    /// A hard-drill step as the testbed lives it, with the scheduler's own node failure for the
    /// reset (which cannot run here) and a boot for the rejoin; it must be ready before and
    /// settled after, by the action's own tests on the survivor's view.
    fn crash_or_rejoin(&self, action: &Maintenance) {
        let before = self.observed(action);
        assert_eq!(
            action.readiness(&self.design, &before),
            Readiness::Ready,
            "{action:?}"
        );
        match action {
            // A fence on purpose leaves the node as a crash does: gone at once, and fenced.
            Maintenance::Crash { node } | Maintenance::Fence { node } => {
                self.fail(self.hostname(*node))
            }
            Maintenance::Rejoin { node } => self.rejoin(self.hostname(*node)),
            other => panic!("not a hard-drill step: {other:?}"),
        }
        let after = self.observed(action);
        let before = before.placements(&self.design);
        let verdict = match action {
            Maintenance::Crash { node } | Maintenance::Fence { node } => {
                CrashWitness::default().observe(&self.design, *node, &before, &after)
            }
            _ => action.settled(&self.design, &before, &after),
        };
        assert_eq!(
            verdict,
            Ok(()),
            "{action:?} did not settle; the cluster shows {:?}",
            after.cluster
        );
    }

    fn hostname(&self, index: usize) -> &str {
        &self.design.nodes[index].hostname
    }

    /// Asserts that every VM (domain, console IP, Promoted DRBD) runs on the node `expected`
    /// names for it.
    fn assert_vms_on(
        &self,
        situation: &str,
        expected: impl Fn(&wizard_steps::validate::VmDesign) -> usize,
    ) {
        let placement = self.placement();
        for vm in &self.design.vms {
            let node = self.hostname(expected(vm));
            let ids = PacemakerIds::for_vm(&vm.name);
            let mut wanted = vec![(ids.xen.clone(), "Started"), (ids.drbd.clone(), "Promoted")];
            if vm.console_ip.is_some() {
                wanted.push((ids.ip.clone(), "Started"));
            }
            for (id, role) in wanted {
                assert_eq!(
                    placement.nodes_in_role(&id, role),
                    vec![node.to_owned()],
                    "{situation}: {id} should be {role} on {node} only; the cluster shows {:?}",
                    placement
                        .instances
                        .iter()
                        .filter(|instance| instance.resource == id)
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}

fn home(vm: &wizard_steps::validate::VmDesign) -> usize {
    vm.home
}

/// Loads and starts the cluster, and verifies the result; every VM must then run at home.
/// (`crm_verify` runs once both nodes have joined: before that, with fencing on, it rightly
/// warns that nodes it has never seen are unclean.)
fn started(tools: &Tools, profile: &Path) -> Cib {
    let cib = Cib::load(tools, profile);
    cib.start_cluster();
    cib.verify();
    cib.assert_vms_on("both nodes up", home);
    cib
}

/// Fails `failed`, checks every VM runs on the other node, brings it back, and checks placement
/// against `after_return` (given the VM and the index of the node that failed).
fn fail_and_return(
    cib: &Cib,
    failed: usize,
    after_return: impl Fn(&wizard_steps::validate::VmDesign, usize) -> usize,
) {
    let survivor = 1 - failed;
    let failed_name = cib.hostname(failed).to_owned();
    cib.fail(&failed_name);
    cib.assert_vms_on(&format!("{failed_name} failed"), |_| survivor);
    cib.rejoin(&failed_name);
    cib.assert_vms_on(&format!("{failed_name} returned"), |vm| {
        after_return(vm, failed)
    });
}

#[test]
fn seed_cluster_fails_over_and_returns_home() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("seed"));
        fail_and_return(&cib, 0, |vm, _| vm.home);
        fail_and_return(&cib, 1, |vm, _| vm.home);
    }
}

#[test]
fn lab_cluster_with_stay_policy_keeps_vms_on_the_survivor() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("lab"));
        // node1 fails: its VM moves to node2 and stays there when node1 returns.
        fail_and_return(&cib, 0, |_, _| 1);
        // Now node2 runs everything; when it fails, all move to node1 and stay there.
        fail_and_return(&cib, 1, |_, _| 0);
    }
}

#[test]
fn lab_cluster_fences_through_the_other_nodes_device() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("lab"));
        let placement = cib.placement();
        for (index, node) in cib.design.nodes.iter().enumerate() {
            let device = format!("fence_{}", node.hostname);
            assert_eq!(
                placement.nodes_in_role(&device, "Started"),
                vec![cib.hostname(1 - index).to_owned()],
                "{device} must run on the other node"
            );
        }
        // What `tandem status` says of them, from the same crm_mon.
        let devices = fence_devices(&cib.design, &placement);
        assert_eq!(devices.len(), 2);
        for (device, node) in devices.iter().zip(&cib.design.nodes) {
            assert!(device.healthy(), "{device:?}");
            assert_eq!(device.fences, std::slice::from_ref(&node.hostname));
            assert!(
                device.describe().ends_with("its checks pass"),
                "{}",
                device.describe()
            );
        }
    }
}

/// The lab switched from IPMI to SBD: the new configuration loads beside the old devices
/// (`load update` never deletes), and the plan's own step then deletes them, their location
/// constraints with them; the configuration verifies and the step's check passes after.
#[test]
fn a_changed_fencing_method_leaves_no_fence_device_behind() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("lab"));
        let scratch = TempDir::new().expect("temporary directory");
        let sbd = scratch.path().join("lab.toml");
        let text = fs::read_to_string(common::example_profile("lab")).expect("the lab profile");
        fs::write(
            &sbd,
            text.replace(
                "method = \"ipmi\"",
                "method = \"sbd\"\ndevice = \"/dev/disk/by-id/virtio-sbd\"\nsoftdog = true",
            ),
        )
        .expect("write the SBD lab");
        let sbd = tools.profile(&sbd);
        let rendered = common::render(&sbd, &[]);
        cib.crm_load(&rendered.path().join("cluster.crm"));
        let plan = wizard_steps::plan::plan(&common::design(&sbd), &Default::default());
        let (_, step) = plan
            .steps()
            .find(|(_, step)| step.id == "stale-fence-devices@lab1")
            .expect("the plan's stale-device step");
        let wizard_steps::plan::Operation::Command {
            check: Some(check),
            apply,
            ..
        } = &step.operation
        else {
            panic!("a command with its check: {step:?}");
        };
        let holds = |command: &str| common::run(&mut cib.shell(command)).status.success();
        assert!(!holds(check), "{tools}: IPMI's devices are still there");
        let output = common::run(&mut cib.shell(apply));
        common::assert_success(&output, &format!("{tools}: {apply}"));
        assert!(holds(check), "{tools}: a stale device is left");
        let configuration = String::from_utf8_lossy(
            &common::run(cib.tool("cibadmin").args(["-Q", "-o", "configuration"])).stdout,
        )
        .into_owned();
        assert!(
            !configuration.contains("fence_lab1") && !configuration.contains("fence_lab2"),
            "{tools}: {configuration}"
        );
        assert!(configuration.contains("fence_sbd"), "{tools}");
        cib.simulate(&[]);
        cib.verify();
    }
}

#[test]
fn sbds_one_fence_device_runs_and_status_says_it_fences_both_nodes() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::test_profile("eight-vms"));
        let devices = fence_devices(&cib.design, &cib.placement());
        assert_eq!(devices.len(), 1, "{devices:?}");
        assert!(devices[0].healthy(), "{devices:?}");
        assert_eq!(devices[0].fences, ["alpha", "beta"]);
        // A node that fails is fenced, and the device stays with the survivor.
        cib.fail("beta");
        let devices = fence_devices(&cib.design, &cib.placement());
        assert_eq!(
            devices[0].running_on.as_deref(),
            Some("alpha"),
            "{devices:?}"
        );
    }
}

/// Every fencing method, through the scheduler: when a node fails, the survivor fences it
/// (IPMI in the lab, SBD for the eight VMs) and starts the failed node's VMs only after that;
/// without fencing (the seed) nothing is fenced and the VMs start at once.
#[test]
fn a_failed_node_is_fenced_before_its_vms_start_on_the_survivor() {
    for tools in &Tools::every_release() {
        for (profile, fences) in [
            (common::example_profile("lab"), true),
            (common::test_profile("eight-vms"), true),
            (common::example_profile("seed"), false),
        ] {
            let cib = started(tools, &profile);
            let (failed, survivor) = (cib.hostname(1).to_owned(), cib.hostname(0).to_owned());
            let text = cib.transition_graph(&["-f", &failed]);
            let graph = roxmltree::Document::parse(&text).expect("graph XML");
            let fencing = fencing_of(&graph, &failed);
            let what = format!("{} ({tools})", profile.display());
            assert_eq!(
                !fencing.is_empty(),
                fences,
                "{what}: fencing of {failed}\n{text}"
            );
            let moved: Vec<&wizard_steps::validate::VmDesign> =
                cib.design.vms.iter().filter(|vm| vm.home == 1).collect();
            assert!(!moved.is_empty(), "{what}: no VM at home on {failed}");
            for vm in moved {
                let key = format!("{}_start_0", PacemakerIds::for_vm(&vm.name).xen);
                let start = graph
                    .descendants()
                    .find(|action| {
                        action.attribute("operation_key") == Some(key.as_str())
                            && action.attribute("on_node") == Some(survivor.as_str())
                    })
                    .and_then(|action| action.attribute("id"))
                    .unwrap_or_else(|| panic!("{what}: no {key} on {survivor}\n{text}"));
                assert_eq!(
                    waits_for(&graph, start, &fencing),
                    fences,
                    "{what}: {key} waits for the fencing of {failed}"
                );
            }
            cib.simulate(&[]);
            cib.assert_vms_on(&format!("{failed} failed"), |_| 0);
        }
    }
}

#[test]
fn eight_vm_cluster_returns_home_only_inside_the_failback_window() {
    for tools in &Tools::every_release() {
        let profile = common::test_profile("eight-vms");
        for failed in [0, 1] {
            let cib = started(tools, &profile);
            let failed_name = cib.hostname(failed).to_owned();
            cib.fail(&failed_name);
            cib.assert_vms_on("a node failed", |_| 1 - failed);

            // At noon the window (22:00-06:00) is closed: the VMs stay on the survivor.
            let noon = cib.fork(Some("2026-11-25 12:00:00"));
            noon.rejoin(&failed_name);
            noon.assert_vms_on("returned at noon", |_| 1 - failed);

            // At 23:00 it is open: they go home.
            let night = cib.fork(Some("2026-11-25 23:00:00"));
            night.rejoin(&failed_name);
            night.assert_vms_on("returned at 23:00", home);

            // And the VMs that stayed at noon go home once the clock reaches the window.
            let later = noon.fork(Some("2026-11-26 02:30:00"));
            later.simulate(&[]);
            later.assert_vms_on("noon's cluster at 02:30", home);
        }
    }
}

/// BMC users full of crm and shell metacharacters, names with dots and dashes: the crm script
/// loads without a warning, crm_verify accepts it, the fence devices have exactly the profile's
/// users, and the cluster fails over and comes back per its failback window.
#[test]
fn the_hostile_profile_loads_with_its_values_intact_and_fails_over() {
    for tools in &Tools::every_release() {
        let profile = common::test_profile("hostile");
        let cib = started(tools, &profile);
        cib.verify();
        let xml = fs::read_to_string(cib.path()).expect("the CIB");
        let document = roxmltree::Document::parse(&xml).expect("the CIB parses");
        for node in &cib.design.nodes {
            let device = format!("fence_{}", node.hostname);
            let user = document
                .descendants()
                .find(|element| {
                    element.attribute("name") == Some("username")
                        && element
                            .ancestors()
                            .any(|parent| parent.attribute("id") == Some(device.as_str()))
                })
                .and_then(|element| element.attribute("value"));
            assert_eq!(
                user,
                node.bmc.as_ref().map(|bmc| bmc.user.as_str()),
                "{device}'s username"
            );
        }
        let primitives = document
            .descendants()
            .filter(|element| element.has_tag_name("primitive"))
            .count();
        // Per VM a DRBD, a Xen and (vm-1_A) an IP resource, and one fence device per node.
        assert_eq!(primitives, 2 + 2 + 1 + 2, "no resource was injected");
        let cib = cib.fork(Some("2026-11-25 23:00:00"));
        fail_and_return(&cib, 0, |vm, _| vm.home);
    }
}

#[test]
fn crm_load_rejects_an_unknown_agent_parameter() {
    for tools in &Tools::every_release() {
        let profile = common::example_profile("seed");
        let rendered = common::render(&profile, &[]);
        let broken = fs::read_to_string(rendered.path().join("cluster.crm"))
            .expect("rendered crm")
            .replace("xmfile=", "xenfile=");
        let file = rendered.path().join("broken.crm");
        fs::write(&file, broken).expect("write the broken configuration");
        let cib = Cib::load(tools, &profile);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cib.crm_load(&file)));
        assert!(
            result.is_err(),
            "crmsh accepted an unknown parameter of ocf:heartbeat:Xen"
        );
    }
}

/// The seed cluster with `live_migration = true`, loaded and started (not yet verified).
fn seed_with_live_migration_started(tools: &Tools) -> Cib {
    let text = fs::read_to_string(common::example_profile("seed"))
        .expect("seed profile")
        .replace("live_migration = false", "live_migration = true");
    let dir = TempDir::new().expect("temporary directory");
    let profile = dir.path().join("live.toml");
    fs::write(&profile, text).expect("write the profile");
    let cib = Cib::load(tools, &profile);
    cib.start_cluster();
    cib
}

#[test]
fn experimental_live_migration_promotes_both_sides_and_allows_migration() {
    for tools in &Tools::every_release() {
        let cib = seed_with_live_migration_started(tools);
        cib.verify();
        let placement = cib.placement();
        for vm in &cib.design.vms {
            let ids = PacemakerIds::for_vm(&vm.name);
            assert_eq!(
                placement.nodes_in_role(&ids.xen, "Started"),
                vec![cib.hostname(vm.home).to_owned()]
            );
            let mut promoted = placement.nodes_in_role(&ids.drbd, "Promoted");
            promoted.sort();
            assert_eq!(
                promoted,
                ["node1", "node2"],
                "dual-primary DRBD is Promoted on both nodes"
            );
        }
        let xml = fs::read_to_string(cib.path()).expect("CIB");
        assert!(xml.contains(r#"name="allow-migrate" value="true""#));
    }
}

/// The plan's own check for "the configuration is loaded" and its load command, run by `sh`
/// against an offline CIB (cibadmin and crm follow CIB_file): the check fails before the load,
/// holds after it, and a second load changes nothing.
#[test]
fn the_plans_load_check_tells_loaded_from_not_loaded() {
    for tools in &Tools::every_release() {
        use wizard_steps::plan::{Operation, plan};
        let profile = tools.profile(&common::example_profile("seed"));
        let design = common::design(&profile);
        let facts = wizard_steps::facts::NodeFacts::default();
        let plan = plan(&design, &[facts.clone(), facts]);
        let (_, load) = plan
            .steps()
            .find(|(_, step)| step.id == "crm-load@node1")
            .expect("a load step");
        let Operation::Command { check, apply, .. } = &load.operation else {
            panic!("a command");
        };
        let rendered = common::render(&profile, &[]);
        let crm = rendered.path().join("cluster.crm").display().to_string();
        let check = check
            .as_deref()
            .expect("a check")
            .replace("/etc/tandem/cluster.crm", &crm);
        let apply = apply.replace("/etc/tandem/cluster.crm", &crm);

        let fresh_cib = Cib::with_nodes(tools, design.clone());
        let sh = |command: &str| common::run(&mut fresh_cib.shell(command));
        assert!(
            !sh(&check).status.success(),
            "the check passed on a CIB without the configuration"
        );
        common::assert_success(&sh(&apply), "the plan's load command");
        assert!(
            sh(&check).status.success(),
            "the check fails right after the load"
        );
        let epoch = |xml: &str| {
            xml.split(" epoch=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        };
        let before = epoch(&fs::read_to_string(fresh_cib.path()).expect("cib"));
        common::assert_success(&sh(&apply), "loading again");
        assert_eq!(
            epoch(&fs::read_to_string(fresh_cib.path()).expect("cib")),
            before,
            "a second load changed the CIB"
        );
    }
}

/// The failover drill's actions, each run with its own command through the real scheduler: a
/// node in standby hands every VM to the other node, and online brings back those whose home it
/// is (seed: return home), for node1 and then node2.
#[test]
fn the_drill_moves_every_vm_off_a_standby_node_and_back_home() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("seed"));
        for action in wizard_steps::manage::drill(&cib.design, DrillKind::Standby) {
            cib.maintain(&action);
            match action {
                Maintenance::Standby { node } => cib.assert_vms_on("standby", |_| 1 - node),
                _ => cib.assert_vms_on("online", home),
            }
        }
    }
}

/// The hard drill through the real scheduler: a crashed node's VMs restart on the other node,
/// and return home (seed: return home) once it has booted and rejoined; node1, then node2. A
/// crash is refused while the other node is still away.
#[test]
fn the_hard_drill_restarts_a_crashed_nodes_vms_on_the_other_and_brings_them_home() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("seed"));
        for action in wizard_steps::manage::drill(&cib.design, DrillKind::Hard) {
            cib.crash_or_rejoin(&action);
            match action {
                Maintenance::Crash { node } => {
                    cib.assert_vms_on("crash", |_| 1 - node);
                    let Readiness::Refused(why) = (Maintenance::Crash { node: 1 - node })
                        .readiness(&cib.design, &cib.observed(&action))
                    else {
                        panic!("a crash of the only node left was allowed");
                    };
                    assert!(why.contains("is offline"), "{why}");
                }
                _ => cib.assert_vms_on("rejoined", home),
            }
        }
    }
}

/// The fence drill through the real scheduler, on the lab (IPMI fencing, the "stay" policy):
/// it is ready only with lab1's fence device running on lab2, the fenced node's VMs then run
/// on lab2, and stay there when lab1 rejoins.
#[test]
fn the_fence_drill_hands_the_fenced_nodes_vms_over_and_they_stay_by_policy() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("lab"));
        for action in wizard_steps::manage::drill_of([0], DrillKind::Fence) {
            cib.crash_or_rejoin(&action);
            cib.assert_vms_on(&format!("{action:?}"), |_| 1);
        }
    }
}

/// With the "stay" policy the VMs stay on the node that took them when the other comes back.
#[test]
fn the_drill_with_the_stay_policy_leaves_the_vms_where_they_went() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("lab"));
        cib.maintain(&Maintenance::Standby { node: 0 });
        cib.maintain(&Maintenance::Online { node: 0 });
        cib.assert_vms_on("node1 back online", |_| 1);
    }
}

/// The cluster refuses a standby that would leave no node for the VMs.
#[test]
fn a_second_standby_is_refused_while_the_first_node_is_in_standby() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("seed"));
        cib.maintain(&Maintenance::Standby { node: 0 });
        let Readiness::Refused(why) =
            Maintenance::Standby { node: 1 }.readiness(&cib.design, &cib.status())
        else {
            panic!("standby of node2 allowed while node1 is in standby");
        };
        assert!(why.contains("node1 is standby"), "{why}");
    }
}

/// A VM moved by hand runs on the chosen node (DRBD promoted there with it), the other VM
/// stays; letting it go sends it home again.
#[test]
fn a_vm_moved_by_hand_runs_there_until_it_is_let_go() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("seed"));
        let vm = cib
            .design
            .vms
            .iter()
            .position(|vm| vm.home == 1)
            .expect("a VM at home on node2");
        cib.maintain(&Maintenance::Move { vm, to: 0 });
        cib.assert_vms_on("moved to node1", |_| 0);
        cib.maintain(&Maintenance::Unmove { vm });
        cib.assert_vms_on("let go", home);
    }
}

/// Live migration (the seed's dual-primary variant): moving a running VM is a migration
/// (migrate_to on the old node, migrate_from on the new), not a stop and a start, also for the VM
/// with a console IP (the IP moves first; its order is advisory so that it does not force a
/// restart).
#[test]
fn live_migration_moves_a_running_vm_by_migrating_it() {
    for tools in &Tools::every_release() {
        let cib = seed_with_live_migration_started(tools);
        let vm = &cib.design.vms[0];
        assert_eq!(vm.home, 0, "the seed's first VM lives on node1");
        let xen = PacemakerIds::for_vm(&vm.name).xen;
        let graph = cib.maintain(&Maintenance::Move { vm: 0, to: 1 });
        let document = roxmltree::Document::parse(&graph).expect("graph XML");
        let operations: Vec<(String, String)> = document
            .descendants()
            .filter(|node| node.has_tag_name("rsc_op"))
            .filter(|node| {
                node.descendants().any(|child| {
                    child.has_tag_name("primitive") && child.attribute("id") == Some(&xen)
                })
            })
            .map(|node| {
                (
                    node.attribute("operation").unwrap_or_default().to_owned(),
                    node.attribute("on_node").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let has = |operation: &str, node: &str| {
            operations
                .iter()
                .any(|(op, on)| op == operation && on == node)
        };
        assert!(
            has("migrate_to", "node1") && has("migrate_from", "node2"),
            "no migration of {xen} planned: {operations:?}"
        );
        assert!(
            !has("start", "node2"),
            "{xen} would be started afresh on node2: {operations:?}"
        );
    }
}

/// Adding a VM to a running cluster: the plan loads the new configuration with `crm configure
/// load update`; the scheduler then starts only the new VM (its DRBD promoted at home) and
/// leaves the running ones alone.
#[test]
fn a_vm_added_to_a_running_cluster_starts_alone() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("seed"));
        let bigger = tools.profile(&common::test_profile("seed-plus-one-vm"));
        let rendered = common::render(&bigger, &[]);
        cib.crm_load(&rendered.path().join("cluster.crm"));
        let touched = resources_in_graph(&cib.transition_graph(&[]));
        assert!(
            touched.iter().all(|resource| resource.ends_with("Win2016")),
            "the new configuration touched running resources: {touched:?}"
        );
        let grown = Cib {
            dir: cib.dir,
            tools: tools.clone(),
            design: common::design(&bigger),
            now: None,
        };
        grown.inject_promotion_scores("node1");
        grown.inject_promotion_scores("node2");
        grown.simulate(&[]);
        grown.verify();
        grown.assert_vms_on("after adding Win2016", home);
    }
}

/// Retiring a VM gone from the profile: the plan's own command (with the scheduler standing in
/// for `crm_resource --wait`) stops its resources and deletes them with their constraints; the
/// other VM keeps running untouched.
#[test]
fn a_vm_removed_from_the_profile_is_stopped_and_deleted_alone() {
    for tools in &Tools::every_release() {
        let cib = started(tools, &common::example_profile("seed"));
        retire_win2012_2(tools, &cib);
    }
}

/// Removes Win2012-2 from the seed profile and runs the plan's retire step for it against `cib`
/// (the seed cluster, started), with the scheduler standing in for `crm_resource --wait`: it
/// must stop and delete Win2012-2's resources alone and leave Win2012 on node1.
fn retire_win2012_2(tools: &Tools, cib: &Cib) {
    use wizard_steps::plan::{Operation, plan};
    let smaller_text = fs::read_to_string(common::example_profile("seed"))
        .expect("seed")
        .split("\n[[vms]]")
        .take(2)
        .collect::<Vec<_>>()
        .join("\n[[vms]]")
        .replace(
            "\n[[storage.volumes]]\nname = \"Win2012-2\"\nsize = \"40G\"\n",
            "",
        );
    let dir = TempDir::new().expect("temporary directory");
    let smaller = dir.path().join("smaller.toml");
    fs::write(&smaller, smaller_text).expect("write the profile");
    let design = common::design(&tools.profile(&smaller));
    assert_eq!(design.vms.len(), 1, "Win2012-2 is gone from the profile");
    let facts = wizard_steps::facts::NodeFacts {
        tandem_vms: vec!["Win2012".into(), "Win2012-2".into()],
        ..Default::default()
    };
    let plan = plan(&design, &[facts.clone(), facts]);
    let (_, retire) = plan
        .steps()
        .find(|(_, step)| step.id == "retire-resources:Win2012-2@node1")
        .expect("the retire step");
    let Operation::Command { check, apply, .. } = &retire.operation else {
        panic!("a command");
    };
    let sh = |command: &str| common::run(&mut cib.shell(command));
    let check = check.as_deref().expect("a check");
    assert!(!sh(check).status.success(), "the check passed before");
    let graph = cib.dir.path().join("graph.xml");
    let apply = apply.replace(
        "crm_resource --wait --timeout=300s",
        &format!(
            "crm_simulate -x \"$CIB_file\" -X -Q -q true -G {}",
            graph.display()
        ),
    );
    common::assert_success(&sh(&apply), "the retire command");
    assert!(sh(check).status.success(), "the check fails after");
    let touched = resources_in_graph(&fs::read_to_string(graph).expect("graph"));
    assert!(
        !touched.is_empty()
            && touched
                .iter()
                .all(|resource| resource.ends_with("Win2012-2")),
        "stopping Win2012-2 touched others: {touched:?}"
    );
    cib.simulate(&[]);
    cib.verify();
    let state = cib.placement();
    assert!(
        state
            .instances
            .iter()
            .all(|instance| !instance.resource.ends_with("Win2012-2")),
        "{state:?}"
    );
    let xml = fs::read_to_string(cib.path()).expect("CIB");
    let configuration = &xml[xml.find("<configuration>").expect("configuration")
        ..xml.find("</configuration>").expect("its end")];
    assert!(
        !configuration.contains("Win2012-2"),
        "the retired VM's resources or constraints are left in the configuration:\n{configuration}"
    );
    assert_eq!(state.vm_node("Win2012").as_deref(), Some("node1"));
}

/// The ids of a transition graph's actions that fence `node`.
fn fencing_of(graph: &roxmltree::Document<'_>, node: &str) -> Vec<String> {
    graph
        .descendants()
        .filter(|action| {
            action.has_tag_name("crm_event")
                && action.attribute("operation") == Some("stonith")
                && action.attribute("on_node") == Some(node)
        })
        .filter_map(|action| action.attribute("id"))
        .map(str::to_owned)
        .collect()
}

/// Whether, in a transition graph, the action `id` waits (directly or through others) for
/// one of `before`.
fn waits_for(graph: &roxmltree::Document<'_>, id: &str, before: &[String]) -> bool {
    let inputs = |action: &str| -> Vec<String> {
        graph
            .descendants()
            .filter(|synapse| synapse.has_tag_name("synapse"))
            .filter(|synapse| {
                synapse
                    .children()
                    .filter(|set| set.has_tag_name("action_set"))
                    .flat_map(|set| set.children())
                    .any(|candidate| candidate.attribute("id") == Some(action))
            })
            .flat_map(|synapse| synapse.descendants())
            .filter(|trigger| trigger.has_tag_name("trigger"))
            .flat_map(|trigger| trigger.children())
            .filter_map(|input| input.attribute("id"))
            .map(str::to_owned)
            .collect()
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut pending = vec![id.to_owned()];
    while let Some(action) = pending.pop() {
        if before.contains(&action) {
            return true;
        }
        if seen.insert(action.clone()) {
            pending.extend(inputs(&action));
        }
    }
    false
}

/// The resources a transition graph acts on.
fn resources_in_graph(graph: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(graph).expect("graph XML");
    let mut resources: Vec<String> = document
        .descendants()
        .filter(|node| node.has_tag_name("primitive"))
        .filter_map(|node| node.attribute("id"))
        .map(str::to_owned)
        .collect();
    resources.sort();
    resources.dedup();
    resources
}

/// `crm_mon -1 --output-as=xml` of this CIB, as `tandem status` reads it on a node.
fn crm_mon_xml(cib: &Cib) -> String {
    let output = common::run(cib.tool("crm_mon").args(["-1", "--output-as=xml"]));
    common::assert_success(&output, "crm_mon");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The crm_mon fixtures the status, Manage and Done tests read (tests/fixtures/crm_mon) are what
/// the real Pacemaker says of the seed cluster in each situation: each is made again here and
/// must read the same (`TANDEM_BLESS=1` writes them anew, for a new Pacemaker).
#[test]
fn the_crm_mon_fixtures_are_what_pacemaker_says_of_the_seed_cluster() {
    for tools in &Tools::every_release() {
        let seed = common::example_profile("seed");
        let at_home = started(tools, &seed);
        let standby = at_home.fork(None);
        standby.maintain(&Maintenance::Standby { node: 0 });
        // Win2012-2's start on its home node2 fails as the cluster starts: Pacemaker starts it on
        // node1 instead, and then node2 goes into standby.
        let failed_start = Cib::load(tools, &seed);
        failed_start.simulate(&["-u", "node1", "-u", "node2"]);
        for node in ["node1", "node2"] {
            failed_start.inject_promotion_scores(node);
        }
        failed_start.simulate(&["-F", "vm_Win2012-2_start_0@node2=1"]);
        failed_start.simulate(&[]);
        failed_start.maintain(&Maintenance::Standby { node: 1 });
        // The lab (IPMI fencing): the status check of lab2's fence device fails on lab1.
        let fence_check_failed = started(tools, &common::example_profile("lab"));
        fence_check_failed.simulate(&["-i", "fence_lab2_monitor_60000@lab1=1"]);
        fence_check_failed.simulate(&[]);
        let bless = std::env::var_os("TANDEM_BLESS").is_some();
        for (name, cib) in [
            ("seed-at-home.xml", &at_home),
            ("seed-node1-standby.xml", &standby),
            ("seed-node2-start-failed-then-standby.xml", &failed_start),
            ("lab-fence-check-failed.xml", &fence_check_failed),
        ] {
            let path = common::repo_root()
                .join("tests/fixtures/crm_mon")
                .join(name);
            let made = crm_mon_xml(cib);
            if bless {
                fs::write(&path, &made).expect("write the fixture");
            }
            let kept = fs::read_to_string(&path).expect("the fixture is there");
            assert_eq!(
                parse_crm_mon(&kept).expect("the fixture parses"),
                parse_crm_mon(&made).expect("crm_mon's XML parses"),
                "{name} no longer says what Pacemaker says (TANDEM_BLESS=1 writes it anew)"
            );
        }
    }
}

/// The role the rendered DRBD fence handler puts in its constraint (`--role=` of `fence-peer`
/// in node1's resource file of `vm`; the handler's own default when the option is missing).
fn fence_handler_role(profile: &Path, vm: &str) -> String {
    let rendered = common::render(profile, &[]);
    let resource = fs::read_to_string(rendered.path().join(format!("node1/etc/drbd.d/{vm}.res")))
        .expect("the rendered resource");
    let handler = resource
        .lines()
        .find(|line| line.trim_start().starts_with("fence-peer"))
        .expect("a fence-peer handler");
    handler
        .split_whitespace()
        .find_map(|word| word.strip_prefix("--role="))
        .map(|role| role.trim_end_matches(['"', ';']).to_owned())
        .unwrap_or_else(|| "Master".to_owned())
}

/// What DRBD's fence handler (crm-fence-peer.sh, `set_constraint`) writes when node1 loses the
/// replication link while it is Primary: no promotion of the VM's DRBD on any other node.
fn place_fence_constraint(cib: &Cib, vm: &str, role: &str) {
    let master = PacemakerIds::for_vm(vm).drbd_clone;
    let id = format!("drbd-fence-by-handler-{vm}-{master}");
    let constraint = format!(
        r##"<rsc_location rsc="{master}" id="{id}"><rule role="{role}" score="-INFINITY" id="{id}-rule"><expression attribute="#uname" operation="ne" value="node1" id="{id}-expr"/></rule></rsc_location>"##
    );
    let output = common::run(
        cib.tool("cibadmin")
            .args(["-C", "-o", "constraints", "-X"])
            .arg(&constraint),
    );
    common::assert_success(&output, "cibadmin -C the fence constraint");
}

/// While the replication link is cut DRBD's fence handler keeps a constraint in the CIB; the
/// cluster's configuration must still take changes then (a VM added, as `tandem apply` loads
/// it, and one retired by the plan's own step). Pacemaker 3 calls a `Master` role invalid and crmsh 5 then refuses every change, so the
/// rendered handler must write `Promoted`: with `Master` the same load fails on Debian 13.
#[test]
fn the_configuration_takes_a_new_vm_and_a_retirement_while_a_drbd_fence_constraint_stands() {
    for tools in &Tools::every_release() {
        let seed = tools.profile(&common::example_profile("seed"));
        let role = fence_handler_role(&seed, "Win2012");
        assert_eq!(role, "Promoted", "the rendered fence-peer handler's role");
        let bigger = tools.profile(&common::test_profile("seed-plus-one-vm"));
        let bigger_crm = common::render(&bigger, &[]);
        let fenced = started(tools, &seed);
        place_fence_constraint(&fenced, "Win2012", &role);
        fenced.crm_load(&bigger_crm.path().join("cluster.crm"));
        fenced.verify();
        // Retired beside another VM's constraint, and with its own (which must go with it).
        let retiring = started(tools, &seed);
        place_fence_constraint(&retiring, "Win2012", &role);
        place_fence_constraint(&retiring, "Win2012-2", &role);
        retire_win2012_2(tools, &retiring);

        if tools.release == wizard_steps::profile::DebianRelease::Trixie {
            let old_role = started(tools, &seed);
            place_fence_constraint(&old_role, "Win2012", "Master");
            let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                old_role.crm_load(&bigger_crm.path().join("cluster.crm"))
            }));
            assert!(
                refused.is_err(),
                "{tools}: crmsh took a change beside a Master-role constraint; this test no \
                 longer shows why the handler's role matters"
            );
        }
    }
}
