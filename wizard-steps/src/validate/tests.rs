use std::collections::HashSet;

use super::syntax::is_unicast_mac;
use super::*;
use crate::field::{ClusterField, NodeField, VmField};
use crate::profile::{Bmc, Boot, DrbdProtocol, Failback, Fencing, SshAuth, Volume};

const SEED: &str = include_str!("../../../resources/profiles/seed.toml");
const LAB: &str = include_str!("../../../resources/profiles/lab.toml");

/// The reference profile: no fencing (acknowledged), HVM guests, explicit minors and ports.
fn seed() -> Profile {
    Profile::from_toml(SEED, "seed").expect("the seed profile parses")
}

/// The lab profile: IPMI fencing, a gateway, PV guests, automatic minors and ports.
fn lab() -> Profile {
    Profile::from_toml(LAB, "lab").expect("the lab profile parses")
}

fn seed_with(change: impl FnOnce(&mut Profile)) -> Profile {
    let mut profile = seed();
    change(&mut profile);
    profile
}

fn lab_with(change: impl FnOnce(&mut Profile)) -> Profile {
    let mut profile = lab();
    change(&mut profile);
    profile
}

/// Validation fails with a problem at exactly `field` whose message contains `says` and that
/// comes with a fix. Returns every problem for further checks.
#[track_caller]
fn expect_problem(profile: &Profile, field: &str, says: &str) -> Problems {
    let problems = validate(profile).expect_err("the broken profile must not validate");
    let found = problems
        .0
        .iter()
        .filter(|problem| problem.field.path() == field)
        .any(|problem| problem.message.contains(says) && !problem.fix.trim().is_empty());
    assert!(
        found,
        "expected a problem at `{field}` saying {says:?}, got:\n{problems}"
    );
    problems
}

/// Like [`expect_problem`], and the broken field is the only thing validation complains about.
#[track_caller]
fn expect_only_problem(profile: &Profile, field: &str, says: &str) -> Problems {
    let problems = expect_problem(profile, field, says);
    assert_eq!(
        problems.0.len(),
        1,
        "expected only the problem at `{field}`, got:\n{problems}"
    );
    problems
}

#[track_caller]
fn expect_valid(profile: &Profile) -> Design {
    match validate(profile) {
        Ok(design) => design,
        Err(problems) => panic!("expected the profile to validate, got:\n{problems}"),
    }
}

fn fields(problems: &Problems) -> Vec<String> {
    problems
        .0
        .iter()
        .map(|problem| problem.field.path())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Valid profiles and the design they produce
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_profile_is_valid_and_keeps_its_explicit_numbers() {
    let profile = seed();
    let design = expect_valid(&profile);
    assert_eq!(design.cluster, profile.cluster);
    assert_eq!(design.network, profile.network);
    assert_eq!(design.storage.volume_group, "virtuals");
    let vm = &design.vms[0];
    let settings = &profile.vms[0];
    assert_eq!(
        (vm.memory_mib, vm.vcpus, &vm.boot, vm.volume.as_str()),
        (
            settings.memory_mib,
            settings.vcpus,
            &settings.boot,
            settings.volume.as_str()
        )
    );
    assert_eq!(design.nodes[0].nic, profile.nodes[0].lan.nic);
    assert_eq!(design.nodes[0].ssh, profile.nodes[0].ssh);
    assert_eq!(
        design.lan,
        Subnet {
            network: Ipv4Addr::new(192, 168, 1, 0),
            prefix: 24,
        }
    );
    assert_eq!(design.nodes[0].hostname, "node1");
    assert_eq!(design.nodes[0].node_id, 1);
    assert_eq!(design.nodes[0].lan_address, Ipv4Addr::new(192, 168, 1, 1));
    assert_eq!(design.nodes[0].gateway, None);
    assert_eq!(
        design.nodes[0].replication_address,
        Ipv4Addr::new(192, 168, 1, 1)
    );
    assert_eq!(design.nodes[1].hostname, "node2");
    assert_eq!(design.nodes[1].node_id, 2);
    assert_eq!(design.nodes[1].lan_address, Ipv4Addr::new(192, 168, 1, 2));

    assert_eq!(design.vms.len(), 2);
    let first = &design.vms[0];
    assert_eq!(first.name, "Win2012");
    assert_eq!(first.home, 0);
    assert_eq!((first.drbd_minor, first.drbd_port), (1, 7900));
    assert_eq!(first.backing_disk, "/dev/virtuals/Win2012");
    assert_eq!(first.volume_size_mib, 40 * 1024);
    assert_eq!(first.console_ip, Some(Ipv4Addr::new(192, 168, 1, 3)));
    assert_eq!(first.mac, derived_mac("seed", "Win2012"));
    let second = &design.vms[1];
    assert_eq!(second.name, "Win2012-2");
    assert_eq!(second.home, 1);
    assert_eq!((second.drbd_minor, second.drbd_port), (2, 7800));
    assert_eq!(second.backing_disk, "/dev/virtuals/Win2012-2");
    assert_eq!(second.console_ip, None);
    assert_eq!(second.mac, derived_mac("seed", "Win2012-2"));
}

#[test]
fn lab_profile_is_valid_and_gets_the_first_free_numbers() {
    let design = expect_valid(&lab());
    assert_eq!(design.lan.to_string(), "10.10.0.0/24");
    assert_eq!(design.nodes[0].gateway, Some(Ipv4Addr::new(10, 10, 0, 1)));
    assert_eq!(
        design.nodes[1].replication_address,
        Ipv4Addr::new(172, 16, 99, 2)
    );
    let numbers: Vec<(u32, u16)> = design
        .vms
        .iter()
        .map(|vm| (vm.drbd_minor, vm.drbd_port))
        .collect();
    assert_eq!(
        numbers,
        [
            (FIRST_DRBD_MINOR, FIRST_DRBD_PORT),
            (FIRST_DRBD_MINOR + 1, FIRST_DRBD_PORT + 1)
        ]
    );
    assert_eq!(design.vms[0].volume_size_mib, 8 * 1024);
    assert_eq!(design.vms[1].home, 1);
    assert_eq!(design.vms[1].backing_disk, "/dev/vg0/db");
}

#[test]
fn automatic_minors_and_ports_skip_the_explicit_ones() {
    let profile = lab_with(|profile| {
        // vms[0] automatic, vms[1] takes the first minor and the second port, vms[2] automatic.
        profile.vms[1].drbd_minor = Some(FIRST_DRBD_MINOR);
        profile.vms[1].drbd_port = Some(FIRST_DRBD_PORT + 1);
        let mut third = profile.vms[1].clone();
        third.name = "mail".to_owned();
        third.volume = "mail".to_owned();
        third.drbd_minor = None;
        third.drbd_port = None;
        profile.vms.push(third);
        profile.storage.volumes.push(Volume {
            name: "mail".to_owned(),
            size: "4G".to_owned(),
            create: true,
        });
    });
    let design = expect_valid(&profile);
    let numbers: Vec<(&str, u32, u16)> = design
        .vms
        .iter()
        .map(|vm| (vm.name.as_str(), vm.drbd_minor, vm.drbd_port))
        .collect();
    assert_eq!(
        numbers,
        [("web", 2, 7789), ("db", 1, 7790), ("mail", 3, 7791)]
    );
}

#[test]
fn setting_one_vms_numbers_does_not_move_another_vms() {
    // The seed's VMs carry 1/7900 and 2/7800; a new VM without numbers gets the lowest free ones.
    let profile = seed_with(|profile| {
        let mut third = profile.vms[1].clone();
        third.name = "Third".to_owned();
        third.volume = "Third".to_owned();
        third.drbd_minor = None;
        third.drbd_port = None;
        profile.vms.insert(0, third);
        profile.storage.volumes.push(Volume {
            name: "Third".to_owned(),
            size: "10G".to_owned(),
            create: true,
        });
    });
    let design = expect_valid(&profile);
    assert_eq!(
        (design.vms[0].drbd_minor, design.vms[0].drbd_port),
        (3, FIRST_DRBD_PORT)
    );
    assert_eq!(
        (design.vms[1].drbd_minor, design.vms[1].drbd_port),
        (1, 7900)
    );
    assert_eq!(
        (design.vms[2].drbd_minor, design.vms[2].drbd_port),
        (2, 7800)
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let profile = seed_with(|profile| {
        profile.vms[1].memory_mib = 0;
        profile.nodes[1].dom0_memory_mib = 100;
        profile.cluster.drbd.resync_rate = "fast".to_owned();
    });
    let problems = validate(&profile).expect_err("three mistakes");
    let mut found = fields(&problems);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "cluster.drbd.resync_rate",
            "nodes[1].dom0_memory_mib",
            "vms[1].memory_mib"
        ],
        "got:\n{problems}"
    );
}

