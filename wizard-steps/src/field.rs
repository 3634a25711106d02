//! The profile's fields by name: where validation reports a problem and where a page shows it.
//! A field's path (`nodes[0].ssh.host`, `vms[1].boot.iso`, `storage.volumes[2].size`) is the
//! TOML key an administrator finds in the file; it is spelled here and nowhere else.

use std::fmt;

/// One field of the profile (or a whole list of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The `[[nodes]]` list as a whole.
    Nodes,
    /// The `[[vms]]` list as a whole.
    Vms,
    Cluster(ClusterField),
    Network(NetworkField),
    Storage(StorageField),
    /// A field of `storage.volumes[index]`.
    Volume(usize, VolumeField),
    /// A field of `nodes[index]`.
    Node(usize, NodeField),
    /// A field of `vms[index]`.
    Vm(usize, VmField),
}

impl Field {
    /// The path as validation reports it and the profile file spells it.
    pub fn path(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Nodes => f.write_str("nodes"),
            Field::Vms => f.write_str("vms"),
            Field::Cluster(field) => write!(f, "cluster.{}", field.key()),
            Field::Network(field) => write!(f, "network.{}", field.key()),
            Field::Storage(field) => write!(f, "storage.{}", field.key()),
            Field::Volume(index, VolumeField::Entry) => write!(f, "storage.volumes[{index}]"),
            Field::Volume(index, field) => write!(f, "storage.volumes[{index}].{}", field.key()),
            Field::Node(index, field) => write!(f, "nodes[{index}].{}", field.key()),
            Field::Vm(index, field) => write!(f, "vms[{index}].{}", field.key()),
        }
    }
}

impl From<Field> for String {
    fn from(field: Field) -> String {
        field.to_string()
    }
}

/// Declares a field enum with each variant's TOML key and the list of them all.
macro_rules! keys {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every field, in the order the profile file has them.
            pub const ALL: &[$name] = &[$($name::$variant),+];

            /// The key below the section, as the profile file spells it.
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key),+
                }
            }
        }
    };
}

keys!(
    /// The fields of `[cluster]`.
    ClusterField {
        Name => "name",
        Debian => "debian",
        Failback => "failback",
        FailbackStartHour => "failback.start_hour",
        FailbackEndHour => "failback.end_hour",
        Fencing => "fencing",
        AcknowledgeSplitBrainRisk => "fencing.acknowledge_split_brain_risk",
        CorosyncCrypto => "corosync_crypto",
        CorosyncTokenMs => "corosync_token_ms",
        LiveMigration => "live_migration",
        DrbdProtocol => "drbd.protocol",
        DrbdResyncRate => "drbd.resync_rate",
        DrbdVerifyAlg => "drbd.verify_alg",
        DrbdSkipInitialSync => "drbd.skip_initial_sync_when_blank",
    }
);

keys!(
    /// The fields of `[network]`.
    NetworkField {
        Bridge => "bridge",
        Stp => "stp",
        ForwardDelay => "forward_delay",
    }
);

keys!(
    /// The fields of `[storage]` besides its volumes.
    StorageField {
        VolumeGroup => "volume_group",
        IsoDirectory => "iso_directory",
    }
);

keys!(
    /// The fields of one `[[storage.volumes]]` entry (`Entry`: the entry as a whole).
    VolumeField {
        Entry => "",
        Name => "name",
        Size => "size",
        Create => "create",
    }
);

keys!(
    /// The fields of one `[[nodes]]` entry.
    NodeField {
        Hostname => "hostname",
        SshHost => "ssh.host",
        SshPort => "ssh.port",
        SshUser => "ssh.user",
        SshKeyPath => "ssh.auth.path",
        SshSudo => "ssh.sudo",
        LanNic => "lan.nic",
        LanAddress => "lan.address",
        LanGateway => "lan.gateway",
        ReplicationAddress => "replication_address",
        Dom0Memory => "dom0_memory_mib",
        Bmc => "bmc",
        BmcAddress => "bmc.address",
        BmcUser => "bmc.user",
        BmcLanplus => "bmc.lanplus",
    }
);

keys!(
    /// The fields of one `[[vms]]` entry.
    VmField {
        Name => "name",
        Home => "home",
        Memory => "memory_mib",
        Vcpus => "vcpus",
        Volume => "volume",
        BootIso => "boot.iso",
        BootIsoSource => "boot.iso_source",
        BootVncPassword => "boot.vnc_password",
        BootKernel => "boot.kernel",
        BootRamdisk => "boot.ramdisk",
        BootExtra => "boot.extra",
        ConsoleIp => "console_ip",
        Mac => "mac",
        DrbdMinor => "drbd_minor",
        DrbdPort => "drbd_port",
        KeepDataOn => "keep_data_on",
    }
);

#[cfg(test)]
mod tests {
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
        use crate::profile::{Bmc, Boot, Failback, SshAuth};
        let mut profile =
            Profile::from_toml(include_str!("../../resources/profiles/seed.toml"), "seed")
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
        let value: toml::Value =
            toml::from_str(&profile.to_toml().expect("writes")).expect("reads back");
        let has = |path: &str| {
            let mut here = Some(&value);
            for part in path.split('.') {
                here = match part.split_once('[') {
                    Some((key, index)) => here.and_then(|table| table.get(key)).and_then(|list| {
                        list.get(index.trim_end_matches(']').parse::<usize>().ok()?)
                    }),
                    None => here.and_then(|table| table.get(part)),
                };
            }
            here.is_some()
        };
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
}
