//! The network section: the bridge the VMs attach to, and its settings.

use crate::field::{Field, NetworkField};
use crate::profile::Profile;

use super::{Checker, kinds};

impl Checker {
    pub(super) fn network(&mut self, profile: &Profile) {
        if let Err(broken) = kinds::interface_name(&profile.network.bridge) {
            self.broken(Field::Network(NetworkField::Bridge), broken);
        }
        if profile.network.forward_delay > 30 {
            self.report(
                Field::Network(NetworkField::ForwardDelay),
                format!(
                    "{} s is more than the kernel's 30 s maximum",
                    profile.network.forward_delay
                ),
                "use 0 (no STP) up to 30 seconds",
            );
        }
    }
}
