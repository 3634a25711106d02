//! The report's day-2 section: maintenance and drill steps appended after a run are listed with
//! their result and where the VMs went, and do not stretch the run's own timings.
//! (tests/engine/runner.rs checks the report of a whole run on sandboxed nodes.)

use super::*;
use crate::cluster_state::Placement;
use crate::plan::PhaseKind;
use crate::run::Summary;

fn at(at_ms: u64, event: Event) -> Entry {
    Entry { at_ms, event }
}

fn placement(vm: &str, home: &str, on: &str) -> Placement {
    Placement {
        vm: vm.into(),
        home: home.into(),
        running_on: Some(on.into()),
        promoted_on: vec![on.into()],
        console_ip_on: None,
    }
}

fn maintenance(action: &str, changed: bool, error: Option<&str>, vms_on: &str) -> Event {
    Event::Maintenance {
        purpose: "drill".into(),
        action: action.into(),
        command: Some("crm_attribute --type nodes --node node1 --name standby --update on".into()),
        changed,
        error: error.map(str::to_owned),
        took_ms: 41_500,
        placements: vec![
            placement("Win2012", "node1", vms_on),
            placement("Win2012-2", "node2", vms_on),
        ],
    }
}

#[test]
fn maintenance_after_a_run_is_listed_without_stretching_its_timings() {
    let entries = [
        at(
            1_000,
            Event::PhaseStarted {
                phase: PhaseKind::Verify,
                title: "Verify".into(),
            },
        ),
        at(
            3_000,
            Event::Finished {
                summary: Summary {
                    duration_ms: 2_000,
                    ..Summary::default()
                },
            },
        ),
        at(
            900_000,
            maintenance("put node1 in standby", true, None, "node2"),
        ),
        at(
            960_000,
            maintenance(
                "bring node1 back online",
                true,
                Some("the cluster had not settled after 600 s"),
                "node2",
            ),
        ),
        at(
            990_000,
            maintenance("bring node1 back online", false, None, "node1"),
        ),
    ];
    let report = markdown(&entries);
    assert!(
        report.contains("## Maintenance and failover drills"),
        "{report}"
    );
    assert!(
        report.contains(
            "| 1970-01-01 00:15:00 UTC | drill | put node1 in standby | done | 41.5 s | Win2012 on node2, Win2012-2 on node2 |"
        ),
        "{report}"
    );
    assert!(
        report.contains("| FAILED: the cluster had not settled after 600 s |"),
        "{report}"
    );
    assert!(
        report.contains("| bring node1 back online | already so |"),
        "{report}"
    );
    assert!(
        report.contains("| Verify | 2.0 s |"),
        "the run's last phase ends with the run, not with the drill:\n{report}"
    );
    let page = html(&entries);
    assert!(page.contains("Maintenance and failover drills"));
}

#[test]
fn a_report_without_maintenance_has_no_such_section() {
    let report = markdown(&[at(
        1_000,
        Event::Finished {
            summary: Summary::default(),
        },
    )]);
    assert!(!report.contains("Maintenance"), "{report}");
}
