//! The plan as data: order, barriers, the variant chosen per target, and no destruction of data
//! that the profile did not explicitly give up.

use super::*;
use crate::design::metadata_room_mib;
use crate::facts::{LogicalVolume, NodeFacts, VolumeContent};
use crate::profile::Profile;
use crate::render::paths;
use crate::validate::validate;

fn design(text: &str) -> Design {
    validate(&Profile::from_toml(text, "test").expect("parses")).expect("valid")
}

fn seed() -> Design {
    design(include_str!("../../../resources/profiles/seed.toml"))
}

fn fresh(drbd_module: &str) -> [NodeFacts; 2] {
    let facts = NodeFacts {
        drbd_module: Some(drbd_module.to_owned()),
        ..NodeFacts::default()
    };
    [facts.clone(), facts]
}

fn with_volumes(
    mut facts: [NodeFacts; 2],
    contents: [VolumeContent; 2],
    size_mib: u64,
) -> [NodeFacts; 2] {
    for (node, content) in facts.iter_mut().zip(contents) {
        for volume in ["Win2012", "Win2012-2"] {
            node.volumes.insert(
                volume.to_owned(),
                LogicalVolume {
                    size_mib,
                    content: content.clone(),
                },
            );
        }
    }
    facts
}

fn data(found: &str) -> VolumeContent {
    VolumeContent::Data(vec![found.to_owned()])
}

use VolumeContent::{Blank, Drbd, FreshDrbd};

fn destructive_ids(plan: &Plan) -> Vec<&str> {
    plan.destructive_steps()
        .into_iter()
        .map(|step| step.id.as_str())
        .collect()
}

/// Where a phase of that kind is in the plan; fails the test when there is none.
fn phase_position(plan: &Plan, kind: PhaseKind) -> usize {
    plan.phases
        .iter()
        .position(|phase| phase.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} phase in the plan"))
}

fn step<'a>(plan: &'a Plan, id: &str) -> &'a Step {
    plan.steps()
        .map(|(_, step)| step)
        .find(|step| step.id == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

fn check_of(step: &Step) -> &str {
    match &step.operation {
        Operation::Command {
            check: Some(check), ..
        } => check,
        other => panic!("{} is not a command with a check: {other:?}", step.id),
    }
}

fn apply_of(step: &Step) -> &str {
    match &step.operation {
        Operation::Command { apply, .. } => apply,
        other => panic!("{} is not a command: {other:?}", step.id),
    }
}

#[test]
fn phases_follow_the_seed_procedure_in_order() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    let kinds: Vec<PhaseKind> = plan.phases.iter().map(|phase| phase.kind).collect();
    assert_eq!(
        kinds,
        [
            PhaseKind::Packages,
            PhaseKind::XenBoot,
            PhaseKind::XenReboot,
            PhaseKind::Bridge,
            PhaseKind::DrbdModule,
            PhaseKind::Volumes,
            PhaseKind::DrbdConfig,
            PhaseKind::DrbdMetadata,
            PhaseKind::DrbdUp,
            PhaseKind::InitialSync,
            PhaseKind::Domains,
            PhaseKind::Corosync,
            PhaseKind::Pacemaker,
            PhaseKind::Verify,
        ]
    );
}

#[test]
fn create_md_on_both_nodes_comes_before_any_up_across_a_phase_barrier() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    let position = |kind: PhaseKind| {
        plan.phases
            .iter()
            .position(|phase| phase.kind == kind)
            .expect("phase")
    };
    let metadata = &plan.phases[position(PhaseKind::DrbdMetadata)];
    for node in [0, 1] {
        for vm in ["Win2012", "Win2012-2"] {
            assert!(
                metadata
                    .steps
                    .iter()
                    .any(|step| step.id == format!("create-md:{vm}@node{}", node + 1))
            );
        }
    }
    assert!(position(PhaseKind::DrbdMetadata) < position(PhaseKind::DrbdUp));
    assert!(position(PhaseKind::DrbdUp) < position(PhaseKind::InitialSync));
    assert!(position(PhaseKind::Corosync) < position(PhaseKind::Pacemaker));
}

#[test]
fn reboots_and_network_changes_go_one_node_at_a_time() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    for phase in &plan.phases {
        let sequential = matches!(phase.kind, PhaseKind::XenReboot | PhaseKind::Bridge);
        assert_eq!(phase.one_node_at_a_time, sequential, "{:?}", phase.kind);
    }
    let reboot = step(&plan, "xen-dom0@node1");
    assert!(
        matches!(&reboot.operation, Operation::Reboot { check } if check.contains("dom0_mem=2048M,max:2048M"))
    );
}

#[test]
fn step_ids_are_unique_and_stable() {
    let first = plan(&seed(), &fresh("8.4.11"));
    let mut ids: Vec<&str> = first.steps().map(|(_, step)| step.id.as_str()).collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate step ids");
    assert_eq!(
        first,
        plan(&seed(), &fresh("8.4.11")),
        "the same input plans the same steps"
    );
}

#[test]
fn every_change_has_a_check_so_a_rerun_skips_it() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    for (_, step) in plan.steps() {
        if let Operation::Command { check, .. } = &step.operation {
            assert!(check.is_some(), "{} has no check", step.id);
        }
    }
}

#[test]
fn the_drbd_84_module_gets_84_files_and_commands() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    assert!(plan.target.contains("DRBD 8.4"));
    let resource = step(&plan, "file:/etc/drbd.d/Win2012.res@node1");
    let Operation::File { contents, .. } = &resource.operation else {
        panic!("a file step");
    };
    assert!(
        contents.contains("crm-fence-peer.sh --role=Promoted\""),
        "{contents}"
    );
    assert!(!contents.contains("node-id"));
    let metadata = apply_of(step(&plan, "create-md:Win2012@node1"));
    assert!(metadata.contains("drbdadm -- --force create-md Win2012"));
    let check = check_of(step(&plan, "create-md:Win2012@node1"));
    assert!(check.contains(" v08 "));
}

