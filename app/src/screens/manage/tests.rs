//! The Manage page over real crm_mon output of the seed cluster (tests/fixtures/crm_mon): what it
//! shows, which maintenance it offers or refuses and why, and how an action's updates and the
//! next read come back to it.

use std::time::Duration;

use iced_test::{Error, Simulator};
use wizard_steps::cluster_state::parse_crm_mon;
use wizard_steps::manage::{self, DrillKind, Progress, Status, Update};
use wizard_steps::protection::device_vote;
use wizard_steps::run::Event;
use wizard_steps::validate::{Problems, validate};
use wizard_steps::{Design, Profile};

use super::*;
use crate::screens::Context;
use crate::screens::testing::seed;

const AT_HOME: &str = include_str!("../../../../tests/fixtures/crm_mon/seed-at-home.xml");
const LAB_FENCE_CHECK_FAILED: &str =
    include_str!("../../../../tests/fixtures/crm_mon/lab-fence-check-failed.xml");
const NODE1_STANDBY: &str =
    include_str!("../../../../tests/fixtures/crm_mon/seed-node1-standby.xml");

/// The lab profile: IPMI fencing and a quorum device.
fn lab() -> Profile {
    Profile::from_toml(
        include_str!("../../../../resources/profiles/lab.toml"),
        "lab",
    )
    .expect("the lab profile")
}

fn status(xml: &str) -> Status {
    Status {
        cluster: parse_crm_mon(xml).expect("crm_mon XML"),
        drbd: Vec::new(),
        votes: Vec::new(),
    }
}

struct Page {
    state: State,
    profile: Profile,
    problems: Problems,
    design: Design,
}

impl Page {
    fn new() -> Page {
        Page::of(seed())
    }

    fn of(profile: Profile) -> Page {
        let design = validate(&profile).expect("the seed is valid");
        Page {
            state: State::default(),
            problems: Problems::of(&profile),
            profile,
            design,
        }
    }

    /// The page after a read of the cluster.
    fn read(xml: &str) -> Page {
        Page::new().after_read(xml)
    }

    fn after_read(mut self, xml: &str) -> Page {
        assert_eq!(self.send(Message::Tick), Action::Read);
        assert_eq!(self.send(Message::Read(Ok(status(xml)))), Action::None);
        self
    }

    fn send(&mut self, message: Message) -> Action {
        update(&mut self.state, message, Some(&self.design))
    }

    fn ui(&self, connected: [bool; 2]) -> Simulator<'_, Message> {
        let context = Context {
            profile: &self.profile,
            problems: &self.problems,
            design: Some(&self.design),
            facts: [None, None],
        };
        Simulator::with_size(
            iced::Settings::default(),
            (1024.0, 1600.0),
            view(&self.state, context, connected),
        )
    }

    fn click(&mut self, label: &str) -> Result<Vec<Action>, Error> {
        let mut ui = self.ui([true, true]);
        let _ = ui.click(label)?;
        let messages: Vec<Message> = ui.into_messages().collect();
        Ok(messages
            .into_iter()
            .map(|message| self.send(message))
            .collect())
    }

    fn shows(&self, text: &str) -> bool {
        self.ui([true, true]).find(text).is_ok()
    }
}

#[test]
fn without_both_nodes_connected_the_page_asks_for_the_connection() -> Result<(), Error> {
    let page = Page::read(AT_HOME);
    let mut ui = page.ui([false, false]);
    let _ = ui.find("Connect to both nodes (above) to read the cluster and to work on it.")?;
    assert!(ui.find("Put node1 in standby").is_err());
    Ok(())
}

#[test]
fn with_one_node_connected_the_page_shows_its_view_and_holds_the_maintenance() -> Result<(), Error>
{
    let page = Page::read(AT_HOME);
    let mut ui = page.ui([false, true]);
    let _ = ui.find(
        "Only node2 is connected: this is the cluster as it sees it. Maintenance and split-brain \
         recovery need both nodes: connect to node1 (above).",
    )?;
    let _ = ui.find("node1: online")?;
    let _ = ui.find("Win2012: runs on node1 (home: node1)")?;
    assert!(ui.find("Put node1 in standby").is_err());
    assert!(ui.find("Run the failover drill…").is_err());
    Ok(())
}