#[test]
fn mistakes_in_every_part_are_reported_together() {
    let profile = lab_with(|profile| {
        profile.cluster.name = "bad name".to_owned();
        profile.nodes[0].lan.address = "10.10.0.11".to_owned();
        profile.network.bridge = "br/0".to_owned();
        profile.storage.volume_group = "-vg".to_owned();
        profile.vms[1].vcpus = 0;
    });
    let problems = validate(&profile).expect_err("five mistakes");
    let mut found = fields(&problems);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "cluster.name",
            "network.bridge",
            "nodes[0].lan.address",
            "storage.volume_group",
            "vms[1].vcpus"
        ],
        "got:\n{problems}"
    );
}

// ---------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------

#[test]
fn cluster_name_must_be_usable() {
    for name in ["", "my cluster", "-seed", "seed.example", &"c".repeat(33)] {
        let profile = seed_with(|profile| profile.cluster.name = name.to_owned());
        expect_only_problem(&profile, "cluster.name", "is not a usable cluster name");
    }
    for name in ["c", "seed_2", "2nodes", &"c".repeat(32)] {
        expect_valid(&seed_with(|profile| profile.cluster.name = name.to_owned()));
    }
}

#[test]
fn failback_window_hours_must_be_hours_of_the_day() {
    let profile = seed_with(|profile| {
        profile.cluster.failback = Failback::Window {
            start_hour: 24,
            end_hour: 6,
        };
    });
    expect_only_problem(
        &profile,
        "cluster.failback.start_hour",
        "24 is not an hour of the day",
    );
    let profile = seed_with(|profile| {
        profile.cluster.failback = Failback::Window {
            start_hour: 22,
            end_hour: 99,
        };
    });
    expect_only_problem(
        &profile,
        "cluster.failback.end_hour",
        "99 is not an hour of the day",
    );
}

#[test]
fn failback_window_must_not_be_empty() {
    let profile = seed_with(|profile| {
        profile.cluster.failback = Failback::Window {
            start_hour: 3,
            end_hour: 3,
        };
    });
    expect_only_problem(
        &profile,
        "cluster.failback.end_hour",
        "the failback window is empty",
    );
}

#[test]
fn failback_window_may_wrap_past_midnight() {
    for (start_hour, end_hour) in [(22, 6), (0, 23), (23, 0), (9, 17)] {
        expect_valid(&seed_with(|profile| {
            profile.cluster.failback = Failback::Window {
                start_hour,
                end_hour,
            };
        }));
    }
    expect_valid(&seed_with(|profile| {
        profile.cluster.failback = Failback::Stay {};
    }));
}

#[test]
fn no_fencing_needs_the_split_brain_acknowledgement() {
    let profile = seed_with(|profile| {
        profile.cluster.fencing = Fencing::None {
            acknowledge_split_brain_risk: false,
        };
    });
    expect_only_problem(
        &profile,
        "cluster.fencing.acknowledge_split_brain_risk",
        "split brain",
    );
}

#[test]
fn resync_rate_must_be_a_drbd_rate() {
    for rate in ["", "fast", "100MB", "0M", "0", "-5M", "1.5G", "M", "100 M"] {
        let profile = seed_with(|profile| profile.cluster.drbd.resync_rate = rate.to_owned());
        expect_only_problem(&profile, "cluster.drbd.resync_rate", "is not a DRBD rate");
    }
    for rate in ["100M", "500K", "1G", "40m", "250"] {
        expect_valid(&seed_with(|profile| {
            profile.cluster.drbd.resync_rate = rate.to_owned();
        }));
    }
}

#[test]
fn live_migration_needs_protocol_c() {
    for protocol in [DrbdProtocol::A, DrbdProtocol::B] {
        let profile = seed_with(|profile| {
            profile.cluster.live_migration = true;
            profile.cluster.drbd.protocol = protocol;
        });
        expect_only_problem(
            &profile,
            "cluster.drbd.protocol",
            "live migration (dual-primary DRBD) needs synchronous replication",
        );
    }
    expect_valid(&seed_with(|profile| profile.cluster.live_migration = true));
    expect_valid(&seed_with(|profile| {
        profile.cluster.drbd.protocol = DrbdProtocol::A;
    }));
}

// ---------------------------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------------------------

#[test]
fn a_cluster_has_exactly_two_nodes() {
    let profile = seed_with(|profile| {
        profile.nodes.pop();
        profile.vms[1].home = "node1".to_owned();
    });
    expect_only_problem(&profile, "nodes", "exactly two nodes, this profile has 1");

    let profile = seed_with(|profile| {
        let mut third = profile.nodes[1].clone();
        third.hostname = "node3".to_owned();
        third.ssh.host = "192.168.1.4".to_owned();
        third.lan.address = "192.168.1.4/24".to_owned();
        third.replication_address = "192.168.1.4".to_owned();
        profile.nodes.push(third);
    });
    expect_only_problem(&profile, "nodes", "exactly two nodes, this profile has 3");

    let profile = seed_with(|profile| profile.nodes.clear());
    expect_problem(&profile, "nodes", "exactly two nodes, this profile has 0");
}

#[test]
fn hostnames_must_be_valid() {
    for hostname in [
        "",
        "node_2",
        "-node2",
        "node2-",
        "node 2",
        "node2.",
        &"n".repeat(64),
    ] {
        let profile = seed_with(|profile| profile.nodes[1].hostname = hostname.to_owned());
        let problems = expect_problem(&profile, "nodes[1].hostname", "is not a valid hostname");
        // The VM at home there now names no node; nothing else is wrong.
        assert_eq!(fields(&problems), ["nodes[1].hostname", "vms[1].home"]);
    }
    for hostname in ["n2", "node-2", "node2.example.org", "2node"] {
        expect_valid(&seed_with(|profile| {
            profile.nodes[1].hostname = hostname.to_owned();
            profile.vms[1].home = hostname.to_owned();
        }));
    }
}

