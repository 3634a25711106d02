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
        SbdDevice => "fencing.device",
        SbdSoftdog => "fencing.softdog",
        QuorumDevice => "quorum_device",
        QuorumAddress => "quorum_device.address",
        QuorumPort => "quorum_device.port",
        QuorumSshHost => "quorum_device.ssh.host",
        QuorumSshPort => "quorum_device.ssh.port",
        QuorumSshUser => "quorum_device.ssh.user",
        QuorumSshKeyPath => "quorum_device.ssh.auth.path",
        QuorumSshSudo => "quorum_device.ssh.sudo",
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
        BmcCipher => "bmc.cipher",
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
mod tests;
