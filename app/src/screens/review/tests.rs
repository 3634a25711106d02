use super::*;
use iced::{Settings, Size};
use iced_test::{Error, Simulator};
use wizard_steps::Profile;
use wizard_steps::facts::{self, LocalFacts, NodeFacts};
use wizard_steps::pages::cluster::set_ipmi;
use wizard_steps::validate::validate;

use crate::screens::testing::seed;

/// What the gather script prints on a healthy, freshly installed node1 of the seed cluster
/// (as in wizard-steps/src/facts/tests.rs).
const NODE1: &str = include_str!("../../../../tests/fixtures/facts/seed-node1.txt");

fn healthy() -> [NodeFacts; 2] {
    [
        facts::parse(NODE1),
        facts::parse(
            &NODE1
                .replace("hostname=node1", "hostname=node2")
                .replace("machine_id=6d2a", "machine_id=71b3"),
        ),
    ]
}

/// The preflight as `access::preflight` makes it, from gathered facts instead of SSH (the
/// quorum device's machine, if the profile has one, not connected).
fn checked(profile: &Profile, facts: [NodeFacts; 2]) -> Checked {
    checked_with(profile, facts, false)
}

fn checked_with(
    profile: &Profile,
    facts: [NodeFacts; 2],
    quorum_device_connected: bool,
) -> Checked {
    let design = validate(profile).expect("the profile is valid");
    let findings = facts::evaluate(&design, &facts, &LocalFacts::default());
    let plan = wizard_steps::plan::plan(&design, &facts);
    Checked::new(
        Preflight {
            facts,
            findings,
            plan,
        },
        quorum_device_connected,
    )
}

fn checked_state(checked: Checked) -> State {
    let mut state = State::default();
    state.checking();
    assert!(matches!(
        update(&mut state, Message::Checked(Ok(checked))),
        Action::None
    ));
    state
}

/// A window tall enough for the whole page, so that every widget is visible to click.
fn ui(state: &State) -> Simulator<'_, Message> {
    ui_for(state, seed())
}

/// The page of `state` for a profile.
fn ui_for(state: &State, profile: Profile) -> Simulator<'_, Message> {
    let profile = Box::leak(Box::new(profile));
    let context = crate::screens::testing::context_of(profile);
    Simulator::with_size(
        Settings::default(),
        Size::new(1400.0, 40000.0),
        view(state, context),
    )
}

/// What the page published, fed to `update`.
fn apply(state: &mut State, messages: Vec<Message>) -> Vec<Action> {
    messages
        .into_iter()
        .map(|message| update(state, message))
        .collect()
}

/// The seed with node2's copy of Win2012 holding data and node1's kept: node2's is erased.
fn with_data_to_overwrite() -> Checked {
    let mut profile = seed();
    profile.vms[0].keep_data_on = Some("node1".into());
    let mut facts = healthy();
    facts[1]
        .volumes
        .get_mut("Win2012")
        .expect("the volume is there")
        .content = wizard_steps::facts::VolumeContent::Data(vec!["a filesystem (ntfs)".into()]);
    checked(&profile, facts)
}