#[test]
fn nodes_have_different_hostnames() {
    let profile = seed_with(|profile| {
        profile.nodes[1].hostname = "node1".to_owned();
        profile.vms[1].home = "node1".to_owned();
    });
    expect_only_problem(
        &profile,
        "nodes[1].hostname",
        "both nodes have the hostname \"node1\"",
    );
    // Hostnames are compared without regard to case.
    let profile = seed_with(|profile| {
        profile.nodes[1].hostname = "NODE1".to_owned();
        profile.vms[1].home = "NODE1".to_owned();
    });
    expect_only_problem(
        &profile,
        "nodes[1].hostname",
        "both nodes have the hostname",
    );
}

#[test]
fn nodes_have_different_ssh_endpoints() {
    let profile = seed_with(|profile| profile.nodes[1].ssh.host = "192.168.1.1".to_owned());
    expect_only_problem(
        &profile,
        "nodes[1].ssh.host",
        "both nodes are reached at 192.168.1.1:22",
    );
    // One address with two ports (e.g. port forwards on a jump host) is fine.
    expect_valid(&seed_with(|profile| {
        profile.nodes[1].ssh.host = "192.168.1.1".to_owned();
        profile.nodes[1].ssh.port = 2222;
    }));
}

#[test]
fn nodes_ssh_endpoints_are_compared_without_regard_to_case() {
    let profile = seed_with(|profile| {
        profile.nodes[0].ssh.host = "nodes.example.org".to_owned();
        profile.nodes[1].ssh.host = "NODES.example.org".to_owned();
    });
    expect_only_problem(&profile, "nodes[1].ssh.host", "both nodes are reached at");
}

#[test]
fn nodes_have_different_lan_addresses() {
    let profile = seed_with(|profile| profile.nodes[1].lan.address = "192.168.1.1/24".to_owned());
    expect_only_problem(
        &profile,
        "nodes[1].lan.address",
        "both nodes have the LAN address \"192.168.1.1/24\"",
    );
}

#[test]
fn nodes_have_different_lan_addresses_however_they_are_written() {
    // Both parse (parse_interface_address and ipv4 trim), so both nodes get 192.168.1.1.
    let profile = seed_with(|profile| profile.nodes[1].lan.address = "192.168.1.1/24 ".to_owned());
    expect_problem(
        &profile,
        "nodes[1].lan.address",
        "both nodes have the LAN address",
    );
    let profile =
        seed_with(|profile| profile.nodes[1].replication_address = " 192.168.1.1".to_owned());
    expect_problem(
        &profile,
        "nodes[1].replication_address",
        "both nodes have the replication address",
    );
}

#[test]
fn nodes_have_different_replication_addresses() {
    let profile =
        lab_with(|profile| profile.nodes[1].replication_address = "172.16.99.1".to_owned());
    expect_only_problem(
        &profile,
        "nodes[1].replication_address",
        "both nodes have the replication address \"172.16.99.1\"",
    );
}

#[test]
fn nodes_share_one_subnet() {
    let profile = seed_with(|profile| profile.nodes[1].lan.address = "192.168.2.2/24".to_owned());
    let problems = expect_problem(
        &profile,
        "nodes[1].lan.address",
        "node 2 is on 192.168.2.0/24, node 1 (192.168.1.1) on 192.168.1.0/24",
    );
    assert_eq!(fields(&problems), ["nodes[1].lan.address"]);
    // The same network with another prefix length is another subnet too.
    let profile = seed_with(|profile| profile.nodes[1].lan.address = "192.168.1.2/25".to_owned());
    expect_only_problem(
        &profile,
        "nodes[1].lan.address",
        "node 2 is on 192.168.1.0/25",
    );
}

#[test]
fn lan_address_needs_a_prefix_length() {
    let profile = seed_with(|profile| profile.nodes[0].lan.address = "192.168.1.1".to_owned());
    expect_only_problem(
        &profile,
        "nodes[0].lan.address",
        "\"192.168.1.1\" has no prefix length",
    );
}

#[test]
fn lan_address_must_be_a_host_address_with_a_usable_prefix() {
    for (address, says) in [
        (
            "192.168.1.300/24",
            "\"192.168.1.300\" is not an IPv4 address",
        ),
        ("node1/24", "\"node1\" is not an IPv4 address"),
        ("192.168.1.1/31", "\"/31\" is not a usable prefix length"),
        ("192.168.1.1/0", "\"/0\" is not a usable prefix length"),
        ("192.168.1.1/x", "\"/x\" is not a usable prefix length"),
        (
            "192.168.1.0/24",
            "192.168.1.0 is the network or broadcast address",
        ),
        (
            "192.168.1.255/24",
            "192.168.1.255 is the network or broadcast address",
        ),
    ] {
        let profile = seed_with(|profile| profile.nodes[1].lan.address = address.to_owned());
        expect_problem(&profile, "nodes[1].lan.address", says);
    }
}

#[test]
fn gateway_must_be_an_address() {
    let profile = lab_with(|profile| profile.nodes[0].lan.gateway = Some("10.10.0.256".to_owned()));
    expect_only_problem(
        &profile,
        "nodes[0].lan.gateway",
        "\"10.10.0.256\" is not an IPv4 address",
    );
    let profile = lab_with(|profile| profile.nodes[0].lan.gateway = Some("router".to_owned()));
    expect_only_problem(&profile, "nodes[0].lan.gateway", "is not an IPv4 address");
}

#[test]
fn gateway_must_be_another_host_on_the_lan() {
    for gateway in ["10.10.1.1", "10.10.0.0", "10.10.0.255", "10.10.0.11"] {
        let profile = lab_with(|profile| profile.nodes[0].lan.gateway = Some(gateway.to_owned()));
        expect_only_problem(
            &profile,
            "nodes[0].lan.gateway",
            &format!("{gateway} is not another host on the node's LAN 10.10.0.0/24"),
        );
    }
    expect_valid(&lab_with(|profile| profile.nodes[1].lan.gateway = None));
}

#[test]
fn replication_address_must_be_an_address() {
    for address in ["", "172.16.99", "172.16.99.2/24", "lab2-link"] {
        let profile = lab_with(|profile| profile.nodes[1].replication_address = address.to_owned());
        expect_only_problem(
            &profile,
            "nodes[1].replication_address",
            "is not an IPv4 address",
        );
    }
}

#[test]
fn lan_nic_must_be_an_interface_name() {
    for (nic, says) in [
        ("", "the interface name is empty"),
        ("eth0:1", "contains ':'"),
        ("a/b", "contains '/'"),
        ("my nic", "contains a space"),
        ("abcdefghijklmnop", "longer than the kernel's 15 characters"),
        ("..", "is not a name"),
        // security.md finding 1: this NIC ran `id` as root inside a grep on the node.
        ("';id;'", "contains '''"),
        ("-a", "starts with '-'"),
    ] {
        let profile = seed_with(|profile| profile.nodes[0].lan.nic = nic.to_owned());
        let problems = expect_only_problem(&profile, "nodes[0].lan.nic", says);
        assert!(
            problems.0[0]
                .fix
                .contains("letters, digits, '_', '.' or '-'")
                && problems.0[0].fix.contains("shell commands"),
            "the fix says what is allowed and why: {problems}"
        );
    }
}

