use super::*;
use crate::profile::Profile;

#[test]
fn paths_are_the_profile_files_keys() {
    assert_eq!(
        Field::Node(1, NodeField::SshHost).path(),
        "nodes[1].ssh.host"
    );
    assert_eq!(Field::Vm(0, VmField::BootIso).path(), "vms[0].boot.iso");
    assert_eq!(
        Field::Volume(2, VolumeField::Entry).path(),
        "storage.volumes[2]"
    );
    assert_eq!(
        Field::Volume(2, VolumeField::Size).path(),
        "storage.volumes[2].size"
    );
    assert_eq!(
        Field::Cluster(ClusterField::DrbdResyncRate).path(),
        "cluster.drbd.resync_rate"
    );
    assert_eq!(Field::Vms.path(), "vms");
}

/// Every key names a field the profile really has: the seed with every optional field set,
/// written out as TOML, holds each key's path.
#[test]
fn every_key_is_in_a_profile_with_every_field_set() {
    use crate::profile::{Bmc, Boot, Failback, Fencing, QuorumDevice, SshAuth};
    let mut profile = Profile::from_toml(
        include_str!("../../../resources/profiles/seed.toml"),
        "seed",
    )
    .expect("parses");
    profile.cluster.failback = Failback::Window {
        start_hour: 22,
        end_hour: 6,
    };
    profile.cluster.corosync_token_ms = Some(5000);
    profile.nodes[0].ssh.auth = SshAuth::KeyFile {
        path: "~/.ssh/id_ed25519".into(),
    };
    profile.nodes[0].lan.gateway = Some("192.168.1.254".into());
    profile.nodes[0].bmc = Some(Bmc {
        address: "192.168.2.1".into(),
        user: "admin".into(),
        lanplus: true,
        cipher: Some(3),
    });
    let hvm = &mut profile.vms[0];
    hvm.mac = Some("00:16:3e:00:00:01".into());
    hvm.keep_data_on = Some("node1".into());
    hvm.boot = Boot::Hvm {
        iso: "/var/lib/tandem/iso/a.iso".into(),
        iso_source: Some("a.iso".into()),
        vnc_password: Some("secret".into()),
    };
    profile.vms[1].boot = Boot::Pv {
        kernel: "/boot/vmlinuz".into(),
        ramdisk: Some("/boot/initrd.img".into()),
        extra: Some("console=hvc0".into()),
    };
    profile.cluster.quorum_device = Some(QuorumDevice {
        address: "192.168.1.3".into(),
        port: 5403,
        ssh: profile.nodes[0].ssh.clone(),
    });
    // The fencing methods' own keys are in one profile each (the seed has none, acknowledged).
    let mut sbd = profile.clone();
    sbd.cluster.fencing = Fencing::Sbd {
        device: "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4".into(),
        softdog: true,
    };
    let values: Vec<toml::Value> = [profile, sbd]
        .iter()
        .map(|profile| toml::from_str(&profile.to_toml().expect("writes")).expect("reads back"))
        .collect();
    let has = |path: &str| values.iter().any(|value| has_path(value, path));

    let mut fields: Vec<Field> = vec![Field::Nodes, Field::Vms];
    fields.extend(ClusterField::ALL.iter().map(|&key| Field::Cluster(key)));
    fields.extend(NetworkField::ALL.iter().map(|&key| Field::Network(key)));
    fields.extend(StorageField::ALL.iter().map(|&key| Field::Storage(key)));
    fields.extend(VolumeField::ALL.iter().map(|&key| Field::Volume(0, key)));
    fields.extend(NodeField::ALL.iter().map(|&key| Field::Node(0, key)));
    for &key in VmField::ALL {
        let pv = matches!(
            key,
            VmField::BootKernel | VmField::BootRamdisk | VmField::BootExtra
        );
        fields.push(Field::Vm(usize::from(pv), key));
    }
    let missing: Vec<String> = fields
        .into_iter()
        .map(Field::path)
        .filter(|path| !has(path))
        .collect();
    assert!(missing.is_empty(), "not in the profile: {missing:?}");
}

/// Whether a TOML document has a value at a field's path (`nodes[0].ssh.host`).
fn has_path(value: &toml::Value, path: &str) -> bool {
    let mut here = Some(value);
    for part in path.split('.') {
        here = match part.split_once('[') {
            Some((key, index)) => here
                .and_then(|table| table.get(key))
                .and_then(|list| list.get(index.trim_end_matches(']').parse::<usize>().ok()?)),
            None => here.and_then(|table| table.get(part)),
        };
    }
    here.is_some()
}