#[test]
fn a_drbd_9_module_on_either_node_switches_to_drbd_9() {
    let mut facts = fresh("8.4.11");
    facts[1].drbd_module = Some("9.2.12".into());
    let plan = plan(&seed(), &facts);
    assert!(plan.target.contains("DRBD 9"));
    let Operation::File { contents, .. } =
        &step(&plan, "file:/etc/drbd.d/Win2012.res@node2").operation
    else {
        panic!("a file step");
    };
    assert!(
        contents.contains("crm-fence-peer.9.sh --role=Promoted\"")
            && contents.contains("node-id 1;"),
        "{contents}"
    );
    let check = check_of(step(&plan, "create-md:Win2012@node1"));
    assert!(check.contains(" v09 "));
}

#[test]
fn debian_13_targets_trixie() {
    let text =
        include_str!("../../../resources/profiles/seed.toml").replace("debian = 12", "debian = 13");
    let plan = plan(&design(&text), &fresh("8.4.11"));
    assert!(
        plan.target.starts_with("Debian 13 (trixie)"),
        "{}",
        plan.target
    );
}

#[test]
fn nothing_is_destroyed_on_a_volume_with_a_signature_unless_the_profile_says_whose_data_to_keep() {
    let facts = with_volumes(fresh("8.4.11"), [data("a filesystem (ext4)"), Blank], 40960);
    let plan = plan(&seed(), &facts);
    // Win2012-2 syncs from its home node2 over node1's filesystem: even that is confirmed
    // (the preflight refuses this run anyway, as nobody said whose data to keep).
    assert_eq!(destructive_ids(&plan), ["initial-sync:Win2012-2@node2"]);
    for node in ["node1", "node2"] {
        let apply = apply_of(step(&plan, &format!("create-md:Win2012@{node}")));
        // The command itself refuses a volume holding data, even if the facts were stale:
        // it probes the volume again, on the node, right before.
        assert!(
            apply.contains("volume_probe() {")
                && apply.contains("found=$(volume_probe /dev/virtuals/Win2012)")
                && apply.contains("does not overwrite data"),
            "{apply}"
        );
        assert!(!apply.contains("wipefs -a"), "{apply}");
    }
}

/// security.md finding 3: a whole-disk image (the seed's Windows guests) has a partition table
/// and no filesystem signature; it counted as blank, so create-md, --clear-bitmap and primary
/// --force could destroy it unconfirmed.
#[test]
fn a_partitioned_disk_is_data_and_every_step_that_would_destroy_it_is_confirmed() {
    let partitioned = data("a dos partition table");
    // No keep_data_on: no sync is marked in sync over it, and nothing is forced over it.
    let facts = with_volumes(fresh("8.4.11"), [partitioned.clone(), Blank], 40960);
    let unkept = plan(&seed(), &facts);
    assert!(
        apply_of(step(&unkept, "initial-sync:Win2012@node1")).contains("primary --force"),
        "not declared in sync"
    );
    let facts = with_volumes(fresh("8.4.11"), [Blank, partitioned.clone()], 40960);
    let unkept = plan(&seed(), &facts);
    assert_eq!(
        destructive_ids(&unkept),
        ["initial-sync:Win2012@node1"],
        "forcing node1's blank side over node2's partitioned disk is confirmed (Win2012-2 \
         syncs from node2, over node1's blank volume)"
    );
    // Both sides hold different disks and node1's is kept: the metadata on each side and the
    // sync over node2 are confirmed one by one.
    let text = include_str!("../../../resources/profiles/seed.toml").replace(
        "drbd_minor = 1\n",
        "drbd_minor = 1\nkeep_data_on = \"node1\"\n",
    );
    let facts = with_volumes(
        fresh("8.4.11"),
        [partitioned.clone(), data("a gpt partition table")],
        40960,
    );
    let kept = plan(&design(&text), &facts);
    let win2012: Vec<&str> = destructive_ids(&kept)
        .into_iter()
        .filter(|id| id.contains("Win2012@"))
        .collect();
    assert_eq!(
        win2012,
        [
            "create-md:Win2012@node1",
            "create-md:Win2012@node2",
            "initial-sync:Win2012@node1"
        ]
    );
    let what = |id: &str| step(&kept, id).destructive.clone().unwrap_or_default();
    assert!(what("create-md:Win2012@node1").contains("holds a dos partition table"));
    assert!(what("create-md:Win2012@node2").contains("erased and replaced by node1's"));
    assert!(
        what("initial-sync:Win2012@node1").contains(
            "/dev/virtuals/Win2012 on node2 (a gpt partition table) is overwritten with node1's"
        ),
        "{}",
        what("initial-sync:Win2012@node1")
    );
}