#[test]
fn lan_nic_is_not_the_bridge() {
    let profile = seed_with(|profile| profile.nodes[1].lan.nic = "br0".to_owned());
    expect_only_problem(
        &profile,
        "nodes[1].lan.nic",
        "the LAN NIC has the bridge's own name",
    );
}

#[test]
fn dom0_needs_enough_memory() {
    let profile = seed_with(|profile| profile.nodes[0].dom0_memory_mib = 256);
    expect_only_problem(
        &profile,
        "nodes[0].dom0_memory_mib",
        "256 MiB is too little for dom0",
    );
    expect_valid(&seed_with(|profile| profile.nodes[0].dom0_memory_mib = 512));
}

#[test]
fn ssh_host_must_be_a_name_or_address() {
    for host in ["", "bad host", "node_1", "-node1", "a..b"] {
        let profile = seed_with(|profile| profile.nodes[0].ssh.host = host.to_owned());
        expect_only_problem(
            &profile,
            "nodes[0].ssh.host",
            "is not a host name or address",
        );
    }
    // Numbers where the last label is: meant as an IPv4 address, so it must be one (the
    // resolver would be asked for "300.1.1.1" and answer much later, at Connect).
    for host in ["300.1.1.1", "10.1.1", "192.168.1.256", "1.2.3.4.5"] {
        let profile = seed_with(|profile| profile.nodes[0].ssh.host = host.to_owned());
        expect_only_problem(&profile, "nodes[0].ssh.host", "is not an IPv4 address");
    }
    for host in [
        "node1.example.org",
        "fe80::1",
        "2001:db8::1",
        "10.1.1.9",
        "node1",
        "4u.example",
    ] {
        expect_valid(&seed_with(|profile| {
            profile.nodes[0].ssh.host = host.to_owned()
        }));
    }
}

#[test]
fn ssh_port_zero_is_refused() {
    let profile = seed_with(|profile| profile.nodes[1].ssh.port = 0);
    expect_only_problem(
        &profile,
        "nodes[1].ssh.port",
        "port 0 cannot be connected to",
    );
}

#[test]
fn ssh_user_must_be_a_user_name() {
    for user in ["", "Admin", "1admin", "ad min", &"a".repeat(33)] {
        let profile = seed_with(|profile| {
            profile.nodes[0].ssh.user = user.to_owned();
            profile.nodes[0].ssh.sudo = true;
        });
        expect_only_problem(&profile, "nodes[0].ssh.user", "is not a user name");
    }
}

#[test]
fn a_user_other_than_root_needs_sudo() {
    let profile = seed_with(|profile| profile.nodes[1].ssh.user = "admin".to_owned());
    expect_only_problem(
        &profile,
        "nodes[1].ssh.sudo",
        "\"admin\" is not root, and setup needs root",
    );
    expect_valid(&seed_with(|profile| {
        profile.nodes[1].ssh.user = "admin".to_owned();
        profile.nodes[1].ssh.sudo = true;
    }));
}

#[test]
fn key_file_authentication_needs_a_path() {
    for path in ["", "   "] {
        let profile = lab_with(|profile| {
            profile.nodes[0].ssh.auth = SshAuth::KeyFile {
                path: path.to_owned(),
            };
        });
        expect_only_problem(
            &profile,
            "nodes[0].ssh.auth.path",
            "the private key file is not named",
        );
    }
    expect_valid(&lab_with(|profile| {
        profile.nodes[0].ssh.auth = SshAuth::Password {}
    }));
    expect_valid(&lab_with(|profile| {
        profile.nodes[0].ssh.auth = SshAuth::Agent {}
    }));
}

#[test]
fn ipmi_fencing_needs_a_bmc_on_each_node() {
    let profile = lab_with(|profile| profile.nodes[1].bmc = None);
    expect_only_problem(
        &profile,
        "nodes[1].bmc",
        "IPMI fencing needs this node's BMC",
    );
    // Switching the seed to IPMI without adding BMCs names both nodes.
    let profile = seed_with(|profile| profile.cluster.fencing = Fencing::Ipmi {});
    let problems = validate(&profile).expect_err("no BMCs");
    assert_eq!(fields(&problems), ["nodes[0].bmc", "nodes[1].bmc"]);
    // Without IPMI fencing a BMC is neither needed nor checked.
    expect_valid(&lab_with(|profile| {
        profile.cluster.fencing = Fencing::None {
            acknowledge_split_brain_risk: true,
        };
        profile.nodes[0].bmc = None;
        profile.nodes[1].bmc = Some(Bmc {
            address: "not an address".to_owned(),
            user: String::new(),
            lanplus: true,
            cipher: None,
        });
    }));
}

#[test]
fn bmc_address_must_be_an_address() {
    let profile = lab_with(|profile| {
        if let Some(bmc) = &mut profile.nodes[0].bmc {
            bmc.address = "bmc one".to_owned();
        }
    });
    expect_only_problem(
        &profile,
        "nodes[0].bmc.address",
        "\"bmc one\" is not an address",
    );
}

#[test]
fn bmc_user_is_what_ipmi_allows() {
    // security.md finding 2: this user injected a Pacemaker resource.
    let injection = "admin lanplus=1 pcmk_host_list=node2 \\\nop monitor interval=60s\nprimitive evil ocf:heartbeat:anything params binfile=\"/bin/sh\" cmdline_options=\"-c id>/root/pwned\"\n#";
    for (user, says) in [
        ("", "the BMC user name is empty"),
        (" ", "contains a space"),
        ("ADMIN USER", "contains a space"),
        (injection, "longer than IPMI's 16 bytes"),
        ("a\nprimitive", "a line break"),
        ("adm\"in", "contains '\"'"),
        ("adm#in", "contains '#'"),
    ] {
        let profile = lab_with(|profile| {
            if let Some(bmc) = &mut profile.nodes[1].bmc {
                bmc.user = user.to_owned();
            }
        });
        let problems = expect_only_problem(&profile, "nodes[1].bmc.user", says);
        assert!(
            problems.0[0].fix.contains("Pacemaker configuration"),
            "{problems}"
        );
    }
}

#[test]
fn nodes_have_different_bmcs() {
    let profile = lab_with(|profile| {
        if let Some(bmc) = &mut profile.nodes[1].bmc {
            bmc.address = "10.10.1.11".to_owned();
        }
    });
    expect_only_problem(
        &profile,
        "nodes[1].bmc.address",
        "both nodes have the BMC address \"10.10.1.11\"",
    );
}

// ---------------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------------

#[test]
fn bridge_name_must_be_usable() {
    for (bridge, says) in [
        ("", "empty"),
        ("br/0", "contains '/'"),
        ("br:0", "contains ':'"),
        ("bridge number 0", "contains a space"),
        ("abcdefghijklmnop", "longer"),
        // security.md findings 1, 7 and 8: the revert's rm, xl's vif spec, ifdown's options.
        ("$(id)", "contains '$'"),
        ("b,script=x", "contains ','"),
        ("br\"0", "contains '\"'"),
        ("-a", "starts with '-'"),
    ] {
        let profile = seed_with(|profile| profile.network.bridge = bridge.to_owned());
        expect_only_problem(&profile, "network.bridge", says);
    }
}