#[test]
fn each_destructive_action_must_be_ticked_before_the_run_can_start() -> Result<(), Error> {
    let checked = with_data_to_overwrite();
    let destructive = checked.review.destructive.clone();
    // node2's disk: its metadata step erases it, and the initial sync from node1
    // overwrites it; each is its own question.
    assert_eq!(destructive.len(), 2, "{destructive:?}");
    assert_eq!(destructive[0].node, "node2");
    assert!(destructive[0].what.contains("erased"), "{destructive:?}");
    assert_eq!(destructive[1].node, "node1");
    assert!(
        destructive[1]
            .what
            .contains("on node2 (a filesystem (ntfs)) is overwritten with node1's"),
        "{destructive:?}"
    );
    let mut state = checked_state(checked);
    assert!(!state.can_start());
    assert!(state.start().is_none());
    assert_eq!(
        state.blocked_reason(),
        "Confirm each destructive action (2 left)"
    );

    let labels: Vec<String> = destructive
        .iter()
        .map(|action| format!("{}: {}", action.node, action.what))
        .collect();
    let mut page = ui(&state);
    let _ = page.find("Destructive actions (2)")?;
    let _ = page.click(labels[0].as_str())?;
    let messages: Vec<Message> = page.into_messages().collect();
    let _ = apply(&mut state, messages);
    assert_eq!(
        state.blocked_reason(),
        "Confirm each destructive action (1 left)"
    );
    let mut page = ui(&state);
    let _ = page.click(labels[1].as_str())?;
    let messages: Vec<Message> = page.into_messages().collect();
    let actions = apply(&mut state, messages);
    assert_eq!(actions.len(), 1);
    assert!(state.can_start(), "{}", state.blocked_reason());
    let start = state.start().expect("the run may start");
    for action in &destructive {
        assert!(
            start
                .plan
                .destructive_steps()
                .iter()
                .any(|step| step.id == action.step)
        );
    }
    assert!(start.secrets.is_empty());

    // The page's own Start button hands the run over.
    let mut page = ui(&state);
    let _ = page.click("Start setup")?;
    let messages: Vec<Message> = page.into_messages().collect();
    let actions = apply(&mut state, messages);
    assert!(
        matches!(actions.as_slice(), [Action::Start(_)]),
        "{actions:?}"
    );

    let label = labels[0].clone();
    // Unticking takes the confirmation back.
    let mut page = ui(&state);
    let _ = page.click(label.as_str())?;
    let messages: Vec<Message> = page.into_messages().collect();
    let _ = apply(&mut state, messages);
    assert!(!state.can_start());
    Ok(())
}

#[test]
fn a_blocking_finding_is_shown_first_with_its_fix_and_stops_the_run() -> Result<(), Error> {
    let mut profile = seed();
    profile.vms[0].keep_data_on = Some("node1".into());
    let mut facts = healthy();
    facts[0].hostname = "debian".into();
    facts[1]
        .volumes
        .get_mut("Win2012")
        .expect("the volume is there")
        .content = wizard_steps::facts::VolumeContent::Data(vec!["a filesystem (ntfs)".into()]);
    let checked = checked(&profile, facts);
    assert_eq!(checked.review.blocking.len(), 1);
    let warning = checked.review.warnings[0].clone();
    let mut state = checked_state(checked);

    let mut page = ui(&state);
    let error = page
        .find("Error · node1 · hostname: `uname -n` is \"debian\", the profile says \"node1\"")?;
    let _ = page.find(
        "Fix: set the node's hostname (hostnamectl set-hostname) or correct the profile: DRBD and Pacemaker match on it",
    )?;
    let warning = page.find(format!(
        "Warning · {} · {}: {}",
        warning.node, warning.check, warning.detail
    ))?;
    assert!(
        error.bounds().y < warning.bounds().y,
        "errors are listed before warnings"
    );
    drop(page);
    // Even with every destructive action ticked, the error blocks.
    for action in state
        .checked
        .as_ref()
        .expect("checked")
        .review
        .destructive
        .clone()
    {
        let _ = update(
            &mut state,
            Message::Confirmed((action.step, action.node, action.what), true),
        );
    }
    assert!(!state.can_start());
    assert!(state.start().is_none());
    assert_eq!(
        state.blocked_reason(),
        "1 preflight error(s) must be fixed first"
    );
    Ok(())
}

#[test]
fn clicking_a_file_shows_its_contents_and_a_step_its_script() -> Result<(), Error> {
    let checked = checked(&seed(), healthy());
    let file = checked
        .review
        .files
        .iter()
        .find(|file| file.path == "/etc/drbd.d/global_common.conf")
        .expect("the plan writes DRBD's global configuration")
        .clone();
    assert!(file.contents.contains("global"), "{}", file.contents);
    let step = checked.review.nodes[0].steps[0].clone();
    let mut state = checked_state(checked);
    let mut page = ui(&state);
    assert!(
        page.find(file.contents.as_str()).is_err(),
        "hidden at first"
    );
    let _ = page.click(file.path.as_str())?;
    let messages: Vec<Message> = page.into_messages().collect();
    let _ = apply(&mut state, messages);
    let mut page = ui(&state);
    let _ = page.find(file.contents.as_str())?;
    assert!(page.find(step.script.as_str()).is_err());

    let _ = page.click(format!("▸ {}", step.title))?;
    let messages: Vec<Message> = page.into_messages().collect();
    let _ = apply(&mut state, messages);
    let mut page = ui(&state);
    let _ = page.find(step.script.as_str())?;
    let _ = page.find(format!("▾ {}", step.title))?;
    Ok(())
}

