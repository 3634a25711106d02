//! Parsing the gather script's output and judging it against the seed design.

use super::*;
use crate::Design;
use crate::profile::{Boot, Profile};
use crate::validate::validate;

fn seed() -> Design {
    seed_with(|_| {})
}

/// The seed profile with an administrator's change, validated as a run validates it.
fn seed_with(change: impl FnOnce(&mut Profile)) -> Design {
    let mut profile = Profile::from_toml(
        include_str!("../../../resources/profiles/seed.toml"),
        "seed",
    )
    .expect("parses");
    change(&mut profile);
    validate(&profile).expect("valid")
}

/// What the gather script prints on a healthy, freshly installed node1 of the seed cluster.
const NODE1: &str = include_str!("../../../tests/fixtures/facts/seed-node1.txt");

fn healthy() -> [NodeFacts; 2] {
    let first = parse(NODE1);
    let second = parse(
        &NODE1
            .replace("hostname=node1", "hostname=node2")
            .replace("machine_id=6d2a", "machine_id=71b3"),
    );
    [first, second]
}

fn errors(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .map(|finding| format!("{} {}: {}", finding.node, finding.check, finding.detail))
        .collect()
}

#[test]
fn the_gather_output_parses_into_facts() {
    let facts = parse(NODE1);
    assert_eq!(facts.uid, Some(0));
    assert_eq!(facts.hostname, "node1");
    assert_eq!(facts.debian_release(), Some(DebianRelease::Bookworm));
    assert_eq!(facts.memory_mib, 16000);
    assert!(facts.hvm_capable && !facts.dom0);
    assert_eq!(facts.drbd_generation(), DrbdGeneration::V84);
    assert_eq!(
        facts.installed.get("drbd-utils").map(String::as_str),
        Some("9.22.0-1")
    );
    assert_eq!(facts.nics.len(), 2);
    assert_eq!(facts.nics[1].name, "eth0");
    assert_eq!(facts.nics[1].master, None);
    assert_eq!(
        facts.volume_group,
        Some(VolumeGroup {
            size_mib: 200000,
            free_mib: 119000
        })
    );
    assert_eq!(
        facts.volume("Win2012").map(|lv| lv.content.clone()),
        Some(VolumeContent::Blank)
    );
    assert_eq!(facts.listening, [22], "duplicates folded");
    assert!(facts.has_file("/home/WindowsServer2012_RU_STD_TRIAL.ISO"));
    assert_eq!(facts.reaches_peer, Some(true));
}

#[test]
fn a_bridge_port_and_a_drbd_9_module_are_recognised() {
    let facts = parse(
        "nic=eth0 link br0\nnic=br0 bridge \ndrbd_module=9.2.12\nlv=vm 1024\ncontent=vm signature:drbd drbd-used\n",
    );
    assert_eq!(facts.nics[0].master.as_deref(), Some("br0"));
    assert!(facts.nics[1].is_bridge);
    assert_eq!(facts.drbd_generation(), DrbdGeneration::V9);
    assert_eq!(
        facts.volume("vm").map(|lv| &lv.content),
        Some(&VolumeContent::Drbd)
    );
}

#[test]
fn healthy_nodes_pass_every_check() {
    let findings = evaluate(&seed(), &healthy(), &LocalFacts::default());
    assert!(errors(&findings).is_empty(), "{:#?}", errors(&findings));
    assert!(blocking(&findings).is_empty());
    assert!(findings.iter().any(|finding| finding.check == "memory"));
}

#[test]
fn each_problem_is_found_before_anything_changes() {
    let mut facts = healthy();
    facts[0].hostname = "debian".into();
    facts[0].uid = Some(1000);
    facts[1].os_version_id = "11".into();
    facts[1].memory_mib = 4096;
    facts[1].hvm_capable = false;
    facts[1].nics.retain(|nic| nic.name != "eth0");
    facts[1].reaches_peer = Some(false);
    facts[1].unavailable = vec!["crmsh".into()];
    let found = errors(&evaluate(&seed(), &facts, &LocalFacts::default()));
    for expected in [
        "node1 root",
        "node1 hostname",
        "node2 Debian release",
        "node2 memory",
        "node2 hardware virtualisation",
        "node2 LAN NIC",
        "node2 cluster link",
        "node2 packages",
    ] {
        assert!(
            found.iter().any(|line| line.starts_with(expected)),
            "{expected} not in {found:#?}"
        );
    }
}