#[test]
fn the_running_cluster_shows_where_each_vm_runs_and_offers_the_maintenance() -> Result<(), Error> {
    let page = Page::read(AT_HOME);
    let mut ui = page.ui([true, true]);
    let _ = ui.find("node1: online")?;
    let _ = ui.find("node2: online")?;
    let _ = ui.find("Win2012: runs on node1 (home: node1)")?;
    let _ = ui.find("Win2012-2: runs on node2 (home: node2)")?;
    let _ = ui.find("No failed actions.")?;
    let _ = ui.find("Put node1 in standby")?;
    let _ = ui.find("Put node2 in standby")?;
    let _ = ui.find("Move Win2012 to node2")?;
    let _ = ui.find("Move Win2012-2 to node1")?;
    let _ = ui.find("Run the failover drill…")?;
    assert!(
        ui.find("Clear the failed actions").is_err(),
        "nothing to clear"
    );
    Ok(())
}

#[test]
fn standby_is_asked_for_and_its_progress_and_result_are_shown() -> Result<(), Error> {
    let mut page = Page::read(AT_HOME);
    let actions = page.click("Put node1 in standby")?;
    assert_eq!(
        actions,
        [Action::Perform {
            actions: vec![manage::Maintenance::Standby { node: 0 }],
            purpose: "maintenance",
        }]
    );
    // While it runs, no second action and no periodic read.
    assert_eq!(page.send(Message::StandbyPressed(1)), Action::None);
    assert_eq!(page.send(Message::Tick), Action::None);
    let action = manage::Maintenance::Standby { node: 0 }.describe(&page.design);
    page.send(Message::Update(Box::new(Update::Started {
        action: action.clone(),
    })));
    page.send(Message::Update(Box::new(Update::Progress(
        Progress::Waiting {
            elapsed: Duration::from_secs(12),
            pending: "Win2012 runs on node1, expected on node2".into(),
        },
    ))));
    assert!(page.shows(&format!("Under way: {action}")));
    assert!(page.shows("12 s: Win2012 runs on node1, expected on node2"));
    page.send(Message::Update(Box::new(Update::Finished {
        record: Event::Maintenance {
            purpose: "maintenance".into(),
            action: action.clone(),
            command: manage::Maintenance::Standby { node: 0 }.command(&page.design),
            changed: true,
            error: None,
            took_ms: 41_000,
            placements: Vec::new(),
        },
        ok: true,
    })));
    assert_eq!(
        page.send(Message::Ended),
        Action::Read,
        "the cluster is read again"
    );
    page.send(Message::Read(Ok(status(NODE1_STANDBY))));
    assert!(page.shows(&format!("{action}: done in 41 s")));
    assert!(page.shows("node1: standby"));
    assert!(page.shows("Win2012: runs on node2 (home: node1) — not at home"));
    assert!(page.shows("Bring node1 back online"));
    // With node1 in standby, node2 may not follow: the button is off and says why.
    assert!(page.shows(
        "node1 is standby: with node2 in standby no node could run the VMs; bring node1 online first"
    ));
    assert!(page.click("Put node2 in standby")?.is_empty());
    Ok(())
}

#[test]
fn the_drill_runs_only_once_confirmed() -> Result<(), Error> {
    let mut page = Page::read(AT_HOME);
    assert_eq!(page.click("Run the failover drill…")?, [Action::None]);
    assert!(page.shows("Run the failover drill?"));
    assert_eq!(page.click("Cancel")?, [Action::None]);
    assert!(!page.shows("Run the failover drill?"));
    page.click("Run the failover drill…")?;
    let actions = page.click("Start the drill")?;
    assert_eq!(
        actions,
        [Action::Perform {
            actions: manage::drill(&page.design, DrillKind::Standby),
            purpose: "drill",
        }]
    );
    Ok(())
}

#[test]
fn the_hard_drill_is_chosen_in_the_question_and_not_remembered() -> Result<(), Error> {
    let mut page = Page::read(AT_HOME);
    page.click("Run the failover drill…")?;
    assert!(
        !page.shows("Fence: the cluster fences each node, as after a real failure"),
        "the seed has no fencing: nothing to fence with"
    );
    assert_eq!(
        page.click("Hard: reset each node without shutting it down")?,
        [Action::None]
    );
    assert!(page.shows("Start the hard drill"));
    assert_eq!(
        page.click("Start the hard drill")?,
        [Action::Perform {
            actions: manage::drill(&page.design, DrillKind::Hard),
            purpose: "drill",
        }]
    );
    page.send(Message::Ended);
    page.click("Run the failover drill…")?;
    assert!(
        page.shows("Start the drill"),
        "the next question starts from the standby drill"
    );
    Ok(())
}