#[test]
fn volumes_this_run_creates_or_proves_blank_are_overwritten_without_a_question() {
    // Created now (missing before): blank by construction, with their ends zeroed.
    let created = plan(&seed(), &fresh("8.4.11"));
    assert!(destructive_ids(&created).is_empty());
    let lvcreate = apply_of(step(&created, "volume:Win2012@node2"));
    assert!(
        lvcreate.contains("dd if=/dev/zero of=/dev/virtuals/Win2012 bs=1M count=1")
            && lvcreate.contains("of=/dev/virtuals/Win2012 bs=1M seek=40959 count=1"),
        "{lvcreate}"
    );
    // A resumed run: the metadata Tandem wrote on the blank volumes is there, never synced.
    let resumed = plan(
        &seed(),
        &with_volumes(fresh("8.4.11"), [FreshDrbd, FreshDrbd], 40960),
    );
    assert!(destructive_ids(&resumed).is_empty());
    let force = apply_of(step(&resumed, "initial-sync:Win2012@node1"));
    assert!(
        force.contains("0000000000000004:*) ;;") && force.contains("does not force it"),
        "only never-synced metadata is forced: {force}"
    );
    // A converged cluster: both sides have run; the sync step's check skips it.
    let converged = plan(&seed(), &with_volumes(fresh("8.4.11"), [Drbd, Drbd], 40960));
    assert!(destructive_ids(&converged).is_empty());
    // One side has run, the other is new (a replaced disk): forcing the new one over it
    // would be destruction, so it is confirmed.
    let replaced = plan(
        &seed(),
        &with_volumes(fresh("8.4.11"), [FreshDrbd, Drbd], 40960),
    );
    assert_eq!(
        destructive_ids(&replaced),
        ["initial-sync:Win2012@node1", "initial-sync:Win2012-2@node2"]
            .into_iter()
            .filter(|id| id.ends_with("node1"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn keeping_one_nodes_data_extends_the_volumes_and_marks_the_other_side_destructive() {
    let text = include_str!("../../../resources/profiles/seed.toml").replace(
        "drbd_minor = 1\n",
        "drbd_minor = 1\nkeep_data_on = \"node1\"\n",
    );
    let facts = with_volumes(
        fresh("8.4.11"),
        [data("a filesystem (ntfs)"), data("a filesystem (ext4)")],
        40960,
    );
    let plan = plan(&design(&text), &facts);
    let erased = step(&plan, "create-md:Win2012@node2");
    assert!(
        erased
            .destructive
            .as_deref()
            .unwrap_or_default()
            .contains("node1's")
    );
    assert!(apply_of(erased).starts_with("wipefs -a /dev/virtuals/Win2012 && "));
    let keeper = apply_of(step(&plan, "create-md:Win2012@node1"));
    assert!(
        !keeper.contains("wipefs") && !keeper.contains("volume_probe"),
        "{keeper}"
    );
    // Room for the metadata after the data, on both nodes, and the sync starts from the keeper.
    let room = metadata_room_mib(40960);
    for node in ["node1", "node2"] {
        assert!(
            apply_of(step(&plan, &format!("volume-room:Win2012@{node}")))
                .contains(&format!("-L {}m", 40960 + room))
        );
    }
    let sync = step(&plan, "initial-sync:Win2012@node1");
    assert!(apply_of(sync).contains("primary --force"));
}

#[test]
fn the_initial_sync_is_skipped_only_for_blank_volumes_when_allowed() {
    let blank = with_volumes(fresh("8.4.11"), [Blank, Blank], 40960);
    let plan_blank = plan(&seed(), &blank);
    assert!(
        apply_of(step(&plan_blank, "initial-sync:Win2012@node1"))
            .contains("--clear-bitmap new-current-uuid")
    );

    let unknown = plan(&seed(), &fresh("8.4.11"));
    assert!(apply_of(step(&unknown, "initial-sync:Win2012@node1")).contains("primary --force"));

    let text = include_str!("../../../resources/profiles/seed.toml").replace(
        "skip_initial_sync_when_blank = true",
        "skip_initial_sync_when_blank = false",
    );
    let not_allowed = plan(&design(&text), &blank);
    assert!(apply_of(step(&not_allowed, "initial-sync:Win2012@node1")).contains("primary --force"));
}

#[test]
fn each_vm_syncs_from_its_home_node() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    assert_eq!(
        step(&plan, "initial-sync:Win2012@node1").scope,
        Scope::Node(0)
    );
    assert_eq!(
        step(&plan, "initial-sync:Win2012-2@node2").scope,
        Scope::Node(1)
    );
    assert!(matches!(
        step(&plan, "synced:Win2012-2@node2").operation,
        Operation::WaitForSync { minor: 2, .. }
    ));
}

#[test]
fn packages_follow_the_design() {
    let seed = seed();
    let seed_packages = seed.packages();
    assert!(
        seed_packages.contains(&"qemu-system-xen"),
        "HVM guests need the device model"
    );
    assert!(!seed_packages.contains(&"fence-agents"));
    assert!(seed_packages.contains(&"bridge-utils"));
    let lab = include_str!("../../../resources/profiles/lab.toml");
    assert!(
        !design(lab).packages().contains(&"qemu-system-xen"),
        "PV guests only"
    );
    // IPMI fencing: fence_ipmilan needs ipmitool, which Debian 12's fence-agents does not pull
    // in; on Debian 13 fence-agents is a transitional package for every agent (597 packages)
    // and fence-agents-ipmilan the one with ipmitool.
    let on = |release: u8| {
        let lab = lab.replace("debian = 12", &format!("debian = {release}"));
        design(&lab).packages()
    };
    assert!(lab.contains("debian = 12"));
    for package in ["fence-agents", "ipmitool"] {
        assert!(on(12).contains(&package), "{package} on 12: {:?}", on(12));
    }
    assert!(on(13).contains(&"fence-agents-ipmilan"), "{:?}", on(13));
    assert!(!on(13).contains(&"fence-agents"), "{:?}", on(13));
}

#[test]
fn the_corosync_key_is_shared_and_never_in_the_plan() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    let key = step(&plan, "corosync-authkey");
    assert_eq!(key.scope, Scope::Cluster);
    assert!(matches!(
        &key.operation,
        Operation::SharedKey { bytes: 256, .. }
    ));
    let serialized = serde_json::to_string(&plan).expect("serializes");
    let back: Plan = serde_json::from_str(&serialized).expect("deserializes");
    assert_eq!(back, plan);
}

#[test]
fn the_pacemaker_configuration_is_loaded_once_from_the_first_node() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    let load = step(&plan, "crm-load@node1");
    assert!(apply_of(load).contains("crm configure load update /etc/tandem/cluster.crm"));
    assert!(
        check_of(load).contains("crm_diff"),
        "the check compares, it does not load"
    );
    assert!(!plan.steps().any(|(_, step)| step.id == "crm-load@node2"));
}

#[test]
fn the_script_shows_every_step_and_marks_destruction() {
    let text = include_str!("../../../resources/profiles/seed.toml").replace(
        "drbd_minor = 1\n",
        "drbd_minor = 1\nkeep_data_on = \"node2\"\n",
    );
    let facts = with_volumes(
        fresh("8.4.11"),
        [data("a filesystem (ntfs)"), data("a filesystem (ntfs)")],
        40960,
    );
    let plan = plan(&design(&text), &facts);
    let script = plan.script();
    for (_, step) in plan.steps() {
        assert!(
            script.contains(&format!("({})", step.id)),
            "{} missing",
            step.id
        );
    }
    assert!(
        script.contains("## DESTRUCTIVE: /dev/virtuals/Win2012 on node1"),
        "{script}"
    );
}

#[test]
fn metadata_room_covers_drbds_internal_metadata() {
    // 40 GiB: a 1.25 MiB bitmap plus activity log and superblock fit in one 4 MiB extent.
    assert_eq!(metadata_room_mib(40 * 1024), 4);
    // 2 TiB: a 64 MiB bitmap.
    assert_eq!(metadata_room_mib(2 * 1024 * 1024), 68);
    assert_eq!(metadata_room_mib(1), 4);
}

/// The seed with a third VM, Win2016, on its own volume (home node1).
fn seed_with_a_third_vm() -> Design {
    design(include_str!(
        "../../../tests/profiles/seed-plus-one-vm.toml"
    ))
}

#[test]
fn adding_a_vm_adds_only_its_own_steps_and_the_new_pacemaker_configuration() {
    let before = plan(&seed(), &fresh("8.4.11"));
    let after = plan(&seed_with_a_third_vm(), &fresh("8.4.11"));
    let old: std::collections::BTreeMap<&str, &Step> = before
        .steps()
        .map(|(_, step)| (step.id.as_str(), step))
        .collect();
    let mut changed_shared = Vec::new();
    for (_, step) in after.steps() {
        match old.get(step.id.as_str()) {
            None => assert!(
                step.id.contains("Win2016"),
                "a new step that is not the new VM's: {}",
                step.id
            ),
            Some(old) if *old != step => changed_shared.push(step.id.as_str()),
            Some(_) => {}
        }
    }
    // Only the Pacemaker configuration file differs; `crm configure load update` then adds the
    // new VM's resources and leaves the others as they are (tests/tools/pacemaker.rs runs it).
    assert_eq!(changed_shared, ["file:/etc/tandem/cluster.crm@node1"]);
    assert!(
        old.keys()
            .all(|id| after.steps().any(|(_, step)| step.id == *id)),
        "a step of the existing cluster went missing"
    );
    assert!(after.destructive_steps().is_empty());
}

#[test]
fn a_vm_gone_from_the_profile_is_retired_with_confirmation_and_its_volume_kept() {
    let mut facts = fresh("8.4.11");
    for node in &mut facts {
        node.tandem_vms = vec!["Win2012".into(), "Win2012-2".into(), "Old-VM".into()];
    }
    let plan = plan(&seed(), &facts);
    let kinds: Vec<PhaseKind> = plan.phases.iter().map(|phase| phase.kind).collect();
    assert_eq!(
        kinds[kinds.len() - 3..],
        [
            PhaseKind::RetireFromCluster,
            PhaseKind::RetireFromNodes,
            PhaseKind::Verify
        ]
    );
    let retire = step(&plan, "retire-resources:Old-VM@node1");
    assert!(
        retire
            .destructive
            .as_deref()
            .is_some_and(|what| what.contains("stops VM Old-VM") && what.contains("volume")),
        "{retire:?}"
    );
    assert_eq!(
        plan.destructive_steps()
            .iter()
            .map(|step| step.id.as_str())
            .collect::<Vec<_>>(),
        ["retire-resources:Old-VM@node1"],
        "only stopping the VM needs a confirmation"
    );
    for node in ["node1", "node2"] {
        assert_eq!(
            apply_of(step(&plan, &format!("drbd-down:Old-VM@{node}"))),
            "drbdadm down Old-VM"
        );
        let moved = apply_of(step(
            &plan,
            &format!("retire-file:/etc/drbd.d/Old-VM.res@{node}"),
        ));
        assert!(
            moved.starts_with("if [ -e /etc/drbd.d/Old-VM.res ]; then b=/var/backups/tandem/etc/drbd.d/Old-VM.res.$(date -u +%Y%m%d-%H%M%S) ")
                && moved.contains("mv -- /etc/drbd.d/Old-VM.res \"$b\""),
            "{moved}"
        );
        step(&plan, &format!("retire-file:/etc/xen/Old-VM.cfg@{node}"));
    }
    assert!(
        plan.steps()
            .flat_map(|(_, step)| step.operation.shell_commands())
            .all(|command| !command.contains("lvremove") && !command.contains("wipefs -a")),
        "the volume is kept"
    );
    assert!(
        !plan
            .steps()
            .any(|(_, step)| step.id.contains("Win2012-2") && step.id.starts_with("retire")),
        "VMs still in the profile stay"
    );
}

#[test]
fn nothing_is_retired_while_the_nodes_carry_only_the_profiles_vms() {
    let mut facts = fresh("8.4.11");
    facts[0].tandem_vms = vec!["Win2012".into(), "Win2012-2".into()];
    let plan = plan(&seed(), &facts);
    assert!(
        !plan
            .phases
            .iter()
            .any(|phase| phase.kind == PhaseKind::RetireFromCluster)
    );
}

fn live_migration() -> Design {
    design(include_str!("../../../tests/profiles/live-migration.toml"))
}

#[test]
fn live_migration_trusts_each_peer_for_migration_only_and_before_the_cluster_starts() {
    let plan = plan(&live_migration(), &fresh("8.4.11"));
    let kinds: Vec<PhaseKind> = plan.phases.iter().map(|phase| phase.kind).collect();
    let at = |kind| kinds.iter().position(|&k| k == kind).expect("the phase");
    // The keys are made in one phase, exchanged in the next (a phase runs its cluster-wide
    // steps, like the exchange, before its node steps).
    assert_eq!(at(PhaseKind::LiveMigration), at(PhaseKind::Domains) + 1);
    assert_eq!(
        at(PhaseKind::LiveMigrationTrust),
        at(PhaseKind::LiveMigration) + 1
    );
    assert!(at(PhaseKind::LiveMigrationTrust) < at(PhaseKind::Pacemaker));
    let phase_of = |id: &str| {
        plan.phases
            .iter()
            .find(|phase| phase.steps.iter().any(|step| step.id == id))
            .expect("the step's phase")
            .kind
    };
    assert_eq!(phase_of("migration-key@lab1"), PhaseKind::LiveMigration);
    assert_eq!(phase_of("migration-trust"), PhaseKind::LiveMigrationTrust);
    assert_eq!(
        phase_of("migration-ssh@lab1"),
        PhaseKind::LiveMigrationTrust
    );

    for node in ["lab1", "lab2"] {
        let apply = apply_of(step(&plan, &format!("migration-key@{node}")));
        assert!(
            apply.contains("ssh-keygen -q -t ed25519 -N '' -C "),
            "{apply}"
        );
        assert!(
            apply.contains(&format!("tandem-migration@{node}.lab")),
            "{apply}"
        );
    }
    let Operation::Exchange { read, check, apply } = &step(&plan, "migration-trust").operation
    else {
        panic!("the trust is exchanged between the nodes");
    };
    assert!(read.contains("/etc/ssh/ssh_host_ed25519_key.pub"));
    // lab1 lets in lab2's key, from lab2's replication address only, to receive a migration.
    let lab2_allowed = "from=\\\"172.16.99.2\\\",restrict,command=\\\"/usr/local/sbin/tandem-migrate-receive\\\" $key tandem-migration@lab2.lab";
    assert!(check[0].contains(lab2_allowed), "{}", check[0]);
    assert!(apply[0].contains(lab2_allowed), "{}", apply[0]);
    assert!(apply[0].contains("lab2,172.16.99.2 $host"), "{}", apply[0]);
    assert!(
        apply[1].contains("tandem-migration@lab1.lab"),
        "{}",
        apply[1]
    );
    // An administrator's own keys stay; the file is backed up before it changes.
    assert!(apply[0].contains("grep -vF ' tandem-migration@lab2.lab'"));
    assert!(apply[0].contains("b=/var/backups/tandem\"$f\"."));
    let Operation::Require { check, .. } = &step(&plan, "migration-ssh@lab1").operation else {
        panic!("a check");
    };
    assert_eq!(check, "timeout 30 ssh lab2 true");

    let without = super::plan(&seed(), &fresh("8.4.11"));
    assert!(
        without
            .phases
            .iter()
            .all(|phase| phase.kind != PhaseKind::LiveMigration)
    );
}

#[test]
fn switching_live_migration_off_takes_the_access_back_on_the_nodes_that_had_it() {
    let lab = design(include_str!("../../../resources/profiles/lab.toml"));
    let mut facts = fresh("8.4.11");
    assert!(
        super::plan(&lab, &facts)
            .phases
            .iter()
            .all(|phase| phase.kind != PhaseKind::LiveMigrationOff),
        "nothing to take back"
    );
    facts[1].migration_access = true;
    let plan = super::plan(&lab, &facts);
    let kinds: Vec<PhaseKind> = plan.phases.iter().map(|phase| phase.kind).collect();
    let off = kinds
        .iter()
        .position(|&kind| kind == PhaseKind::LiveMigrationOff)
        .expect("the access is taken back");
    assert!(
        off > kinds
            .iter()
            .position(|&kind| kind == PhaseKind::Pacemaker)
            .unwrap()
    );
    // lab2 stops trusting lab1's key, and keeps everything else in root's authorized_keys.
    let removed = step(&plan, "migration-access-removed@lab2");
    let (check, apply) = (check_of(removed), apply_of(removed));
    assert!(
        check.contains("! grep -qsF ' tandem-migration@lab1.lab' /root/.ssh/authorized_keys"),
        "{check}"
    );
    assert!(
        apply.contains("grep -vF ' tandem-migration@lab1.lab' \"$f\""),
        "{apply}"
    );
    assert!(apply.contains("b=/var/backups/tandem\"$f\"."), "{apply}");
    assert!(apply.contains(&format!(
        "rm -rf {} {} {}",
        paths::MIGRATION_SSH_CONFIG,
        paths::MIGRATE_RECEIVE,
        paths::MIGRATION_DIR
    )));
    // DRBD refuses to drop dual-primary while both sides are Primary: the DRBD phase leaves
    // such a resource alone, and it follows its files once Pacemaker (promoted-max=1 again)
    // has demoted one side.
    let check = check_of(step(&plan, "drbd-adjusted:web@lab1"));
    assert!(
        check.ends_with("grep -c 'role:Primary')\" -ge 2 ]"),
        "{check}"
    );
    let off_steps: Vec<&str> = plan.phases[off]
        .steps
        .iter()
        .map(|step| step.id.as_str())
        .collect();
    assert_eq!(
        off_steps,
        [
            "drbd-single-primary:web@lab1",
            "drbd-single-primary:db@lab1",
            "migration-access-removed@lab1",
            "drbd-single-primary:web@lab2",
            "drbd-single-primary:db@lab2",
            "migration-access-removed@lab2",
        ]
    );
    let check = check_of(step(&plan, "drbd-single-primary:web@lab2"));
    assert!(!check.contains("role:Primary"), "{check}");
    // Without the switch, nothing waits for a demotion.
    let plain = super::plan(&lab, &fresh("8.4.11"));
    let check = check_of(step(&plain, "drbd-adjusted:web@lab1"));
    assert!(!check.contains("role:Primary"), "{check}");
}

#[test]
fn a_changed_drbd_file_reaches_a_running_resource_through_adjust() {
    let plan = plan(&seed(), &fresh("8.4.11"));
    let phase = plan
        .phases
        .iter()
        .find(|phase| phase.kind == PhaseKind::DrbdConfig)
        .expect("the DRBD configuration phase");
    let ids: Vec<&str> = phase.steps.iter().map(|step| step.id.as_str()).collect();
    for node in ["node1", "node2"] {
        for vm in ["Win2012", "Win2012-2"] {
            let file = ids
                .iter()
                .position(|id| *id == format!("file:/etc/drbd.d/{vm}.res@{node}"))
                .expect("the resource file");
            assert_eq!(ids[file + 1], format!("drbd-adjusted:{vm}@{node}"));
        }
    }
    let Operation::Command {
        check,
        apply,
        verify,
    } = &step(&plan, "drbd-adjusted:Win2012@node1").operation
    else {
        panic!("a command");
    };
    // Only a resource that is up is adjusted (a new one is brought up later, after its
    // metadata); done when the dry run has nothing to change.
    let expected = "! drbdsetup status Win2012 >/dev/null 2>&1 || [ -z \"$(drbdadm -d adjust Win2012 2>&1)\" ]";
    assert_eq!(check.as_deref(), Some(expected));
    assert_eq!(verify.as_deref(), Some(expected));
    assert_eq!(apply, "drbdadm adjust Win2012");
}

/// Facts of nodes whose corosync runs the seed's rendered corosync.conf, edited by `edit`
/// (what the running corosync and the file on the node say).
fn running_corosync(edit: impl Fn(&str) -> String) -> [NodeFacts; 2] {
    let design = seed();
    let rendered = render(&design, Platform::for_design(&design));
    let mut facts = fresh("8.4.11");
    for (node, facts) in facts.iter_mut().enumerate() {
        let conf = edit(
            &rendered.nodes[node]
                .file(paths::COROSYNC_CONF)
                .expect("rendered")
                .contents,
        );
        facts.corosync_running = crate::corosync::flatten(&conf);
        facts.corosync_conf = conf;
    }
    facts
}

fn phase_of(plan: &Plan, kind: PhaseKind) -> Option<&Phase> {
    plan.phases.iter().find(|phase| phase.kind == kind)
}

/// security.md finding 5: a corosync.conf change restarted corosync and Pacemaker on both
/// nodes at once, stopping every VM.
#[test]
fn a_corosync_change_never_restarts_both_nodes_of_a_running_cluster_at_once() {
    // First install: nothing runs yet, a change restarts where it was made.
    let first = plan(&seed(), &fresh("8.4.11"));
    assert!(phase_of(&first, PhaseKind::CorosyncEffect).is_none());
    assert!(matches!(
        &step(&first, "file:/etc/corosync/corosync.conf@node1").operation,
        Operation::File { then: Some(then), .. } if then.contains("systemctl restart corosync")
    ));

    // The running cluster already has the settings: nothing restarts, nothing reloads.
    let same = plan(&seed(), &running_corosync(str::to_owned));
    assert!(phase_of(&same, PhaseKind::CorosyncEffect).is_none());
    assert!(same.steps().all(|(_, step)| {
        step.operation.shell_commands().iter().all(|command| {
            !command.contains("systemctl restart corosync")
                || step.id.starts_with("cluster-services@")
        })
    }));
    assert!(matches!(
        &step(&same, "file:/etc/corosync/corosync.conf@node1").operation,
        Operation::File { then: None, .. }
    ));

    // A token timeout (the profile's new setting): reloaded, one node after the other.
    let mut profile = Profile::from_toml(
        include_str!("../../../resources/profiles/seed.toml"),
        "seed",
    )
    .expect("parses");
    profile.cluster.corosync_token_ms = Some(5000);
    let design = validate(&profile).expect("valid");
    let token = plan(&design, &running_corosync(str::to_owned));
    let effect = phase_of(&token, PhaseKind::CorosyncEffect).expect("the settings take effect");
    assert!(effect.one_node_at_a_time);
    assert_eq!(
        apply_of(step(&token, "corosync-reloaded@node1")),
        "corosync-cfgtool -R"
    );
    assert!(
        check_of(step(&token, "corosync-reloaded@node2"))
            .contains("corosync-cmapctl -g totem.token")
    );
    assert!(token.disruptive_steps().is_empty());

    // A setting corosync reads only at start: a rolling restart, each node's VMs moved away
    // first, shown as disruptive before the run.
    let restart = plan(
        &seed(),
        &running_corosync(|conf| conf.replace("transport: knet", "transport: udpu")),
    );
    let effect = phase_of(&restart, PhaseKind::CorosyncEffect).expect("restarts");
    assert!(effect.one_node_at_a_time);
    let ids: Vec<&str> = effect.steps.iter().map(|step| step.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "corosync-restarted@node1",
            "back-online-after-restart@node1",
            "corosync-restarted@node2",
            "back-online-after-restart@node2"
        ]
    );
    let disruptive: Vec<&str> = restart
        .disruptive_steps()
        .iter()
        .map(|step| step.disruptive.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(disruptive.len(), 2);
    assert!(
        disruptive[0].contains("restarts corosync and Pacemaker on node1 (totem.transport)")
            && disruptive[0].contains("its VMs move to node2 first"),
        "{disruptive:?}"
    );
    assert!(
        restart
            .script()
            .contains("## DISRUPTIVE: restarts corosync")
    );
    assert!(
        apply_of(step(&restart, "corosync-restarted@node2"))
            .contains("--node node2 --name standby --update on")
    );
}

/// A node that left the cluster (reinstalled: Debian's placeholder runs there) is restarted
/// into it without moving anything; the node that runs the VMs is not touched.
#[test]
fn a_node_outside_the_cluster_is_restarted_into_it_alone() {
    let mut facts = running_corosync(str::to_owned);
    facts[1].corosync_running =
        crate::corosync::flatten("totem {\n\tversion: 2\n\tcluster_name: debian\n}\n");
    facts[1].corosync_conf = String::new();
    let plan = plan(&seed(), &facts);
    let effect = phase_of(&plan, PhaseKind::CorosyncEffect).expect("node2 joins");
    let ids: Vec<&str> = effect.steps.iter().map(|step| step.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "corosync-restarted@node2",
            "back-online-after-restart@node2"
        ]
    );
    assert!(plan.disruptive_steps().is_empty(), "nothing runs on node2");
}

