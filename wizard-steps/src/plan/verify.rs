//! The last phase: the cluster as a whole checked (every resource started where it should be,
//! no failed actions).

use super::builder::Builder;
use super::{Operation, Phase, PhaseKind, Scope, Step, phase};

impl Builder<'_> {
    pub(super) fn verify(&self) -> Phase {
        let steps = vec![Step {
            id: "placement".into(),
            scope: Scope::Cluster,
            title: "every VM runs on its home node, DRBD healthy".into(),
            operation: Operation::VerifyPlacement,
            destructive: None,
            disruptive: None,
        }];
        phase(PhaseKind::Verify, "Verification", false, steps)
    }
}
