//! The network section: the bridge the VMs attach to, and its settings.

use crate::profile::Profile;

use super::{Checker, kinds};

impl Checker {
    pub(super) fn network(&mut self, profile: &Profile) {
        if let Err(broken) = kinds::interface_name(&profile.network.bridge) {
            self.broken("network.bridge", broken);
        }
        if profile.network.forward_delay > 30 {
            self.report(
                "network.forward_delay",
                format!(
                    "{} s is more than the kernel's 30 s maximum",
                    profile.network.forward_delay
                ),
                "use 0 (no STP) up to 30 seconds",
            );
        }
    }
}
