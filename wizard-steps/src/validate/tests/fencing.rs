//! SBD fencing and the quorum device: what a wrong disk name or a "third machine" that is a
//! node gets told.

use super::*;
use crate::profile::QuorumDevice;

fn sbd_on(device: &str) -> Fencing {
    Fencing::Sbd {
        device: device.to_owned(),
        softdog: true,
    }
}

/// The lab's quorum device: a third machine on the LAN, reached by SSH as root.
fn quorum_device() -> QuorumDevice {
    QuorumDevice {
        address: "10.10.0.13".to_owned(),
        port: 5403,
        ssh: crate::profile::SshAccess {
            host: "10.10.0.13".to_owned(),
            port: 22,
            user: "root".to_owned(),
            auth: SshAuth::Agent {},
            sudo: false,
        },
    }
}

#[test]
fn sbd_fencing_takes_a_stable_name_of_the_shared_disk() {
    for device in [
        "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4",
        "/dev/disk/by-id/virtio-tandem-sbd",
        "/dev/disk/by-path/ip-10.10.0.5:3260-iscsi-iqn.2026-12.lan.san:sbd-lun-0",
        "/dev/mapper/mpatha",
    ] {
        let design = expect_valid(&lab_with(|profile| {
            profile.cluster.fencing = sbd_on(device)
        }));
        assert!(design.fences(), "{device}");
    }
    for (device, says) in [
        ("/dev/sdb", "is not a stable name of a shared disk"),
        ("", "is not a stable name"),
        ("/dev/disk/by-id/", "is not a stable name"),
        ("/dev/disk/by-id/../sda", "is not a stable name"),
        ("/dev/disk/by-id/wwn-0x5 ; reboot", "is not a stable name"),
        ("/dev/disk/by-id/wwn\"x", "is not a stable name"),
        ("/dev/disk/by-uuid/1234", "is not a stable name"),
    ] {
        let problems = expect_only_problem(
            &lab_with(|profile| profile.cluster.fencing = sbd_on(device)),
            "cluster.fencing.device",
            says,
        );
        assert!(problems.0[0].fix.contains("/dev/disk/by-id/"), "{problems}");
    }
}

#[test]
fn sbd_fencing_needs_no_bmc() {
    expect_valid(&lab_with(|profile| {
        profile.cluster.fencing = sbd_on("/dev/disk/by-id/virtio-sbd");
        profile.nodes[0].bmc = None;
        profile.nodes[1].bmc = None;
    }));
}

#[test]
fn a_quorum_device_is_a_third_machine() {
    let design = expect_valid(&lab_with(|profile| {
        profile.cluster.quorum_device = Some(quorum_device())
    }));
    assert!(design.packages().contains(&"corosync-qdevice"));
    // A node's LAN or replication address, or its name, is no third vote.
    for (index, address) in [(0, "10.10.0.11"), (1, "172.16.99.2"), (1, "LAB2")] {
        let profile = lab_with(|profile| {
            let mut device = quorum_device();
            device.address = address.to_owned();
            profile.cluster.quorum_device = Some(device);
        });
        let problems = expect_only_problem(
            &profile,
            "cluster.quorum_device.address",
            &format!("is node {}'s own address", index + 1),
        );
        assert!(
            problems.0[0].fix.contains("outside the cluster"),
            "{problems}"
        );
    }
    // Tandem reaching a node where it should reach the third machine.
    let profile = lab_with(|profile| {
        let mut device = quorum_device();
        device.ssh.host = "10.10.0.12".to_owned();
        profile.cluster.quorum_device = Some(device);
    });
    expect_only_problem(
        &profile,
        "cluster.quorum_device.ssh.host",
        "is how Tandem reaches node 2",
    );
    // The same host on another SSH port is another machine (a forwarded port, a container).
    expect_valid(&lab_with(|profile| {
        let mut device = quorum_device();
        device.ssh.host = "10.10.0.12".to_owned();
        device.ssh.port = 2222;
        profile.cluster.quorum_device = Some(device);
    }));
}

#[test]
fn the_quorum_devices_fields_are_checked_like_a_nodes() {
    for (change, field, says) in [
        (
            (|device: &mut QuorumDevice| device.address = "qnetd host".to_owned())
                as fn(&mut QuorumDevice),
            "cluster.quorum_device.address",
            "\"qnetd host\" is not a host name or address",
        ),
        (
            |device| device.port = 0,
            "cluster.quorum_device.port",
            "port 0",
        ),
        (
            |device| device.ssh.host = "10.10.0.300".to_owned(),
            "cluster.quorum_device.ssh.host",
            "is not an IPv4 address",
        ),
        (
            |device| device.ssh.port = 0,
            "cluster.quorum_device.ssh.port",
            "port 0",
        ),
        (
            |device| device.ssh.user = "Admin".to_owned(),
            "cluster.quorum_device.ssh.user",
            "is not a user name",
        ),
        (
            |device| device.ssh.user = "admin".to_owned(),
            "cluster.quorum_device.ssh.sudo",
            "setup needs root",
        ),
        (
            |device| {
                device.ssh.auth = SshAuth::KeyFile {
                    path: " ".to_owned(),
                }
            },
            "cluster.quorum_device.ssh.auth.path",
            "the private key file is not named",
        ),
    ] {
        let profile = lab_with(|profile| {
            let mut device = quorum_device();
            change(&mut device);
            profile.cluster.quorum_device = Some(device);
        });
        let problems = expect_only_problem(&profile, field, says);
        assert!(
            !problems.0[0].fix.contains("the node's"),
            "the fix speaks of a node: {problems}"
        );
    }
}

#[test]
fn each_fencing_method_installs_its_own_agents_per_release() {
    let packages = |fencing: Fencing, debian: u8| {
        expect_valid(&lab_with(|profile| {
            profile.cluster.fencing = fencing;
            profile.cluster.quorum_device = None;
            profile.cluster.debian = debian.try_into().expect("a release");
        }))
        .packages()
    };
    let sbd = || sbd_on("/dev/disk/by-id/virtio-sbd");
    assert!(packages(sbd(), 12).contains(&"sbd"));
    assert!(packages(sbd(), 12).contains(&"fence-agents"));
    assert!(packages(sbd(), 13).contains(&"fence-agents-sbd"));
    // Debian 13's fence-agents pulls every agent there is (597 packages).
    assert!(!packages(sbd(), 13).contains(&"fence-agents"));
    assert!(!packages(Fencing::Ipmi {}, 13).contains(&"sbd"));
    let none = Fencing::None {
        acknowledge_split_brain_risk: true,
    };
    for debian in [12, 13] {
        let installed = packages(none.clone(), debian);
        assert!(
            installed
                .iter()
                .all(|package| !package.contains("fence") && *package != "sbd"),
            "{installed:?}"
        );
        assert!(!installed.contains(&"corosync-qdevice"));
    }
}

#[test]
fn a_bmc_cipher_suite_is_lanplus_and_one_ipmitool_knows() {
    let with_cipher = |lanplus: bool, cipher: u8| {
        lab_with(|profile| {
            if let Some(bmc) = &mut profile.nodes[1].bmc {
                bmc.lanplus = lanplus;
                bmc.cipher = Some(cipher);
            }
        })
    };
    expect_valid(&with_cipher(true, 17));
    expect_only_problem(
        &with_cipher(true, 18),
        "nodes[1].bmc.cipher",
        "18 is not an IPMI cipher suite",
    );
    expect_only_problem(
        &with_cipher(false, 3),
        "nodes[1].bmc.cipher",
        "not IPMI v2.0 (lanplus)",
    );
}