/// A run that kept node1's partitioned disk, interrupted after the metadata: both volumes
/// have never-synced metadata over data. The metadata is done (no question about it again);
/// the sync over node2's old data still asks.
#[test]
fn a_resumed_run_over_kept_data_asks_only_about_what_is_left_to_do() {
    let text = include_str!("../../../resources/profiles/seed.toml").replace(
        "drbd_minor = 1\n",
        "drbd_minor = 1\nkeep_data_on = \"node1\"\n",
    );
    let over = |found: &str| VolumeContent::DrbdOverData(vec![found.to_owned()]);
    let facts = with_volumes(
        fresh("8.4.11"),
        [
            over("a dos partition table"),
            over("non-zero data in its first MiB"),
        ],
        40960,
    );
    let resumed = plan(&design(&text), &facts);
    let win2012: Vec<&str> = destructive_ids(&resumed)
        .into_iter()
        .filter(|id| id.contains("Win2012@"))
        .collect();
    assert_eq!(win2012, ["initial-sync:Win2012@node1"]);
    assert!(
        VolumeContent::from_probe("signature:drbd drbd-fresh signature:dos data-at-start")
            == over("a dos partition table")
    );
}

/// With IPMI fencing, each node asks the other's BMC (the device it will drive) before the
/// cluster's configuration turns fencing on; the password comes from the secret file written
/// in the same phase, before the node steps.
#[test]
fn each_node_checks_the_bmc_it_fences_before_the_configuration_is_loaded() {
    let lab = design(include_str!("../../../resources/profiles/lab.toml"));
    let plan = plan(&lab, &fresh("8.4.11"));
    let pacemaker = plan
        .phases
        .iter()
        .find(|phase| phase.kind == PhaseKind::Pacemaker)
        .expect("the Pacemaker phase");
    let position = |id: &str| {
        pacemaker
            .steps
            .iter()
            .position(|step| step.id == id)
            .unwrap_or_else(|| panic!("{id} in the Pacemaker phase"))
    };
    for (node, target) in [("lab1", "lab2"), ("lab2", "lab1")] {
        let id = format!("bmc-answers:{target}@{node}");
        let check = step(&plan, &id);
        assert_eq!(check.scope, Scope::Node(usize::from(node == "lab2")));
        assert!(position(&id) > position(&format!("fence-secret:{target}")));
        assert!(position(&id) < position("crm-load@lab1"));
        let Operation::Require { check, failure } = &check.operation else {
            panic!("a requirement: {check:?}");
        };
        assert!(check.contains(&paths::fence_secret(target)), "{check}");
        assert!(check.contains("--lanplus"), "{check}");
        // Only lab1's BMC names a cipher suite.
        assert_eq!(check.contains("--cipher=3"), target == "lab1", "{check}");
        assert!(failure.contains("Cluster page"), "{failure}");
    }
    // Without IPMI, no BMC is asked.
    assert!(
        plan_without_ipmi()
            .steps()
            .all(|(_, step)| !step.id.starts_with("bmc-answers"))
    );
}