#[test]
fn a_failed_read_is_shown_and_the_next_tick_reads_again() {
    let mut page = Page::new();
    assert_eq!(page.send(Message::Tick), Action::Read);
    assert_eq!(page.send(Message::Tick), Action::None, "one read at a time");
    page.send(Message::Read(Err(
        "reading the cluster: node2: timed out".into()
    )));
    assert!(page.shows("reading the cluster: node2: timed out"));
    assert_eq!(page.send(Message::Tick), Action::Read);
}

#[test]
fn failed_actions_can_be_cleared_and_a_failed_maintenance_is_listed_in_red() -> Result<(), Error> {
    let with_failure = AT_HOME.replace(
        "</pacemaker-result>",
        r#"<failures><failure op_key="vm_Win2012_monitor_10000" node="node1" exitstatus="error" exitreason="domain vanished" exitcode="1" call="12" status="complete" task="monitor"/></failures></pacemaker-result>"#,
    );
    let mut page = Page::read(&with_failure);
    assert!(page.shows("vm_Win2012 monitor on node1: domain vanished"));
    let actions = page.click("Clear the failed actions")?;
    assert_eq!(
        actions,
        [Action::Perform {
            actions: vec![manage::Maintenance::Cleanup { resource: None }],
            purpose: "maintenance",
        }]
    );
    page.send(Message::Update(Box::new(Update::Finished {
        record: Event::Maintenance {
            purpose: "maintenance".into(),
            action: "clear all failed actions".into(),
            command: None,
            changed: false,
            error: Some("not done: the cluster had not settled".into()),
            took_ms: 0,
            placements: Vec::new(),
        },
        ok: false,
    })));
    page.send(Message::Ended);
    assert!(page.shows("clear all failed actions: FAILED: not done: the cluster had not settled"));
    Ok(())
}

/// The seed cluster at home, with Win2012's DRBD split: StandAlone on node1, waiting on node2.
fn split_status() -> Status {
    use wizard_steps::cluster_state::{DrbdResource, NodeDrbd};
    let mut split = status(AT_HOME);
    split.drbd = [("node1", "StandAlone"), ("node2", "WFConnection")]
        .into_iter()
        .map(|(node, connection)| NodeDrbd {
            node: node.into(),
            resources: vec![DrbdResource {
                name: "Win2012".into(),
                role: "Primary".into(),
                peer_role: "Unknown".into(),
                connection: connection.into(),
                disk: "UpToDate".into(),
                peer_disk: "DUnknown".into(),
                sync_percent: None,
            }],
        })
        .collect();
    split
}