#[test]
fn forward_delay_is_at_most_thirty_seconds() {
    let profile = seed_with(|profile| profile.network.forward_delay = 31);
    expect_only_problem(
        &profile,
        "network.forward_delay",
        "31 s is more than the kernel's 30 s maximum",
    );
    expect_valid(&seed_with(|profile| profile.network.forward_delay = 30));
}

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

#[test]
fn volume_group_name_must_be_an_lvm_name() {
    for name in [
        "", "-vg", "vg/0", "vg 0", ".", "..", "snapshot", "pvmove0", "vg_tdata",
    ] {
        let profile = seed_with(|profile| profile.storage.volume_group = name.to_owned());
        expect_only_problem(
            &profile,
            "storage.volume_group",
            "is not an LVM volume group name",
        );
    }
    for name in ["vg0", "vg.data", "VG+x_y-z"] {
        expect_valid(&seed_with(|profile| {
            profile.storage.volume_group = name.to_owned();
        }));
    }
}

#[test]
fn logical_volume_names_must_be_lvm_names() {
    for name in [
        "-lv",
        "my lv",
        "lv/0",
        "snapshot1",
        "pvmove",
        "disk_rimage_0",
        "lv_mlog",
        &"l".repeat(128),
    ] {
        // Rename the volume and the VM's reference to it: only the name is wrong.
        let profile = seed_with(|profile| {
            profile.storage.volumes[1].name = name.to_owned();
            profile.vms[1].volume = name.to_owned();
        });
        expect_only_problem(
            &profile,
            "storage.volumes[1].name",
            "is not an LVM logical volume name",
        );
    }
}

#[test]
fn volume_names_are_unique() {
    let profile = seed_with(|profile| {
        profile.storage.volumes.push(Volume {
            name: "Win2012".to_owned(),
            size: "10G".to_owned(),
            create: true,
        });
    });
    expect_only_problem(
        &profile,
        "storage.volumes[2].name",
        "the volume \"Win2012\" is listed twice",
    );
}

#[test]
fn volume_sizes_must_be_sizes_of_at_least_8_mib() {
    for size in ["", "40", "40GB", "forty", "4M", "0G", "-1G", "1.2.3G"] {
        let profile = seed_with(|profile| profile.storage.volumes[0].size = size.to_owned());
        expect_only_problem(&profile, "storage.volumes[0].size", "is not a volume size");
    }
    for size in ["8M", "1.5T", "512m", "40g"] {
        expect_valid(&seed_with(|profile| {
            profile.storage.volumes[0].size = size.to_owned();
        }));
    }
}

#[test]
fn unused_volume_is_reported() {
    let profile = seed_with(|profile| {
        profile.storage.volumes.push(Volume {
            name: "spare".to_owned(),
            size: "1G".to_owned(),
            create: false,
        });
    });
    expect_only_problem(
        &profile,
        "storage.volumes[2]",
        "no VM uses the volume \"spare\"",
    );
}

// ---------------------------------------------------------------------------------------------
// VMs
// ---------------------------------------------------------------------------------------------

#[test]
fn a_cluster_has_at_least_one_vm() {
    let profile = seed_with(|profile| {
        profile.vms.clear();
        profile.storage.volumes.clear();
    });
    expect_only_problem(&profile, "vms", "the cluster has no VM");
}

#[test]
fn vm_names_must_suit_xen_drbd_and_pacemaker() {
    for name in [
        "",
        "bad name",
        "1vm",
        "-vm",
        "_vm",
        "vm.example",
        "vm:1",
        "Domain-0",
        "domain-0",
        "Domain-Unnamed",
        &"v".repeat(41),
    ] {
        let profile = seed_with(|profile| profile.vms[1].name = name.to_owned());
        expect_only_problem(
            &profile,
            "vms[1].name",
            "cannot name a Xen domain, a DRBD resource and a Pacemaker resource",
        );
    }
    for name in ["v", "vm_1", "Web-Server", &"v".repeat(40)] {
        expect_valid(&seed_with(|profile| profile.vms[1].name = name.to_owned()));
    }
}

#[test]
fn vm_names_are_unique_without_regard_to_case() {
    // The same name also derives the same MAC address; the name problem alone is reported.
    let profile = seed_with(|profile| profile.vms[1].name = "Win2012".to_owned());
    let problems = expect_problem(
        &profile,
        "vms[1].name",
        "another VM is already called \"Win2012\"",
    );
    assert_eq!(fields(&problems), ["vms[1].name"]);
    for name in ["WIN2012", "win2012"] {
        let profile = seed_with(|profile| profile.vms[1].name = name.to_owned());
        expect_only_problem(
            &profile,
            "vms[1].name",
            &format!("another VM is already called \"{name}\""),
        );
    }
}

#[test]
fn home_must_be_one_of_the_nodes() {
    for home in ["node3", "", "NODE1"] {
        let profile = seed_with(|profile| profile.vms[0].home = home.to_owned());
        let problems = expect_only_problem(
            &profile,
            "vms[0].home",
            &format!("\"{home}\" is not one of the nodes"),
        );
        assert!(problems.0[0].fix.contains("node1, node2"));
    }
    expect_valid(&seed_with(|profile| {
        profile.vms[0].home = "node2".to_owned()
    }));
}

#[test]
fn keep_data_on_must_be_one_of_the_nodes() {
    let profile = seed_with(|profile| profile.vms[0].keep_data_on = Some("node9".to_owned()));
    expect_only_problem(
        &profile,
        "vms[0].keep_data_on",
        "\"node9\" is not one of the nodes",
    );
    let design = expect_valid(&seed_with(|profile| {
        profile.vms[0].keep_data_on = Some("node2".to_owned());
    }));
    assert_eq!(
        design.vms[0].keep_data_on,
        Some(1),
        "node2 is the second node"
    );
    assert_eq!(design.vms[1].keep_data_on, None);
}

#[test]
fn vm_memory_must_be_positive() {
    for memory in [0, 31] {
        let profile = seed_with(|profile| profile.vms[1].memory_mib = memory);
        expect_only_problem(
            &profile,
            "vms[1].memory_mib",
            &format!("{memory} MiB is not enough memory for a VM"),
        );
    }
    expect_valid(&seed_with(|profile| profile.vms[1].memory_mib = 32));
}

#[test]
fn vm_vcpus_must_be_in_range() {
    for vcpus in [0, 129] {
        let profile = lab_with(|profile| profile.vms[0].vcpus = vcpus);
        expect_only_problem(
            &profile,
            "vms[0].vcpus",
            &format!("{vcpus} vCPUs is out of range"),
        );
    }
    expect_valid(&lab_with(|profile| profile.vms[0].vcpus = 128));
}

#[test]
fn vm_volume_must_exist() {
    let profile = seed_with(|profile| {
        profile.vms[1].volume = "Win2012-3".to_owned();
        profile.storage.volumes[1].name = "Win2012-3".to_owned();
        profile.vms[0].volume = "missing".to_owned();
    });
    // Win2012 is now unused as well; nothing else is wrong.
    let problems = expect_problem(&profile, "vms[0].volume", "there is no volume \"missing\"");
    assert_eq!(fields(&problems), ["vms[0].volume", "storage.volumes[0]"]);
}

