use std::path::Path;

use super::*;
use iced::{Settings, Size};
use iced_test::{Error, Simulator};
use wizard_steps::cluster_state::parse_crm_mon;
use wizard_steps::cluster_state::{DrbdResource, NodeDrbd};
use wizard_steps::run::{Event, Summary};
use wizard_steps::{Profile, journal};

use crate::screens::testing::seed;

/// Real `crm_mon` output of the seed cluster (tests/tools/pacemaker.rs makes it again):
/// Win2012-2's start failed on its home node2, so both VMs run on node1; node2 is in standby.
const CRM_MON: &str =
    include_str!("../../../../tests/fixtures/crm_mon/seed-node2-start-failed-then-standby.xml");

fn resource(name: &str, role: &str, peer_role: &str, peer_disk: &str) -> DrbdResource {
    DrbdResource {
        name: name.into(),
        role: role.into(),
        peer_role: peer_role.into(),
        connection: "Connected".into(),
        disk: "UpToDate".into(),
        peer_disk: peer_disk.into(),
        sync_percent: None,
    }
}

fn verified_board() -> Board {
    let state = parse_crm_mon(CRM_MON).expect("the XML parses");
    Board::from_events(&[
        Event::ClusterVerified {
            state,
            drbd: vec![
                NodeDrbd {
                    node: "node1".into(),
                    resources: vec![
                        resource("Win2012", "Primary", "Secondary", "UpToDate"),
                        resource("Win2012-2", "Primary", "Secondary", "Inconsistent"),
                    ],
                },
                NodeDrbd {
                    node: "node2".into(),
                    resources: vec![DrbdResource {
                        sync_percent: Some(37.5),
                        disk: "Inconsistent".into(),
                        connection: "SyncTarget".into(),
                        ..resource("Win2012-2", "Secondary", "Primary", "UpToDate")
                    }],
                },
            ],
        },
        Event::Finished {
            summary: Summary {
                changed: 40,
                already_done: 2,
                passed: 9,
                duration_ms: 754_000,
                ..Summary::default()
            },
        },
    ])
}

fn ui<'a>(state: &'a State, profile: &'a Profile, board: &'a Board) -> Simulator<'a, Message> {
    let context = crate::screens::testing::context_of(profile);
    Simulator::with_size(
        Settings::default(),
        Size::new(1400.0, 6000.0),
        view(state, context, board),
    )
}

fn clicked(state: &mut State, profile: &Profile, board: &Board, label: &str) -> Vec<Action> {
    let mut page = ui(state, profile, board);
    page.click(label).expect("the button is there");
    let messages: Vec<Message> = page.into_messages().collect();
    messages
        .into_iter()
        .map(|message| update(state, message))
        .collect()
}

#[test]
fn the_verified_cluster_shows_nodes_vm_placement_drbd_and_failed_actions() -> Result<(), Error> {
    let profile = seed();
    let board = verified_board();
    let state = State::default();
    let mut page = ui(&state, &profile, &board);
    let _ = page.find("node1: online")?;
    let _ = page.find("node2: standby")?;
    let _ = page.find("Win2012: runs on node1 (home: node1)")?;
    let _ = page.find("Win2012-2: runs on node1 (home: node2) — not at home")?;
    let _ = page.find("vm_Win2012-2 start on node2: User-injected result")?;
    let _ = page.find("Inconsistent (37.5% synced)")?;
    let _ = page.find("SyncTarget")?;
    let _ = page.find("Primary, UpToDate")?; // node2's view of its peer
    let _ = page.find("40 changed, 2 already done, 9 checks passed, in 12:34")?;
    assert!(page.find("No failed actions.").is_err());
    Ok(())
}

#[test]
fn the_recorded_run_ends_with_both_vms_at_home_and_drbd_up_to_date() -> Result<(), Error> {
    let entries = journal::read(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/recordings/testbed-resumed-run.jsonl"
    )))
    .expect("the recording reads");
    let board = Board::from_events(entries.iter().map(|entry| &entry.event));
    // The testbed's profile is not at hand: the page lists Pacemaker's resources instead.
    let profile = Profile::new_cluster();
    let state = State::default();
    let mut page = ui(&state, &profile, &board);
    let _ = page.find("node1: online")?;
    let _ = page.find("node2: online")?;
    let _ = page.find("vm_vm1: Started on node1")?;
    let _ = page.find("vm_vm2: Started on node2")?;
    let _ = page.find("drbd_vm2: Promoted on node2")?;
    let _ = page.find("No failed actions.")?;
    let _ = page.find("13 changed, 51 already done, 13 checks passed, in 5:57")?;
    let _ = page.find("SSH commands run: node1: 79, node2: 66")?;
    Ok(())
}

#[test]
fn the_buttons_export_the_report_and_save_the_profile_and_the_result_is_shown() -> Result<(), Error>
{
    let profile = seed();
    let board = verified_board();
    let mut state = State::default();
    let actions = clicked(&mut state, &profile, &board, "Export report (HTML)");
    assert!(
        matches!(
            actions.as_slice(),
            [Action::ExportReport(ReportFormat::Html)]
        ),
        "{actions:?}"
    );
    // While the dialog is open, a second export waits.
    assert!(clicked(&mut state, &profile, &board, "Export report (Markdown)").is_empty());
    let _ = update(
        &mut state,
        Message::Exported(Ok(Some("/home/admin/tandem-seed-report.html".into()))),
    );
    let mut page = ui(&state, &profile, &board);
    let _ = page.find("Report saved to /home/admin/tandem-seed-report.html")?;
    drop(page);

    let actions = clicked(&mut state, &profile, &board, "Export report (Markdown)");
    assert!(
        matches!(
            actions.as_slice(),
            [Action::ExportReport(ReportFormat::Markdown)]
        ),
        "{actions:?}"
    );
    let _ = update(
        &mut state,
        Message::Exported(Err("writing /ro/report.md: read-only file system".into())),
    );
    let mut page = ui(&state, &profile, &board);
    let _ = page.find("The report was not saved: writing /ro/report.md: read-only file system")?;
    drop(page);

    // A cancelled dialog leaves no message.
    let _ = clicked(&mut state, &profile, &board, "Export report (HTML)");
    let _ = update(&mut state, Message::Exported(Ok(None)));
    let mut page = ui(&state, &profile, &board);
    assert!(
        page.find("The report was not saved: writing /ro/report.md: read-only file system")
            .is_err()
    );
    drop(page);

    let actions = clicked(&mut state, &profile, &board, "Save profile");
    assert!(
        matches!(actions.as_slice(), [Action::SaveProfile]),
        "{actions:?}"
    );
    assert_eq!(ReportFormat::Markdown.extension(), "md");
    Ok(())
}