#[test]
fn memory_must_hold_every_vm_at_once_plus_dom0() {
    let mut facts = healthy();
    // 2 x 2048 MiB VMs + 2048 MiB dom0 = 6144 MiB.
    facts[0].memory_mib = 6144;
    assert!(errors(&evaluate(&seed(), &facts, &LocalFacts::default())).is_empty());
    facts[0].memory_mib = 6143;
    let found = errors(&evaluate(&seed(), &facts, &LocalFacts::default()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("4096 MiB plus 2048 MiB for dom0"),
        "{found:?}"
    );
}

#[test]
fn a_volume_with_data_stops_the_run_unless_the_profile_says_whose_to_keep() {
    let mut facts = healthy();
    facts[1].volumes.get_mut("Win2012").expect("volume").content =
        VolumeContent::Data(vec!["a dos partition table".into()]);
    let findings = evaluate(&seed(), &facts, &LocalFacts::default());
    let found = errors(&findings);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("holds a dos partition table; Tandem initialises no volume"),
        "{found:?}"
    );
    let fix = &blocking(&findings)[0].fix;
    assert!(fix.contains("vms[0].keep_data_on"), "{fix}");

    let design = seed_with(|profile| profile.vms[0].keep_data_on = Some("node1".into()));
    let findings = evaluate(&design, &facts, &LocalFacts::default());
    assert!(errors(&findings).is_empty());
    let warning = findings
        .iter()
        .find(|finding| finding.severity == Severity::Warning)
        .expect("the overwrite is announced");
    assert!(
        warning
            .detail
            .contains("OVERWRITTEN with the data of node1"),
        "{warning:?}"
    );
}

#[test]
fn missing_volumes_are_created_only_when_allowed_and_when_there_is_room() {
    let mut facts = healthy();
    facts[0].volumes.clear();
    assert!(errors(&evaluate(&seed(), &facts, &LocalFacts::default())).is_empty());
    facts[0].volume_group.as_mut().expect("vg").free_mib = 1000;
    let found = errors(&evaluate(&seed(), &facts, &LocalFacts::default()));
    assert!(
        found
            .iter()
            .any(|line| line.starts_with("node1 volume group")),
        "{found:?}"
    );
    let design = seed_with(|profile| profile.storage.volumes[0].create = false);
    let found = errors(&evaluate(&design, &facts, &LocalFacts::default()));
    assert!(
        found.iter().any(|line| line.contains("does not create it")),
        "{found:?}"
    );
}

#[test]
fn volumes_of_different_sizes_are_refused() {
    let mut facts = healthy();
    facts[1]
        .volumes
        .get_mut("Win2012-2")
        .expect("volume")
        .size_mib = 40000;
    let found = errors(&evaluate(&seed(), &facts, &LocalFacts::default()));
    assert!(
        found.iter().any(|line| line.starts_with("node2 volume")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|line| line.starts_with("cluster equal volumes")),
        "{found:?}"
    );
}

#[test]
fn a_busy_drbd_port_is_refused_unless_drbd_itself_holds_it() {
    let mut facts = healthy();
    facts[0].listening.push(7900);
    let found = errors(&evaluate(&seed(), &facts, &LocalFacts::default()));
    assert!(
        found.iter().any(|line| line.contains("port 7900")),
        "{found:?}"
    );
    facts[0].drbd_up.push("Win2012".into());
    assert!(errors(&evaluate(&seed(), &facts, &LocalFacts::default())).is_empty());
}

#[test]
fn a_missing_iso_needs_a_local_file_to_upload() {
    let mut facts = healthy();
    facts[1].present_files.clear();
    let found = errors(&evaluate(&seed(), &facts, &LocalFacts::default()));
    assert!(
        found
            .iter()
            .any(|line| line.starts_with("node2 install ISO")),
        "{found:?}"
    );
    // As the VMs page does when a local ISO is chosen: it is uploaded into the ISO directory.
    let design = seed_with(|profile| {
        let directory = profile.storage.iso_directory.clone();
        for vm in &mut profile.vms {
            if let Boot::Hvm {
                iso, iso_source, ..
            } = &mut vm.boot
            {
                *iso = format!("{directory}/ws2012.iso");
                *iso_source = Some("/home/admin/ws2012.iso".into());
            }
        }
    });
    let local = LocalFacts {
        existing_sources: vec!["/home/admin/ws2012.iso".into()],
    };
    assert!(errors(&evaluate(&design, &facts, &local)).is_empty());
}