#[test]
fn a_volume_is_the_disk_of_one_vm_only() {
    let profile = seed_with(|profile| profile.vms[1].volume = "Win2012".to_owned());
    let problems = expect_problem(
        &profile,
        "vms[1].volume",
        "the volume \"Win2012\" is already the disk of VM \"Win2012\"",
    );
    // Which leaves Win2012-2 unused.
    assert_eq!(fields(&problems), ["vms[1].volume", "storage.volumes[1]"]);
}

#[test]
fn a_vm_on_a_volume_with_a_bad_size_is_reported_once() {
    let profile = seed_with(|profile| profile.storage.volumes[1].size = "big".to_owned());
    expect_only_problem(
        &profile,
        "storage.volumes[1].size",
        "\"big\" is not a volume size",
    );
}

// --- DRBD minors and ports -------------------------------------------------------------------

#[test]
fn drbd_minors_are_unique() {
    let profile = seed_with(|profile| profile.vms[1].drbd_minor = Some(1));
    expect_only_problem(
        &profile,
        "vms[1].drbd_minor",
        "minor 1 is already used by VM \"Win2012\"",
    );
}

#[test]
fn drbd_minor_is_within_the_module_limit() {
    let profile = seed_with(|profile| profile.vms[0].drbd_minor = Some(300));
    expect_only_problem(
        &profile,
        "vms[0].drbd_minor",
        "minor 300 is above DRBD 8.4's limit of 255",
    );
    expect_valid(&seed_with(|profile| profile.vms[0].drbd_minor = Some(0)));
    expect_valid(&seed_with(|profile| {
        profile.vms[0].drbd_minor = Some(MAX_DRBD_MINOR);
    }));
}

#[test]
fn drbd_ports_are_unique() {
    let profile = seed_with(|profile| profile.vms[1].drbd_port = Some(7900));
    expect_only_problem(
        &profile,
        "vms[1].drbd_port",
        "port 7900 is already used by VM \"Win2012\"",
    );
}

#[test]
fn drbd_ports_avoid_privileged_and_corosync_ports() {
    for port in [0, 80, 1023, 5404, 5405, 5406] {
        let profile = seed_with(|profile| profile.vms[0].drbd_port = Some(port));
        expect_only_problem(
            &profile,
            "vms[0].drbd_port",
            &format!("port {port} is reserved"),
        );
    }
    for port in [1024, 5403, 5407, 65535] {
        expect_valid(&seed_with(|profile| profile.vms[0].drbd_port = Some(port)));
    }
}

#[test]
fn more_vms_than_drbd_minors_is_reported() {
    let make = |count: usize| {
        lab_with(|profile| {
            let template = profile.vms[1].clone();
            profile.vms.clear();
            profile.storage.volumes.clear();
            for index in 0..count {
                let mut vm = template.clone();
                vm.name = format!("vm{index}");
                vm.volume = format!("vol{index}");
                vm.mac = Some(format!(
                    "00:16:3e:00:{:02x}:{:02x}",
                    index / 256,
                    index % 256
                ));
                profile.vms.push(vm);
                profile.storage.volumes.push(Volume {
                    name: format!("vol{index}"),
                    size: "8M".to_owned(),
                    create: true,
                });
            }
        })
    };
    // Minors 1 to 255 are assigned automatically; one VM more has none left.
    let design = expect_valid(&make(255));
    assert_eq!(design.vms[254].drbd_minor, MAX_DRBD_MINOR);
    assert_eq!(design.vms[254].drbd_port, FIRST_DRBD_PORT + 254);
    expect_only_problem(
        &make(256),
        "vms",
        "there are more VMs than free DRBD minors or ports",
    );
}

// --- Boot ------------------------------------------------------------------------------------

fn set_iso(profile: &mut Profile, index: usize, path: &str) {
    if let Boot::Hvm { iso, .. } = &mut profile.vms[index].boot {
        *iso = path.to_owned();
    } else {
        panic!("vms[{index}] is not HVM");
    }
}

fn set_vnc_password(profile: &mut Profile, index: usize, password: Option<&str>) {
    if let Boot::Hvm { vnc_password, .. } = &mut profile.vms[index].boot {
        *vnc_password = password.map(str::to_owned);
    } else {
        panic!("vms[{index}] is not HVM");
    }
}

#[test]
fn hvm_iso_is_an_absolute_path_on_the_nodes() {
    for (path, says) in [
        ("", "is not an absolute path on the nodes"),
        ("/", "is not an absolute path on the nodes"),
        ("install.iso", "is not an absolute path on the nodes"),
        ("~/install.iso", "is not an absolute path on the nodes"),
        ("/iso/a,b.iso", "contains ','"),
        ("/iso/a=b.iso", "contains '='"),
        ("/iso/my install.iso", "contains a space"),
        ("/iso/\"x\".iso", "contains '\"'"),
        ("/iso/$(id).iso", "contains '$'"),
        ("/iso/../etc/x.iso", "has a '..' part"),
        // security.md finding 6: any file at any path.
        ("/etc/passwd", "is not an .iso file"),
    ] {
        let profile = seed_with(|profile| set_iso(profile, 1, path));
        expect_only_problem(&profile, "vms[1].boot.iso", says);
    }
}

#[test]
fn an_iso_is_uploaded_only_into_the_iso_directory() {
    // security.md finding 6: `iso = "/etc/passwd"`, `iso_source = "~/.ssh/id_ed25519"`.
    let profile = seed_with(|profile| {
        if let Boot::Hvm {
            iso, iso_source, ..
        } = &mut profile.vms[0].boot
        {
            *iso = "/etc/passwd".to_owned();
            *iso_source = Some("~/.ssh/id_ed25519".to_owned());
        }
    });
    let problems = validate(&profile).expect_err("refused");
    assert_eq!(
        fields(&problems),
        ["vms[0].boot.iso", "vms[0].boot.iso_source"],
        "{problems}"
    );
    let upload_elsewhere = seed_with(|profile| {
        if let Boot::Hvm {
            iso, iso_source, ..
        } = &mut profile.vms[0].boot
        {
            *iso = "/root/install.iso".to_owned();
            *iso_source = Some("/home/me/install.iso".to_owned());
        }
    });
    let problems = expect_only_problem(
        &upload_elsewhere,
        "vms[0].boot.iso",
        "outside the ISO directory /var/lib/tandem/iso",
    );
    assert!(
        problems.0[0]
            .fix
            .contains("/var/lib/tandem/iso/install.iso"),
        "{problems}"
    );
    expect_valid(&seed_with(|profile| {
        profile.storage.iso_directory = "/srv/iso".to_owned();
        if let Boot::Hvm {
            iso, iso_source, ..
        } = &mut profile.vms[0].boot
        {
            *iso = "/srv/iso/install.iso".to_owned();
            *iso_source = Some("/home/me/Downloads/install.ISO".to_owned());
        }
    }));
}

#[test]
fn the_iso_directory_is_a_node_path() {
    let profile = seed_with(|profile| profile.storage.iso_directory = "/srv/my isos".to_owned());
    expect_only_problem(&profile, "storage.iso_directory", "contains a space");
}