#[test]
fn a_split_brain_is_examined_the_victim_chosen_and_the_recovery_confirmed() -> Result<(), Error> {
    use wizard_steps::render::DrbdGeneration;
    use wizard_steps::run::Summary;
    use wizard_steps::split_brain::Side;

    let mut page = Page::new();
    page.send(Message::Tick);
    page.send(Message::Read(Ok(split_status())));
    assert!(page.shows("SPLIT BRAIN: Win2012 is StandAlone on node1 and WFConnection on node2"));
    let actions = page.click("Examine Win2012")?;
    let [Action::Examine(split)] = actions.as_slice() else {
        panic!("{actions:?}");
    };
    assert_eq!(split.resource, "Win2012");
    assert!(page.shows("Reading what each node knows about Win2012…"));
    let side = |node: &str, role: &str, changed| Side {
        node: node.into(),
        role: role.into(),
        connection: "StandAlone".into(),
        disk: "UpToDate".into(),
        changed_kib: Some(changed),
        generation: format!("{node}-GENERATION"),
        log: vec![format!("{node} kernel: drbd Win2012: Split-Brain detected")],
    };
    page.send(Message::Examined(Box::new(Ok((
        [
            side("node1", "Primary", 40960),
            side("node2", "Primary", 8192),
        ],
        DrbdGeneration::V84,
    )))));
    assert!(page.shows("node1: Primary StandAlone UpToDate, changed since the split: 40960 KiB"));
    assert!(page.shows("data generations: node2-GENERATION"));
    assert!(page.shows("node2 kernel: drbd Win2012: Split-Brain detected"));
    assert!(
        page.shows("Suggested: discard the changes of node2 (it changed less, or is not Primary).")
    );
    page.click("Discard node2's changes…")?;
    assert!(page.shows(
        "Recover Win2012: it stops in the cluster, node2 takes node1's data, and everything node2 wrote to Win2012 since the split brain is lost. Then Win2012 starts again."
    ));
    page.click("Cancel")?;
    assert!(page.shows("Discard node1's changes…"), "back to the choice");
    page.click("Discard node2's changes…")?;
    let actions = page.click("Recover, discarding node2's changes")?;
    let [
        Action::Recover {
            split,
            victim: 1,
            generation: DrbdGeneration::V84,
        },
    ] = actions.as_slice()
    else {
        panic!("{actions:?}");
    };
    assert_eq!(split.resource, "Win2012");
    page.send(Message::RecoveryEvent(Box::new(Event::StepStarted {
        step: "split-brain-discard:Win2012@node2".into(),
        node: "node2".into(),
        title: "connect Win2012 discarding node2's changes".into(),
    })));
    assert!(page.shows("Under way: split-brain recovery of Win2012"));
    assert!(page.shows("node2: connect Win2012 discarding node2's changes"));
    page.send(Message::RecoveryEvent(Box::new(Event::Finished {
        summary: Summary {
            changed: 11,
            duration_ms: 95_000,
            ..Summary::default()
        },
    })));
    assert_eq!(page.send(Message::RecoveryEnded), Action::Read);
    page.send(Message::Read(Ok(status(AT_HOME))));
    assert!(page.shows("split-brain recovery of Win2012: done in 95 s"));
    assert!(!page.shows("SPLIT BRAIN"), "healthy again");
    Ok(())
}

/// With fencing, the page says where each fence device runs and whether its checks pass
/// (the lab: lab2's device failed a check on lab1); without fencing it has no such section.
#[test]
fn the_fence_devices_and_their_last_check_are_shown() -> Result<(), Error> {
    let page = Page::of(lab()).after_read(LAB_FENCE_CHECK_FAILED);
    let mut ui = page.ui([true, true]);
    let _ = ui.find("fence_lab1 (fences lab1) on lab2, its checks pass")?;
    let _ = ui.find(
        "fence_lab2 (fences lab2) on lab1, its last check FAILED: monitor on lab1: Simulated \
         action result",
    )?;
    assert!(!Page::read(AT_HOME).shows("Fencing"));
    Ok(())
}

/// With fencing, the drill can have the cluster fence each node through its device.
#[test]
fn the_fence_drill_is_offered_with_fencing() -> Result<(), Error> {
    let mut page = Page::of(lab()).after_read(LAB_FENCE_CHECK_FAILED);
    page.click("Run the failover drill…")?;
    assert_eq!(
        page.click("Fence: the cluster fences each node, as after a real failure")?,
        [Action::None]
    );
    assert!(page.shows("Start the fence drill"));
    assert_eq!(
        page.click("Start the fence drill")?,
        [Action::Perform {
            actions: manage::drill(&page.design, DrillKind::Fence),
            purpose: "drill",
        }]
    );
    Ok(())
}

/// With a quorum device, the page shows its vote as each node counts it (read from
/// corosync-quorumtool as the testbed's Debian 13 nodes printed it): lab1 counts it, lab2's
/// corosync does not answer.
#[test]
fn the_quorum_devices_vote_is_shown_per_node() -> Result<(), Error> {
    let mut page = Page::of(lab());
    let voting = device_vote(
        "lab1",
        include_str!("../../../../tests/fixtures/quorum/quorumtool-qdevice-trixie.txt"),
    )
    .expect("quorum information");
    let mut read = status(LAB_FENCE_CHECK_FAILED);
    read.votes = vec![Ok(voting), Err("lab2".to_owned())];
    assert_eq!(page.send(Message::Tick), Action::Read);
    page.send(Message::Read(Ok(read)));
    let mut ui = page.ui([true, true]);
    let _ = ui.find("Quorum device")?;
    let _ = ui.find("lab1 counts its vote, quorate")?;
    let _ = ui.find("lab2: corosync gives no quorum information")?;
    assert!(!Page::read(AT_HOME).shows("Quorum device"));
    Ok(())
}