#[test]
fn the_gather_script_asks_only_about_the_designs_things() {
    let script = gather_script(&seed(), 0);
    assert!(script.contains("vgs --noheadings --units m --nosuffix -o vg_size,vg_free virtuals"));
    assert!(
        script.contains("echo \"content=Win2012 $(volume_probe /dev/virtuals/Win2012 Win2012 1)\"")
    );
    assert!(script.contains("volume_probe /dev/virtuals/Win2012-2 Win2012-2 2"));
    assert!(
        script.contains("ping -c 1 -W 2 192.168.1.2"),
        "node1 pings node2's replication address"
    );
    assert!(gather_script(&seed(), 1).contains("ping -c 1 -W 2 192.168.1.1"));
    for word in [
        "rm ",
        "mkfs",
        "wipefs -a",
        "lvcreate",
        "create-md",
        "drbdadm up",
        "primary",
        "of=",
        "> /",
    ] {
        assert!(
            !script.contains(word),
            "the gather script must stay read-only: {word}"
        );
    }
}

#[test]
fn cloned_nodes_with_one_machine_id_are_refused() {
    let mut facts = healthy();
    facts[1].machine_id = facts[0].machine_id.clone();
    let found = errors(&evaluate(&seed(), &facts, &LocalFacts::default()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("cluster distinct machines"),
        "{found:?}"
    );
}

#[test]
fn the_vms_whose_drbd_files_tandem_rendered_are_listed_from_the_marker() {
    let facts = parse("tandem_vm=Win2012\ntandem_vm=Old-VM\n");
    assert_eq!(facts.tandem_vms, ["Win2012", "Old-VM"]);
    let script = gather_script(&seed(), 0);
    assert!(
        script.contains("grep -qF '# Rendered by Tandem for cluster \"seed\"'"),
        "{script}"
    );
}

#[test]
fn the_peers_migration_access_is_found_by_its_key_comment_or_the_ssh_settings() {
    assert!(parse("migration_access=yes\n").migration_access);
    assert!(!parse("reaches_peer=yes\n").migration_access);
    let script = gather_script(&seed(), 0);
    assert!(
        script.contains(
            "if [ -e /etc/ssh/ssh_config.d/tandem-migration.conf ] || grep -qsF ' tandem-migration@node2.seed' /root/.ssh/authorized_keys; then echo migration_access=yes; fi"
        ),
        "{script}"
    );
}

/// The probe's words as the testbed's DRBD 8.4 nodes printed them (volumes of a fresh, a
/// resumed and a running cluster) and as dash printed them for disk images.
#[test]
fn probe_words_become_what_the_volume_holds() {
    use VolumeContent::*;
    for (words, content) in [
        ("blank", Blank),
        ("", Blank),
        ("signature:drbd drbd-fresh", FreshDrbd),
        ("signature:drbd drbd-used data-at-end", Drbd),
        (
            "signature:drbd drbd-used signature:ext4 data-at-start",
            Drbd,
        ),
        (
            "signature:drbd drbd-fresh data-at-end",
            DrbdOverData(vec!["non-zero data in its last MiB".into()]),
        ),
        (
            "signature:drbd",
            Data(vec!["DRBD metadata of unknown origin".into()]),
        ),
        (
            "signature:dos data-at-start",
            Data(vec!["a dos partition table".into()]),
        ),
        (
            "signature:PMBR signature:gpt data-at-start data-at-end",
            Data(vec![
                "a PMBR partition table".into(),
                "a gpt partition table".into(),
            ]),
        ),
        (
            "signature:LVM2_member",
            Data(vec!["an LVM physical volume".into()]),
        ),
        (
            "data-at-start",
            Data(vec!["non-zero data in its first MiB".into()]),
        ),
    ] {
        assert_eq!(VolumeContent::from_probe(words), content, "{words:?}");
    }
    assert!(!Drbd.holds_data() && !Drbd.is_blank());
    assert!(FreshDrbd.is_blank() && Blank.is_blank());
}

/// A listed volume whose content line is missing (an older node script, a cut output) is not
/// taken for blank.
#[test]
fn an_unprobed_volume_counts_as_data() {
    let facts = parse("lv=Win2012 40960\n");
    assert!(
        facts
            .volume("Win2012")
            .expect("listed")
            .content
            .holds_data()
    );
}

/// The seed with SBD fencing on a shared disk (softdog as asked).
fn seed_with_sbd(softdog: bool) -> Design {
    seed_with(|profile| {
        profile.cluster.fencing = crate::profile::Fencing::Sbd {
            device: "/dev/disk/by-id/virtio-tandem-sbd".into(),
            softdog,
        }
    })
}

/// Both nodes' gather output with SBD's lines added.
fn healthy_with(sbd_lines: [&str; 2]) -> [NodeFacts; 2] {
    let [first, second] = healthy();
    let add = |facts: NodeFacts, lines: &str| {
        let extra = parse(lines);
        NodeFacts {
            sbd_disk: extra.sbd_disk,
            watchdog: extra.watchdog,
            softdog_available: extra.softdog_available,
            ..facts
        }
    };
    [add(first, sbd_lines[0]), add(second, sbd_lines[1])]
}

#[test]
fn the_gather_script_asks_about_the_sbd_disk_and_the_watchdog_only_with_sbd() {
    let with = gather_script(&seed_with_sbd(true), 0);
    assert!(
        with.contains("sbd_dev=/dev/disk/by-id/virtio-tandem-sbd"),
        "{with}"
    );
    assert!(with.contains("modinfo softdog"));
    assert!(!gather_script(&seed(), 0).contains("sbd_dev"));
    let facts = parse("sbd_disk=present 8388608 no blank\nwatchdog=yes\nsoftdog=available\n");
    assert_eq!(
        facts.sbd_disk,
        Some(SbdDisk::Present {
            size_bytes: 8_388_608,
            initialised: false,
            content: VolumeContent::Blank
        })
    );
    assert!(facts.watchdog && facts.softdog_available);
    assert_eq!(parse("sbd_disk=missing\n").sbd_disk, Some(SbdDisk::Missing));
}

/// Every profile asks which protection services start at boot, so that one that drops them
/// can switch them off.
#[test]
fn the_protection_services_enabled_at_boot_are_asked_and_read() {
    let script = gather_script(&seed(), 0);
    assert!(
        script.contains("for unit in sbd corosync-qdevice; do systemctl is-enabled --quiet"),
        "{script}"
    );
    let facts = parse("enabled=sbd\nenabled=corosync-qdevice\n");
    assert!(facts.enabled("sbd") && facts.enabled("corosync-qdevice"));
    assert!(!parse("").enabled("sbd"));
}

#[test]
fn sbd_needs_the_same_blank_or_sbd_disk_on_both_nodes_and_a_watchdog() {
    let blank = "sbd_disk=present 8388608 no blank\nsoftdog=available\n";
    let design = seed_with_sbd(true);
    assert_eq!(
        errors(&evaluate(
            &design,
            &healthy_with([blank, blank]),
            &LocalFacts::default()
        )),
        Vec::<String>::new()
    );
    // Initialised already (a re-run, or SBD made by hand): kept.
    let sbd = "sbd_disk=present 8388608 yes data-at-start\nwatchdog=yes\n";
    assert!(
        errors(&evaluate(
            &design,
            &healthy_with([sbd, sbd]),
            &LocalFacts::default()
        ))
        .is_empty()
    );
    for (lines, says) in [
        (
            ["sbd_disk=missing\nsoftdog=available\n", blank],
            "node1 SBD disk: /dev/disk/by-id/virtio-tandem-sbd is not a block device on node1",
        ),
        (
            [
                blank,
                "sbd_disk=present 8388608 no signature:ext4 data-at-start\nsoftdog=available\n",
            ],
            "node2 SBD disk: /dev/disk/by-id/virtio-tandem-sbd holds",
        ),
        (
            [
                blank,
                "sbd_disk=present 16777216 no blank\nsoftdog=available\n",
            ],
            "cluster SBD disk: /dev/disk/by-id/virtio-tandem-sbd has 8388608 bytes on node1 and 16777216 on node2: not the same disk",
        ),
        (
            ["sbd_disk=present 8388608 no blank\n", blank],
            "node1 watchdog: no /dev/watchdog, and the softdog module is not available",
        ),
    ] {
        let found = errors(&evaluate(
            &design,
            &healthy_with(lines),
            &LocalFacts::default(),
        ));
        assert!(
            found.len() == 1 && found[0].starts_with(says),
            "{lines:?}: {found:?}"
        );
    }
    // Without softdog, a node needs its own watchdog.
    let found = errors(&evaluate(
        &seed_with_sbd(false),
        &healthy_with([blank, blank]),
        &LocalFacts::default(),
    ));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("no /dev/watchdog: SBD cannot reset this node"));
}