#[test]
fn hvm_iso_source_must_name_a_file() {
    let profile = seed_with(|profile| {
        if let Boot::Hvm { iso_source, .. } = &mut profile.vms[0].boot {
            *iso_source = Some("  ".to_owned());
        }
    });
    expect_only_problem(
        &profile,
        "vms[0].boot.iso_source",
        "the ISO to upload is not named",
    );
}

#[test]
fn vnc_password_has_one_to_eight_safe_characters() {
    for (password, says) in [
        ("", "a VNC password has 1 to 8 characters"),
        ("123456789", "a VNC password has 1 to 8 characters"),
        ("pass\"wd", "contains '\"'"),
        ("pass'wd", "contains '''"),
        ("pa\\ss", "contains '\\'"),
    ] {
        let profile = seed_with(|profile| set_vnc_password(profile, 1, Some(password)));
        expect_only_problem(&profile, "vms[1].boot.vnc_password", says);
    }
    expect_valid(&seed_with(|profile| {
        set_vnc_password(profile, 1, Some("12345678"))
    }));
}

#[test]
fn a_console_on_the_lan_needs_a_vnc_password() {
    // vms[0] has a console IP, vms[1] has none.
    let profile = seed_with(|profile| set_vnc_password(profile, 0, None));
    expect_only_problem(
        &profile,
        "vms[0].boot.vnc_password",
        "the VNC console would listen on the LAN without a password",
    );
    expect_valid(&seed_with(|profile| set_vnc_password(profile, 1, None)));
}

#[test]
fn pv_needs_a_kernel_path() {
    for (kernel, says) in [
        ("", "is not an absolute path on the nodes"),
        ("vmlinuz", "is not an absolute path on the nodes"),
        ("/boot/vm,linuz", "contains ','"),
    ] {
        let profile = lab_with(|profile| {
            if let Boot::Pv { kernel: path, .. } = &mut profile.vms[0].boot {
                *path = kernel.to_owned();
            }
        });
        expect_only_problem(&profile, "vms[0].boot.kernel", says);
    }
}

#[test]
fn pv_ramdisk_is_an_absolute_path() {
    let profile = lab_with(|profile| {
        if let Boot::Pv { ramdisk, .. } = &mut profile.vms[1].boot {
            *ramdisk = Some("initrd.img".to_owned());
        }
    });
    expect_only_problem(
        &profile,
        "vms[1].boot.ramdisk",
        "\"initrd.img\" is not an absolute path on the nodes",
    );
    expect_valid(&lab_with(|profile| {
        if let Boot::Pv { ramdisk, extra, .. } = &mut profile.vms[1].boot {
            *ramdisk = None;
            *extra = None;
        }
    }));
}

#[test]
fn pv_kernel_arguments_are_config_safe() {
    for (extra, says) in [
        ("root=\"/dev/xvda\"", "contains '\"'"),
        ("a\\b", "contains '\\'"),
        ("console=hvc0\nro", "a line break"),
    ] {
        let profile = lab_with(|profile| {
            if let Boot::Pv {
                extra: arguments, ..
            } = &mut profile.vms[0].boot
            {
                *arguments = Some(extra.to_owned());
            }
        });
        let problems = expect_only_problem(&profile, "vms[0].boot.extra", says);
        assert!(
            problems.0[0].fix.contains("double-quoted string"),
            "{problems}"
        );
    }
}

// --- Console IPs -----------------------------------------------------------------------------

#[test]
fn console_ip_must_be_an_address() {
    let profile = seed_with(|profile| profile.vms[0].console_ip = Some("192.168.1.x".to_owned()));
    expect_only_problem(
        &profile,
        "vms[0].console_ip",
        "\"192.168.1.x\" is not an IPv4 address",
    );
}

#[test]
fn console_ip_is_a_host_address_inside_the_lan() {
    for address in ["10.0.0.3", "192.168.2.3", "192.168.1.0", "192.168.1.255"] {
        let profile = seed_with(|profile| profile.vms[0].console_ip = Some(address.to_owned()));
        expect_only_problem(
            &profile,
            "vms[0].console_ip",
            &format!("{address} is not a host address in the LAN 192.168.1.0/24"),
        );
    }
}

#[test]
fn console_ip_does_not_collide_with_node_addresses() {
    for (address, owner) in [
        ("192.168.1.1", "node1's LAN address"),
        ("192.168.1.2", "node2's LAN address"),
    ] {
        let profile = seed_with(|profile| profile.vms[0].console_ip = Some(address.to_owned()));
        expect_only_problem(
            &profile,
            "vms[0].console_ip",
            &format!("{address} is already {owner}"),
        );
    }
}

#[test]
fn console_ip_does_not_collide_with_the_gateway() {
    let profile = lab_with(|profile| profile.vms[0].console_ip = Some("10.10.0.1".to_owned()));
    expect_only_problem(
        &profile,
        "vms[0].console_ip",
        "10.10.0.1 is already the gateway",
    );
}

#[test]
fn console_ips_do_not_collide_with_each_other() {
    let profile = seed_with(|profile| {
        profile.vms[1].console_ip = Some("192.168.1.3".to_owned());
    });
    expect_only_problem(
        &profile,
        "vms[1].console_ip",
        "192.168.1.3 is already the console IP of VM \"Win2012\"",
    );
    expect_valid(&seed_with(|profile| {
        profile.vms[1].console_ip = Some("192.168.1.4".to_owned());
    }));
}

// --- MAC addresses ---------------------------------------------------------------------------

#[test]
fn mac_must_be_a_unicast_mac_address() {
    for mac in [
        "",
        "00:16:3e:12:34",
        "00:16:3e:12:34:56:78",
        "00-16-3e-12-34-56",
        "0:16:3e:12:34:56",
        "zz:16:3e:12:34:56",
        "01:16:3e:12:34:56",
        "ff:ff:ff:ff:ff:ff",
    ] {
        let profile = seed_with(|profile| profile.vms[0].mac = Some(mac.to_owned()));
        expect_only_problem(&profile, "vms[0].mac", "is not a unicast MAC address");
    }
    for mac in ["00:16:3e:12:34:56", "02:AB:cd:EF:01:23"] {
        let design = expect_valid(&seed_with(|profile| {
            profile.vms[0].mac = Some(mac.to_owned())
        }));
        assert_eq!(design.vms[0].mac, mac.to_ascii_lowercase());
    }
}

#[test]
fn mac_addresses_are_unique() {
    let profile = seed_with(|profile| {
        profile.vms[0].mac = Some("00:16:3e:aa:bb:cc".to_owned());
        profile.vms[1].mac = Some("00:16:3E:AA:BB:CC".to_owned());
    });
    expect_only_problem(
        &profile,
        "vms[1].mac",
        "VM \"Win2012\" has the same MAC address 00:16:3e:aa:bb:cc",
    );
    // An explicit MAC may not take the one derived for another VM either.
    let profile = seed_with(|profile| {
        profile.vms[1].mac = Some(derived_mac("seed", "Win2012").to_ascii_uppercase());
    });
    expect_only_problem(
        &profile,
        "vms[1].mac",
        "VM \"Win2012\" has the same MAC address",
    );
}