#[test]
fn the_bmc_passwords_the_plan_needs_must_be_typed() -> Result<(), Error> {
    let mut profile = seed();
    set_ipmi(&mut profile, true);
    for (node, address) in profile
        .nodes
        .iter_mut()
        .zip(["192.168.1.11", "192.168.1.12"])
    {
        let bmc = node.bmc.as_mut().expect("set_ipmi adds a BMC");
        bmc.address = address.into();
        bmc.user = "admin".into();
    }
    let checked = checked(&profile, healthy());
    assert_eq!(
        checked.secrets,
        [
            SecretName::BmcPassword("node1".into()),
            SecretName::BmcPassword("node2".into())
        ]
    );
    assert!(
        checked.review.blocking.is_empty(),
        "{:?}",
        checked.review.blocking
    );
    let mut state = checked_state(checked);
    assert!(!state.can_start());
    assert_eq!(state.blocked_reason(), "Type the BMC password(s) (2 left)");

    // IPMI takes no spaces: the page says so and the run waits.
    let mut page = ui(&state);
    let _ = page.click("Password for the BMC of node1")?;
    let _ = page.typewrite("s3cret one");
    let messages: Vec<Message> = page.into_messages().collect();
    let _ = apply(&mut state, messages);
    let _ = ui(&state).find(
        "BMC password of node1: the BMC password contains a space — use the IPMI password: \
         1 to 20 printable ASCII characters without spaces, quotes, backslashes or '#' (IPMI \
         2.0 allows 20 bytes; fence_ipmilan reads it from a file, one line, as typed)",
    )?;
    let _ = apply(
        &mut state,
        vec![Message::PasswordChanged(
            SecretName::BmcPassword("node1".into()),
            String::new(),
        )],
    );
    for (node, password) in [("node1", "s3cret-one"), ("node2", "two")] {
        let mut page = ui(&state);
        let _ = page.click(format!("Password for the BMC of {node}"))?;
        let _ = page.typewrite(password);
        let messages: Vec<Message> = page.into_messages().collect();
        let _ = apply(&mut state, messages);
    }
    assert!(state.can_start(), "{}", state.blocked_reason());
    let start = state.start().expect("the run may start");
    assert_eq!(
        start
            .secrets
            .get(&SecretName::BmcPassword("node1".into()))
            .map(Secret::expose),
        Some("s3cret-one")
    );
    assert_eq!(
        start
            .secrets
            .get(&SecretName::BmcPassword("node2".into()))
            .map(Secret::expose),
        Some("two")
    );
    // The inputs are secure: what was typed is not there to read.
    let mut page = ui(&state);
    assert!(page.find("s3cret-one").is_err());
    Ok(())
}

#[test]
fn check_again_asks_for_a_check_which_reads_the_nodes_and_can_fail() -> Result<(), Error> {
    let mut state = checked_state(checked(&seed(), healthy()));
    assert!(state.can_start());
    let mut page = ui(&state);
    let _ = page.click("Check again")?;
    let messages: Vec<Message> = page.into_messages().collect();
    let actions = apply(&mut state, messages);
    assert!(
        matches!(actions.as_slice(), [Action::CheckNodes]),
        "{actions:?}"
    );

    state.checking();
    assert!(!state.can_start());
    let mut page = ui(&state);
    let _ = page.find(CHECKING)?;
    let _ = page.click("Check again")?;
    let messages: Vec<Message> = page.into_messages().collect();
    assert!(
        apply(&mut state, messages).is_empty(),
        "no second check while one runs"
    );

    let _ = update(
        &mut state,
        Message::Checked(Err("reading the nodes: connection reset".into())),
    );
    assert!(!state.can_start());
    let mut page = ui(&state);
    let _ = page.find("reading the nodes: connection reset")?;
    let _ = page.click("Check again")?;
    let messages: Vec<Message> = page.into_messages().collect();
    let actions = apply(&mut state, messages);
    assert!(
        matches!(actions.as_slice(), [Action::CheckNodes]),
        "{actions:?}"
    );
    Ok(())
}