fn plan_without_ipmi() -> Plan {
    plan(&seed(), &fresh("8.4.11"))
}

/// With a quorum device: qnetd and the certificates come before corosync is configured, each
/// node proves it reaches qnetd, and the nodes' qdevice daemons start only after the corosync
/// phases (which may only reload the configuration on a running cluster). Without one, none
/// of it.
#[test]
fn the_quorum_device_is_set_up_before_corosync_and_joins_after_it() {
    let lab = design(include_str!("../../../resources/profiles/lab.toml"));
    let plan = plan(&lab, &fresh("8.4.11"));
    assert_eq!(plan.quorum_device.as_deref(), Some("10.10.0.13"));
    let at = |kind: PhaseKind| phase_position(&plan, kind);
    assert!(at(PhaseKind::QuorumDevice) < at(PhaseKind::Corosync));
    assert!(at(PhaseKind::Corosync) < at(PhaseKind::QuorumDeviceVotes));
    assert!(at(PhaseKind::QuorumDeviceVotes) < at(PhaseKind::Pacemaker));
    assert_eq!(step(&plan, "qnetd-ready").scope, Scope::QuorumDevice);
    assert_eq!(step(&plan, "qdevice-certificates").scope, Scope::Cluster);
    let Operation::QdeviceCertificates(exchange) = &step(&plan, "qdevice-certificates").operation
    else {
        panic!("the certificate exchange");
    };
    assert!(exchange.sign.contains("-n lab "), "{}", exchange.sign);
    assert!(exchange.request.contains("-n lab "), "{}", exchange.request);
    for node in ["lab1", "lab2"] {
        let Operation::Require { check, .. } =
            &step(&plan, &format!("qnetd-reachable@{node}")).operation
        else {
            panic!("a requirement");
        };
        assert!(check.contains("/dev/tcp/'10.10.0.13'/5403"), "{check}");
        assert!(matches!(
            step(&plan, &format!("qdevice-connected@{node}")).operation,
            Operation::WaitUntil { .. }
        ));
    }
    // The exchange is shown in full in the script the Review page and `tandem plan` print.
    assert!(
        plan.script()
            .contains("## [quorum device 10.10.0.13] corosync-qnetd runs on 10.10.0.13")
    );
    let seed = plan_without_ipmi();
    assert!(seed.quorum_device.is_none());
    assert!(seed.phases.iter().all(|phase| !matches!(
        phase.kind,
        PhaseKind::QuorumDevice | PhaseKind::QuorumDeviceVotes
    )));
}

