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