#[test]
fn an_invalid_profile_names_the_pages_that_fix_it() -> Result<(), Error> {
    let mut profile = seed();
    profile.nodes[0].ssh.host = String::new();
    profile.vms[0].memory_mib = 1;
    let problems = validate(&profile).expect_err("invalid");
    let mut state = State::default();
    state.invalid(&problems);
    assert!(!state.can_start());
    let mut page = ui(&state);
    let _ = page.find(format!(
        "The profile has {} problem(s). Fix them on these pages: Nodes, VMs.",
        problems.0.len()
    ))?;
    let _ = page.find("Nodes page · nodes[0].ssh.host")?;
    let _ = page.find("VMs page · vms[0].memory_mib")?;
    Ok(())
}

/// The page says how the cluster is kept from a split brain and what each node installs for
/// it, per method and release (the facts are the seed's fresh Debian 12 nodes).
#[test]
fn the_review_lists_what_each_node_installs_against_a_split_brain() -> Result<(), Error> {
    use wizard_steps::pages::cluster::{Method, set_fencing, set_quorum_device};
    let mut profile = seed();
    set_fencing(
        &mut profile,
        Method::Sbd,
        ("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4".into(), true),
    );
    set_quorum_device(&mut profile, true);
    if let Some(device) = &mut profile.cluster.quorum_device {
        device.address = "192.168.1.3".into();
        device.ssh.host = "192.168.1.3".into();
    }
    let state = checked_state(checked(&profile, healthy()));
    let mut page = ui_for(&state, profile.clone());
    let _ = page.find(
        "Fencing: SBD on /dev/disk/by-id/wwn-0x5000c500a1b2c3d4, with Linux's software watchdog.",
    )?;
    let _ = page.find(
        "Tie-breaker: corosync-qnetd at 192.168.1.3:5403, installed over SSH on 192.168.1.3.",
    )?;
    for package in ["sbd", "fence-agents", "corosync-qdevice"] {
        let _ = page.find(package)?;
    }
    // The quorum device's machine not connected yet: the page says so before anything
    // changes; connected, nothing stands in the way.
    assert!(!state.can_start());
    assert!(
        state.blocked_reason().contains("preflight error"),
        "{}",
        state.blocked_reason()
    );
    let _ = page.find(
        "Error · cluster · quorum device: the quorum device's machine 192.168.1.3 is not \
         connected: the run installs corosync-qnetd there and signs the cluster's certificate \
         with it",
    )?;
    let quorum_findings = |checked: &Checked| {
        checked
            .review
            .blocking
            .iter()
            .filter(|finding| finding.check == "quorum device" && finding.node == "cluster")
            .count()
    };
    let (apart, connected) = (
        checked(&profile, healthy()),
        checked_with(&profile, healthy(), true),
    );
    assert_eq!(
        (quorum_findings(&apart), quorum_findings(&connected)),
        (1, 0)
    );
    assert_eq!(
        connected.review.blocking.len() + 1,
        apart.review.blocking.len()
    );
    // Without fencing or a device, nothing is installed for them, and the page says so.
    let state = checked_state(checked(&seed(), healthy()));
    let mut page = ui_for(&state, seed());
    let _ = page.find("Fencing: none (the split-brain risk is acknowledged).")?;
    let _ = page.find("Tie-breaker: none; the two nodes keep quorum alone (two_node).")?;
    assert!(page.find("Each node installs for them:").is_err());
    Ok(())
}
