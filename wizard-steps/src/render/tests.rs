//! Rendering details the golden files do not show: the marker retirement looks for, the DRBD
//! generations, the failback hours.

use super::context::hour_rule;
use super::{DrbdGeneration, Platform, paths, render, rendered_marker};

#[test]
fn every_drbd_resource_file_starts_with_the_marker_retirement_looks_for() {
    let profile = crate::Profile::from_toml(
        include_str!("../../../resources/profiles/seed.toml"),
        "seed",
    )
    .expect("parses");
    let design = crate::validate(&profile).expect("valid");
    for drbd in [DrbdGeneration::V84, DrbdGeneration::V9] {
        let rendered = render(
            &design,
            Platform {
                drbd,
                ..Platform::for_design(&design)
            },
        );
        for node in &rendered.nodes {
            for vm in &design.vms {
                let file = node
                    .file(&paths::drbd_resource(&vm.name))
                    .expect("the resource file");
                assert!(
                    file.contents
                        .starts_with(&rendered_marker(&profile.cluster.name)),
                    "{}",
                    file.contents
                );
            }
        }
    }
}

#[test]
fn live_migration_gives_each_node_a_way_to_its_peer_and_a_forced_command() {
    let profile = crate::Profile::from_toml(
        include_str!("../../../tests/profiles/live-migration.toml"),
        "live-migration",
    )
    .expect("parses");
    let design = crate::validate(&profile).expect("valid");
    let rendered = render(&design, Platform::for_design(&design));
    for (node, peer, address) in [(0, "lab2", "172.16.99.2"), (1, "lab1", "172.16.99.1")] {
        let files = &rendered.nodes[node];
        let config = files
            .file(paths::MIGRATION_SSH_CONFIG)
            .expect("the SSH client settings");
        assert!(config.contents.starts_with(&rendered_marker("lab")));
        assert!(
            config.contents.contains(&format!(
                "Match originalhost {peer} localuser root\n\tHostName {address}\n"
            )),
            "{}",
            config.contents
        );
        let receive = files
            .file(paths::MIGRATE_RECEIVE)
            .expect("the forced command");
        assert!(receive.contents.starts_with("#!/bin/sh\n"));
        assert_eq!(receive.mode, 0o755);
    }

    let seed = crate::Profile::from_toml(
        include_str!("../../../resources/profiles/seed.toml"),
        "seed",
    )
    .expect("parses");
    let design = crate::validate(&seed).expect("valid");
    let rendered = render(&design, Platform::for_design(&design));
    assert!(rendered.nodes[0].file(paths::MIGRATE_RECEIVE).is_none());
    assert!(
        rendered.nodes[0]
            .file(paths::MIGRATION_SSH_CONFIG)
            .is_none()
    );
}

#[test]
fn hour_rules_cover_the_window_and_wrap_midnight() {
    assert_eq!(hour_rule(1, 5), "date spec hours=1-4");
    assert_eq!(
        hour_rule(22, 6),
        "date spec hours=22-23 or date spec hours=0-5"
    );
    assert_eq!(hour_rule(6, 22), "date spec hours=6-21");
    assert_eq!(hour_rule(20, 0), "date spec hours=20-23");
    assert_eq!(
        hour_rule(23, 1),
        "date spec hours=23-23 or date spec hours=0-0"
    );
}

fn lab_design(change: impl FnOnce(&mut crate::Profile)) -> crate::Design {
    let mut profile =
        crate::Profile::from_toml(include_str!("../../../resources/profiles/lab.toml"), "lab")
            .expect("parses");
    change(&mut profile);
    crate::validate(&profile).expect("valid")
}

#[test]
fn sbd_fencing_renders_its_settings_its_watchdog_and_one_delayed_device() {
    for softdog in [true, false] {
        let design = lab_design(|profile| {
            profile.cluster.fencing = crate::profile::Fencing::Sbd {
                device: "/dev/disk/by-id/virtio-sbd".into(),
                softdog,
            };
        });
        let rendered = render(&design, Platform::for_design(&design));
        for node in &rendered.nodes {
            let sbd = node.file(paths::SBD_CONFIG).expect("/etc/default/sbd");
            assert!(
                sbd.contents
                    .contains("\nSBD_DEVICE=\"/dev/disk/by-id/virtio-sbd\"\n"),
                "{}",
                sbd.contents
            );
            assert!(sbd.contents.contains("\nSBD_PACEMAKER=yes\n"));
            assert_eq!(node.file(paths::SOFTDOG_MODULES_LOAD).is_some(), softdog);
            let resource = node.file(&paths::drbd_resource("web")).expect("web.res");
            assert!(resource.contents.contains("fencing resource-and-stonith;"));
        }
        let crm = &rendered.cluster_crm;
        assert!(crm.contains("stonith-enabled=true"), "{crm}");
        assert!(
            crm.contains(
                "primitive fence_sbd stonith:fence_sbd \\\n\tparams devices=\"/dev/disk/by-id/virtio-sbd\" pcmk_delay_base=\"lab1:15s;lab2:0s\""
            ),
            "{crm}"
        );
        assert!(!crm.contains("fence_ipmilan"), "{crm}");
    }
}

#[test]
fn a_quorum_device_replaces_two_node() {
    let conf = |design: &crate::Design| {
        let rendered = render(design, Platform::for_design(design));
        crate::corosync::flatten(
            &rendered.nodes[0]
                .file(paths::COROSYNC_CONF)
                .expect("corosync.conf")
                .contents,
        )
    };
    let without = conf(&lab_design(|profile| profile.cluster.quorum_device = None));
    assert_eq!(
        without.get("quorum.two_node").map(String::as_str),
        Some("1")
    );
    assert!(without.keys().all(|key| !key.starts_with("quorum.device")));
    let with = conf(&lab_design(|profile| {
        if let Some(device) = &mut profile.cluster.quorum_device {
            device.address = "qnetd.lan".into();
        }
    }));
    // corosync refuses to start with both ("two_node and quorum device cannot be configured at
    // the same time").
    assert_eq!(with.get("quorum.two_node"), None);
    for (key, value) in [
        ("quorum.device.model", "net"),
        ("quorum.device.votes", "1"),
        ("quorum.device.net.host", "qnetd.lan"),
        ("quorum.device.net.port", "5403"),
        ("quorum.device.net.algorithm", "ffsplit"),
        ("quorum.device.net.tie_breaker", "lowest"),
        ("quorum.device.net.tls", "on"),
    ] {
        assert_eq!(with.get(key).map(String::as_str), Some(value), "{key}");
    }
}

#[test]
fn a_named_cipher_suite_reaches_only_its_bmcs_fence_device() {
    // The lab names cipher suite 3 for lab1's BMC only.
    let design = lab_design(|_| {});
    let crm = render(&design, Platform::for_design(&design)).cluster_crm;
    let device = |id: &str| {
        crm.split("\nprimitive ")
            .find(|block| block.starts_with(id))
            .unwrap_or_else(|| panic!("{id} in\n{crm}"))
            .to_owned()
    };
    assert!(
        device("fence_lab1 ").contains("lanplus=1 cipher=3 "),
        "{crm}"
    );
    assert!(!device("fence_lab2 ").contains("cipher="), "{crm}");
}