/// SBD: settings and softdog on each node, the disk initialised once from node 1, the same
/// disk proven on both, the daemon enabled, all before corosync; a running cluster gets SBD by
/// a rolling restart, one node at a time and said to be disruptive.
#[test]
fn sbd_is_set_up_before_corosync_and_joins_a_running_cluster_one_node_at_a_time() {
    let eight = design(include_str!("../../../tests/profiles/eight-vms.toml"));
    let plan = plan(&eight, &fresh("8.4.11"));
    let at = |kind: PhaseKind| phase_position(&plan, kind);
    assert!(at(PhaseKind::SbdDisk) < at(PhaseKind::SbdEnabled));
    assert!(at(PhaseKind::SbdEnabled) < at(PhaseKind::Corosync));
    assert!(
        plan.phases
            .iter()
            .all(|phase| phase.kind != PhaseKind::SbdRestart),
        "nothing runs yet"
    );
    for node in ["alpha", "beta"] {
        step(&plan, &format!("file:{}@{node}", paths::SBD_CONFIG));
        step(
            &plan,
            &format!("file:{}@{node}", paths::SOFTDOG_MODULES_LOAD),
        );
        step(&plan, &format!("softdog-loaded@{node}"));
        step(&plan, &format!("sbd-enabled@{node}"));
    }
    let create = step(&plan, "sbd-initialised@alpha");
    assert!(apply_of(create).contains(
        "sbd -d /dev/disk/by-id/wwn-0x6001405a1b2c3d4e5f60718293a4b5c6 -1 5 -4 10 create"
    ));
    assert!(apply_of(create).starts_with("if ! cmp -s -n 1048576 "));
    assert!(
        plan.steps()
            .all(|(_, step)| step.id != "sbd-initialised@beta")
    );
    assert!(matches!(
        step(&plan, "sbd-same-disk").operation,
        Operation::Exchange { .. }
    ));
    // The cluster runs already: SBD starts with a rolling restart.
    let mut running = fresh("8.4.11");
    for facts in &mut running {
        facts
            .corosync_running
            .insert("totem.cluster_name".into(), "eight".into());
    }
    let plan = super::plan(&eight, &running);
    let restart = plan
        .phases
        .iter()
        .find(|phase| phase.kind == PhaseKind::SbdRestart)
        .expect("a restart phase");
    assert!(restart.one_node_at_a_time);
    let started = step(&plan, "sbd-started@alpha");
    assert!(
        started
            .disruptive
            .as_deref()
            .is_some_and(|what| what.contains("its VMs move to beta first")),
        "{started:?}"
    );
    // No SBD, no SBD steps.
    assert!(
        plan_without_ipmi()
            .steps()
            .all(|(_, step)| !step.id.contains("sbd"))
    );
}