#[test]
fn each_node_must_reach_the_quorum_devices_port() {
    let design = seed_with(|profile| {
        crate::pages::cluster::set_quorum_device(profile, true);
        if let Some(device) = &mut profile.cluster.quorum_device {
            device.address = "192.168.1.3".into();
            device.ssh.host = "192.168.1.3".into();
        }
    });
    let script = gather_script(&design, 1);
    assert!(script.contains("/dev/tcp/'192.168.1.3'/5403"), "{script}");
    assert!(!gather_script(&seed(), 1).contains("/dev/tcp"));
    let with = |lines: [&str; 2]| {
        let [first, second] = healthy();
        [
            NodeFacts {
                qnetd: parse(lines[0]).qnetd,
                ..first
            },
            NodeFacts {
                qnetd: parse(lines[1]).qnetd,
                ..second
            },
        ]
    };
    // Open, or refused before Tandem installs qnetd: fine.
    let fine = evaluate(
        &design,
        &with(["qnetd=open", "qnetd=refused"]),
        &LocalFacts::default(),
    );
    assert!(errors(&fine).is_empty(), "{:?}", errors(&fine));
    // Silence from one node: a wrong address or a firewall, before anything changes.
    let found = errors(&evaluate(
        &design,
        &with(["qnetd=open", "qnetd=unreachable"]),
        &LocalFacts::default(),
    ));
    assert_eq!(
        found,
        ["node2 quorum device: node2 gets no answer from 192.168.1.3:5403"]
    );
}

