//! The cluster section: its name, the failback, fencing and quorum policy, corosync's settings.

use crate::field::{ClusterField, Field};
use crate::profile::{Failback, Fencing, Profile};

use super::Checker;
use super::syntax::{is_cluster_name, is_drbd_rate};

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
                "choose IPMI fencing, or acknowledge the split-brain risk",
            );
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
}