/// A profile without SBD or a quorum device, on nodes that still have them (an earlier profile
/// had both): each node's corosync-qdevice stopped and disabled once corosync runs without the
/// device; SBD disabled only after Pacemaker fences another way (a fence through the SBD disk
/// with SBD stopped would "succeed" without resetting anything), and stopped by a rolling
/// restart where the cluster runs. Nodes without them get none of it, nor do profiles that
/// keep them.
#[test]
fn a_dropped_sbd_and_quorum_device_are_switched_off_once_nothing_needs_them() {
    let seed = seed();
    let mut had_both = fresh("8.4.11");
    for facts in &mut had_both {
        facts.enabled_services = vec!["sbd".into(), "corosync-qdevice".into()];
        facts
            .corosync_running
            .insert("totem.cluster_name".into(), seed.cluster.name.clone());
    }
    let plan = plan(&seed, &had_both);
    let at = |kind: PhaseKind| phase_position(&plan, kind);
    assert!(at(PhaseKind::Corosync) < at(PhaseKind::QuorumDeviceRetired));
    assert!(at(PhaseKind::QuorumDeviceRetired) < at(PhaseKind::Pacemaker));
    assert!(at(PhaseKind::Pacemaker) < at(PhaseKind::SbdRetired));
    let retired = &plan.phases[at(PhaseKind::SbdRetired)];
    assert!(retired.one_node_at_a_time);
    let order: Vec<&str> = retired.steps.iter().map(|step| step.id.as_str()).collect();
    assert_eq!(
        order,
        [
            "sbd-disabled@node1",
            "sbd-stopped@node1",
            "back-online-after-sbd-stopped@node1",
            "sbd-disabled@node2",
            "sbd-stopped@node2",
            "back-online-after-sbd-stopped@node2",
        ]
    );
    let stopped = step(&plan, "sbd-stopped@node1");
    assert!(
        stopped
            .disruptive
            .as_deref()
            .is_some_and(|what| what.contains("its VMs move to node2 first")),
        "{stopped:?}"
    );
    assert!(apply_of(stopped).contains("systemctl stop pacemaker corosync"));
    for node in ["node1", "node2"] {
        assert_eq!(
            apply_of(step(&plan, &format!("qdevice-retired@{node}"))),
            "systemctl disable --now corosync-qdevice && { systemctl reset-failed corosync-qdevice 2>/dev/null || true; }"
        );
    }
    // A cluster that does not run: SBD only disabled.
    let mut stopped_cluster = had_both.clone();
    for facts in &mut stopped_cluster {
        facts.corosync_running.clear();
    }
    let plan = super::plan(&seed, &stopped_cluster);
    step(&plan, "sbd-disabled@node1");
    assert!(plan.steps().all(|(_, step)| step.id != "sbd-stopped@node1"));
    // Nodes that never had them, and profiles that keep them.
    let retiring = |plan: &Plan| {
        plan.steps()
            .any(|(_, step)| step.id.contains("retired") || step.id.starts_with("sbd-disabled"))
    };
    assert!(!retiring(&plan_without_ipmi()));
    let lab = design(include_str!("../../../resources/profiles/lab.toml"));
    let lab_plan = super::plan(&lab, &had_both);
    assert!(
        lab_plan
            .steps()
            .all(|(_, step)| step.id != "qdevice-retired@lab1"),
        "the lab keeps its quorum device"
    );
    step(&lab_plan, "sbd-disabled@lab1");
    let eight = design(include_str!("../../../tests/profiles/eight-vms.toml"));
    assert!(
        super::plan(&eight, &had_both)
            .steps()
            .all(|(_, step)| !step.id.starts_with("sbd-disabled")),
        "eight-vms keeps SBD"
    );
}

/// The wait for the nodes' qdevice daemons reads `corosync-qdevice-tool -s` as Debian 13's
/// prints it (captured on the testbed: tab-separated, "Connected" once qnetd answers, and
/// "Connecting" while qnetd is stopped).
#[test]
fn qdevice_connected_reads_the_tool_as_it_prints() {
    let run = |capture: &str| {
        let fixture = format!(
            "{}/../tests/fixtures/quorum/{capture}",
            env!("CARGO_MANIFEST_DIR")
        );
        let condition = super::quorum::QDEVICE_CONNECTED
            .replace("corosync-qdevice-tool -s", &format!("cat '{fixture}'"));
        std::process::Command::new("sh")
            .args(["-c", &condition])
            .status()
            .expect("sh runs")
            .success()
    };
    assert!(run("qdevice-tool-connected-trixie.txt"));
    assert!(!run("qdevice-tool-disconnected-trixie.txt"));
}