/// With IPMI, each node pings the BMC it fences the other node with (no password, no IPMI
/// client needed yet); silence is an error that names the BMC's field, before anything changes.
#[test]
fn each_node_must_reach_the_bmc_it_fences_with() {
    let design = seed_with(|profile| {
        profile.cluster.fencing = crate::profile::Fencing::Ipmi {};
        for (index, node) in profile.nodes.iter_mut().enumerate() {
            node.bmc = Some(crate::profile::Bmc {
                address: format!("10.99.9.10{}", index + 1),
                user: "fence".into(),
                ..crate::profile::Bmc::blank()
            });
        }
    });
    // node1 fences node2: it pings node2's BMC.
    let script = gather_script(&design, 0);
    assert!(script.contains("/dev/udp/'10.99.9.102'/623"), "{script}");
    assert!(!gather_script(&seed(), 0).contains("/dev/udp"));
    let with = |lines: [&str; 2]| {
        let [first, second] = healthy();
        [
            NodeFacts {
                peer_bmc_answers: parse(lines[0]).peer_bmc_answers,
                ..first
            },
            NodeFacts {
                peer_bmc_answers: parse(lines[1]).peer_bmc_answers,
                ..second
            },
        ]
    };
    let fine = evaluate(
        &design,
        &with(["peer_bmc=answers", "peer_bmc=answers"]),
        &LocalFacts::default(),
    );
    assert!(errors(&fine).is_empty(), "{:?}", errors(&fine));
    let found = evaluate(
        &design,
        &with(["peer_bmc=answers", "peer_bmc=silent"]),
        &LocalFacts::default(),
    );
    assert_eq!(
        errors(&found),
        [
            "node2 BMC: node2 gets no answer from node1's BMC at 10.99.9.101 (an RMCP presence ping on UDP port 623)"
        ]
    );
    let silent = found
        .iter()
        .find(|finding| finding.severity == Severity::Error)
        .expect("the error");
    assert!(
        silent.fix.contains("nodes[0].bmc.address"),
        "{}",
        silent.fix
    );
}
