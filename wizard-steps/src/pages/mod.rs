//! The wizard's pages as the core sees them: the one registry of pages ([`Page`]: their order,
//! titles and the profile fields each edits, so that the validator's problems appear on the
//! page that can fix them), and one module per page (the GUI's `screens` mirror these names)
//! with the page's own judgements (what a node was found to have, the capacity meter, each
//! volume's state, the review of a plan). Pure functions over the profile and the facts read
//! from the nodes. ("Step" means only a step of the plan.)

pub mod cluster;
pub mod network;
pub mod nodes;
pub mod review;
pub mod shown;
pub mod storage;
pub mod vms;

use crate::field::{ClusterField, Field, NodeField, VolumeField};
use crate::validate::{Problem, Problems};

/// The problems a page can fix.
pub fn problems_of(problems: &Problems, page: Page) -> Vec<&Problem> {
    problems
        .0
        .iter()
        .filter(|problem| Page::editing(problem.field) == page)
        .collect()
}

/// A page of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    Welcome,
    Nodes,
    Network,
    Storage,
    Vms,
    Cluster,
    Review,
    Run,
    Done,
    /// The running cluster of a saved profile (opened from Welcome; not a wizard page).
    Manage,
}

impl Page {
    /// The wizard's pages, in order.
    pub const ALL: [Page; 9] = [
        Page::Welcome,
        Page::Nodes,
        Page::Network,
        Page::Storage,
        Page::Vms,
        Page::Cluster,
        Page::Review,
        Page::Run,
        Page::Done,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Page::Welcome => "Welcome",
            Page::Nodes => "Nodes",
            Page::Network => "Network",
            Page::Storage => "Storage",
            Page::Vms => "VMs",
            Page::Cluster => "Cluster",
            Page::Review => "Review",
            Page::Run => "Run",
            Page::Done => "Done",
            Page::Manage => "Manage cluster",
        }
    }

    /// Where the page stands in the wizard (Manage, outside it, counts as the first).
    pub fn index(self) -> usize {
        Page::ALL.iter().position(|page| *page == self).unwrap_or(0)
    }

    pub fn next(self) -> Option<Page> {
        Page::ALL.get(self.index() + 1).copied()
    }

    pub fn previous(self) -> Option<Page> {
        self.index().checked_sub(1).map(|index| Page::ALL[index])
    }

    /// Whether the page edits the profile (its Next, pressed too early, shows what is left).
    pub fn edits_profile(self) -> bool {
        matches!(
            self,
            Page::Nodes | Page::Network | Page::Storage | Page::Vms | Page::Cluster
        )
    }

    /// The page that edits a field, and so shows its problems. Every field has exactly one;
    /// the matches name every field, so that a new one needs a decision here.
    pub fn editing(field: Field) -> Page {
        match field {
            Field::Nodes => Page::Nodes,
            Field::Network(_) => Page::Network,
            // Whether a VM uses a volume (the entry as a whole) is settled where VMs pick their
            // disks, after the Storage page: it must not hold up Storage's Next.
            Field::Volume(_, VolumeField::Entry) => Page::Vms,
            Field::Storage(_) | Field::Volume(..) => Page::Storage,
            Field::Vms | Field::Vm(..) => Page::Vms,
            Field::Cluster(field) => match field {
                ClusterField::Name | ClusterField::Debian => Page::Nodes,
                ClusterField::Failback
                | ClusterField::FailbackStartHour
                | ClusterField::FailbackEndHour
                | ClusterField::Fencing
                | ClusterField::AcknowledgeSplitBrainRisk
                | ClusterField::SbdDevice
                | ClusterField::SbdSoftdog
                | ClusterField::QuorumDevice
                | ClusterField::QuorumAddress
                | ClusterField::QuorumPort
                | ClusterField::QuorumSshHost
                | ClusterField::QuorumSshPort
                | ClusterField::QuorumSshUser
                | ClusterField::QuorumSshKeyPath
                | ClusterField::QuorumSshSudo
                | ClusterField::CorosyncCrypto
                // Not an input on the page (a profile sets it): its problems are listed at the
                // page's top.
                | ClusterField::CorosyncTokenMs
                | ClusterField::LiveMigration
                | ClusterField::DrbdProtocol
                | ClusterField::DrbdResyncRate
                | ClusterField::DrbdVerifyAlg
                | ClusterField::DrbdSkipInitialSync => Page::Cluster,
            },
            Field::Node(_, field) => match field {
                NodeField::Hostname
                | NodeField::SshHost
                | NodeField::SshPort
                | NodeField::SshUser
                | NodeField::SshKeyPath
                | NodeField::SshSudo => Page::Nodes,
                NodeField::LanNic
                | NodeField::LanAddress
                | NodeField::LanGateway
                | NodeField::ReplicationAddress => Page::Network,
                NodeField::Dom0Memory => Page::Vms,
                NodeField::Bmc
                | NodeField::BmcAddress
                | NodeField::BmcUser
                | NodeField::BmcLanplus
                | NodeField::BmcCipher => Page::Cluster,
            },
        }
    }
}

#[cfg(test)]
mod tests;