// ---------------------------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------------------------

fn problem(field: Field) -> Problem {
    Problem {
        field,
        message: format!("{field} is wrong"),
        fix: "fix it".to_owned(),
    }
}

#[test]
fn for_field_returns_the_problems_of_exactly_that_field() {
    let memory = Field::Vm(1, VmField::Memory);
    let problems = Problems(
        [
            Field::Vms,
            memory,
            Field::Vm(1, VmField::BootIso),
            memory,
            Field::Vm(0, VmField::Memory),
            Field::Node(1, NodeField::LanAddress),
        ]
        .into_iter()
        .map(problem)
        .collect(),
    );
    let found: Vec<String> = problems
        .for_field(memory)
        .map(|problem| problem.field.path())
        .collect();
    assert_eq!(found, ["vms[1].memory_mib", "vms[1].memory_mib"]);
    assert_eq!(problems.for_field(Field::Vms).count(), 1);
    assert_eq!(
        problems
            .for_field(Field::Cluster(ClusterField::Name))
            .count(),
        0
    );
}

#[test]
fn problems_display_each_field_message_and_fix() {
    let problems = Problems(vec![
        problem(Field::Vm(0, VmField::Name)),
        problem(Field::Nodes),
    ]);
    assert_eq!(
        problems.0[0].to_string(),
        "vms[0].name: vms[0].name is wrong (fix it)"
    );
    assert_eq!(
        problems.to_string(),
        "vms[0].name: vms[0].name is wrong (fix it)\nnodes: nodes is wrong (fix it)\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Parsers and derived values
// ---------------------------------------------------------------------------------------------

#[test]
fn parse_size_mib_reads_lvm_sizes() {
    for (text, mib) in [
        ("512M", 512),
        ("512m", 512),
        ("8M", 8),
        ("50G", 50 * 1024),
        ("40g", 40 * 1024),
        ("1.5T", 3 * 512 * 1024),
        ("2t", 2 * 1024 * 1024),
        ("0.5G", 512),
        (" 8G ", 8 * 1024),
    ] {
        assert_eq!(parse_size_mib(text), Some(mib), "{text:?}");
    }
    for text in [
        "",
        "M",
        "G",
        "50",
        "50GB",
        "50K",
        "-1G",
        "0M",
        "0.1M",
        "1.2.3G",
        ".G",
        "50 G",
        "1e3G",
        "abc",
        "+5G",
        "99999999999T",
    ] {
        assert_eq!(parse_size_mib(text), None, "{text:?}");
    }
}

#[test]
fn parse_interface_address_reads_address_and_subnet() {
    let (address, subnet) = parse_interface_address("192.168.1.1/24").expect("valid");
    assert_eq!(address, Ipv4Addr::new(192, 168, 1, 1));
    assert_eq!(subnet.network, Ipv4Addr::new(192, 168, 1, 0));
    assert_eq!(subnet.prefix, 24);
    assert_eq!(subnet.to_string(), "192.168.1.0/24");
    assert_eq!(subnet.broadcast(), Ipv4Addr::new(192, 168, 1, 255));
    assert!(subnet.is_host(Ipv4Addr::new(192, 168, 1, 254)));
    assert!(!subnet.is_host(Ipv4Addr::new(192, 168, 1, 0)));
    assert!(!subnet.is_host(Ipv4Addr::new(192, 168, 1, 255)));
    assert!(!subnet.contains(Ipv4Addr::new(192, 168, 2, 1)));

    let (address, subnet) = parse_interface_address(" 10.1.2.3/8 ").expect("valid, trimmed");
    assert_eq!(address, Ipv4Addr::new(10, 1, 2, 3));
    assert_eq!(subnet.to_string(), "10.0.0.0/8");
    let (_, subnet) = parse_interface_address("172.16.5.6/30").expect("smallest usable prefix");
    assert_eq!(subnet.to_string(), "172.16.5.4/30");
    let (_, subnet) = parse_interface_address("200.1.1.1/1").expect("largest usable prefix");
    assert_eq!(subnet.to_string(), "128.0.0.0/1");

    for (text, says) in [
        ("192.168.1.1", "has no prefix length"),
        ("", "has no prefix length"),
        ("192.168.1/24", "is not an IPv4 address"),
        ("192.168.1.256/24", "is not an IPv4 address"),
        ("/24", "is not an IPv4 address"),
        ("192.168.1.1/", "is not a usable prefix length"),
        ("192.168.1.1/0", "is not a usable prefix length"),
        ("192.168.1.1/31", "is not a usable prefix length"),
        ("192.168.1.1/32", "is not a usable prefix length"),
        ("192.168.1.1/33", "is not a usable prefix length"),
        ("192.168.1.1/24/1", "is not a usable prefix length"),
        (
            "192.168.1.0/24",
            "is the network or broadcast address of 192.168.1.0/24",
        ),
        (
            "192.168.1.255/24",
            "is the network or broadcast address of 192.168.1.0/24",
        ),
        (
            "172.16.5.7/30",
            "is the network or broadcast address of 172.16.5.4/30",
        ),
    ] {
        let error = parse_interface_address(text).expect_err(text);
        assert!(error.contains(says), "{text:?}: {error}");
    }
}

#[test]
fn derived_mac_is_stable_and_unicast() {
    // FNV-1a of the single separator byte is 0x050c5d1f: the hash is the published algorithm.
    assert_eq!(derived_mac("", ""), "00:16:3e:0c:5d:1f");
    // The MAC a guest sees must not change between Tandem versions.
    assert_eq!(
        derived_mac("seed", "Win2012"),
        derived_mac("seed", "Win2012")
    );
    assert_eq!(derived_mac("seed", "Win2012"), "00:16:3e:74:93:8b");
    assert_ne!(
        derived_mac("seed", "Win2012"),
        derived_mac("seed", "Win2012-2")
    );
    assert_ne!(
        derived_mac("seed", "Win2012"),
        derived_mac("lab", "Win2012")
    );
    // The separator keeps the cluster and VM names apart.
    assert_ne!(derived_mac("ab", "c"), derived_mac("a", "bc"));

    let mut seen = HashSet::new();
    for cluster in ["seed", "lab", "x"] {
        for index in 0..200 {
            let mac = derived_mac(cluster, &format!("vm{index}"));
            assert!(is_unicast_mac(&mac), "{mac}");
            assert!(mac.starts_with("00:16:3e:"), "{mac}");
            assert_eq!(mac, mac.to_ascii_lowercase());
            let fourth = u8::from_str_radix(&mac[9..11], 16).expect("hex");
            assert!(
                fourth < 0x80,
                "{mac}: the top bit of the fourth byte is Xen's"
            );
            seen.insert(mac);
        }
    }
    assert!(seen.len() > 590, "derived MACs collide too often");
}

#[test]
fn the_corosync_token_timeout_is_sensible() {
    for token in [0, 499, 120_001] {
        let profile = seed_with(|profile| profile.cluster.corosync_token_ms = Some(token));
        expect_only_problem(
            &profile,
            "cluster.corosync_token_ms",
            "is not a usable corosync token timeout",
        );
    }
    expect_valid(&seed_with(|profile| {
        profile.cluster.corosync_token_ms = Some(5000)
    }));
}

mod fencing;
