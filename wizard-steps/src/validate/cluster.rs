//! The cluster section: its name, the failback, fencing and quorum policy, corosync's settings.

use crate::field::{ClusterField, Field};
use crate::profile::{Failback, Fencing, Profile, QuorumDevice};

use super::nodes::SshFields;
use super::syntax::{is_cluster_name, is_drbd_rate, is_host_name_or_address, same_value};
use super::{Checker, kinds};

impl Checker {
    pub(super) fn cluster(&mut self, profile: &Profile) {
        let cluster = &profile.cluster;
        if !is_cluster_name(&cluster.name) {
            self.report(
                Field::Cluster(ClusterField::Name),
                format!("\"{}\" is not a usable cluster name", cluster.name),
                "use 1 to 32 letters, digits, '-' or '_', starting with a letter or digit",
            );
        }
        if let Failback::Window {
            start_hour,
            end_hour,
        } = cluster.failback
        {
            for (field, hour) in [
                (ClusterField::FailbackStartHour, start_hour),
                (ClusterField::FailbackEndHour, end_hour),
            ] {
                if hour > 23 {
                    self.report(
                        Field::Cluster(field),
                        format!("{hour} is not an hour of the day"),
                        "use an hour from 0 to 23",
                    );
                }
            }
            if start_hour == end_hour {
                self.report(
                    Field::Cluster(ClusterField::FailbackEndHour),
                    "the failback window is empty (it starts and ends at the same hour)",
                    "choose an end hour different from the start hour, or the policy \"return-home\"",
                );
            }
        }
        if let Fencing::None {
            acknowledge_split_brain_risk: false,
        } = cluster.fencing
        {
            self.report(
                Field::Cluster(ClusterField::AcknowledgeSplitBrainRisk),
                "without fencing, a two-node cluster can end in a split brain that needs manual recovery",
                "choose IPMI or SBD fencing, or acknowledge the split-brain risk",
            );
        }
        if let Fencing::Sbd { device, .. } = &cluster.fencing
            && let Err(broken) = kinds::sbd_device(device)
        {
            self.broken(Field::Cluster(ClusterField::SbdDevice), broken);
        }
        if let Some(device) = &cluster.quorum_device {
            self.quorum_device(profile, device);
        }
        if let Some(token) = cluster.corosync_token_ms
            && !(500..=120_000).contains(&token)
        {
            self.report(
                Field::Cluster(ClusterField::CorosyncTokenMs),
                format!("{token} ms is not a usable corosync token timeout"),
                "use 500 to 120000 ms (corosync's default is 3000): how long a silent node is waited for before it counts as failed",
            );
        }
        if !is_drbd_rate(&cluster.drbd.resync_rate) {
            self.report(
                Field::Cluster(ClusterField::DrbdResyncRate),
                format!("\"{}\" is not a DRBD rate", cluster.drbd.resync_rate),
                "write a positive number with an optional unit K, M or G (bytes per second), e.g. \"100M\"",
            );
        }
        if cluster.live_migration && cluster.drbd.protocol != crate::profile::DrbdProtocol::C {
            self.report(
                Field::Cluster(ClusterField::DrbdProtocol),
                "live migration (dual-primary DRBD) needs synchronous replication",
                "use DRBD protocol C, or turn live migration off",
            );
        }
    }

    /// The quorum device: where the nodes reach qnetd, how Tandem reaches its machine, and
    /// that the machine is a third one (a node's own vote twice is no tie-breaker).
    fn quorum_device(&mut self, profile: &Profile, device: &QuorumDevice) {
        let at = Field::Cluster;
        if !is_host_name_or_address(&device.address) {
            self.report(
                at(ClusterField::QuorumAddress),
                format!("\"{}\" is not a host name or address", device.address),
                "write the address or DNS name the nodes reach the quorum device's machine at",
            );
        }
        if device.port == 0 {
            self.report(
                at(ClusterField::QuorumPort),
                "port 0 cannot be connected to",
                "use corosync-qnetd's port (5403 normally)",
            );
        }
        self.ssh(
            &device.ssh,
            &SshFields::quorum_device(),
            "the quorum device's machine",
        );
        for (index, node) in profile.nodes.iter().enumerate() {
            let is_node = [&node.lan.address, &node.replication_address]
                .iter()
                .any(|address| {
                    same_value(address.split('/').next().unwrap_or(""), &device.address)
                })
                || same_value(&node.hostname, &device.address);
            if is_node {
                self.report(
                    at(ClusterField::QuorumAddress),
                    format!(
                        "{} is node {}'s own address: the quorum device must be a third machine",
                        device.address,
                        index + 1
                    ),
                    "run corosync-qnetd on a machine outside the cluster (the workstation Tandem runs on will do)",
                );
            }
            if same_value(&node.ssh.host, &device.ssh.host) && node.ssh.port == device.ssh.port {
                self.report(
                    at(ClusterField::QuorumSshHost),
                    format!(
                        "{}:{} is how Tandem reaches node {}: the quorum device must be a third machine",
                        device.ssh.host,
                        device.ssh.port,
                        index + 1
                    ),
                    "give the SSH address of the machine that runs corosync-qnetd",
                );
            }
        }
    }
}
