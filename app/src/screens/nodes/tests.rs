use super::*;
use iced_test::selector::id;
use iced_test::simulator;
use wizard_steps::pages::problems_of;
use wizard_steps::remote::ConnectError;
use wizard_steps::validate::Problems;

fn context<'a>(profile: &'a Profile, problems: &'a Problems, state: &'a State) -> Context<'a> {
    Context {
        profile,
        problems,
        design: None,
        facts: state.facts(),
    }
}

/// Clicks and types into a fresh simulator of the page, then feeds the messages to `update`.
fn interact(
    state: &mut State,
    profile: &mut Profile,
    act: impl FnOnce(&mut iced_test::Simulator<'_, Message>),
) -> Vec<Action> {
    let found = Problems::of(profile);
    let messages: Vec<Message> = {
        let mut ui = simulator(view(state, context(profile, &found, state)));
        act(&mut ui);
        ui.into_messages().collect()
    };
    messages
        .into_iter()
        .map(|message| update(state, message, profile))
        .collect()
}

const FOUND: &str = "uid=0
hostname=alpha
machine_id=6d2a1c0e9b8f4a7d9e3c2b1a0f9e8d7c
os_id=debian
os_version_id=13
cpus=8
dom0=no
memory_mib=32000
hvm=yes
nic=lo link 
nic=enp1s0 link 
address=enp1s0 192.168.7.11/24
group=virtuals 200000 119000
group_volume=virtuals web 40960 signature:ext4
";

#[test]
fn typing_the_address_fills_the_profile_and_an_empty_one_shows_its_fix() {
    let mut profile = Profile::new_cluster();
    let mut state = State::default();
    let found = Problems::of(&profile);
    assert!(
        found
            .for_field(Field::Node(0, NodeField::SshHost))
            .next()
            .is_some(),
        "an empty address is a problem"
    );
    let message = found
        .for_field(Field::Node(0, NodeField::SshHost))
        .next()
        .unwrap()
        .message
        .clone();
    {
        let mut ui = simulator(view(&state, context(&profile, &found, &state)));
        let shown = format!(
            "{message} — {}",
            found
                .for_field(Field::Node(0, NodeField::SshHost))
                .next()
                .unwrap()
                .fix
        );
        ui.find(shown.as_str())
            .expect("the problem is under its field");
    }
    interact(&mut state, &mut profile, |ui| {
        ui.click(id("node0-host")).expect("the address field");
        ui.typewrite("192.168.7.11");
        ui.click(id("cluster-name")).expect("the name field");
        ui.typewrite("office");
    });
    assert_eq!(profile.nodes[0].ssh.host, "192.168.7.11");
    assert_eq!(profile.cluster.name, "office");
    let found = Problems::of(&profile);
    assert!(
        found
            .for_field(Field::Node(0, NodeField::SshHost))
            .next()
            .is_none(),
        "{found}"
    );
    assert!(
        found
            .for_field(Field::Cluster(ClusterField::Name))
            .next()
            .is_none(),
        "{found}"
    );
}

#[test]
fn a_port_that_is_not_a_number_keeps_the_text_and_says_so() {
    let mut profile = Profile::new_cluster();
    let mut state = State::default();
    interact(&mut state, &mut profile, |ui| {
        ui.click(id("node0-port")).expect("the port field");
        ui.typewrite("x");
    });
    assert_eq!(
        profile.nodes[0].ssh.port, 22,
        "the profile keeps the last valid port"
    );
    let found = Problems::of(&profile);
    let mut ui = simulator(view(&state, context(&profile, &found, &state)));
    ui.find("22x").expect("the typed text stays in the field");
    ui.find("a port is a number from 1 to 65535")
        .expect("the field says what it takes");
}

#[test]
fn connect_asks_for_the_host_key_then_a_password_then_shows_what_the_node_has() {
    let mut profile = Profile::new_cluster();
    profile.nodes[0].ssh.host = "192.168.7.11".into();
    profile.nodes[0].ssh.auth = SshAuth::Password {};
    let mut state = State::default();
    let actions = interact(&mut state, &mut profile, |ui| {
        ui.click("Connect").expect("node 1's Connect");
    });
    let Some(Action::Connect(request)) = actions.first() else {
        panic!("Connect asks the app to connect: {actions:?}");
    };
    assert_eq!(request.index, 0);
    assert_eq!(request.accept_fingerprint, None);
    assert_eq!(state.link(0), &Link::Connecting);
    assert!(!state.can_continue(), "Next waits for the connection");

    let fingerprint = "SHA256:Qm9ndXNGaW5nZXJwcmludEZvclRoZVRlc3QxMjM0NTY3";
    update(
        &mut state,
        Message::Connected(
            0,
            Box::new(Err(AccessError::UnknownHostKey(
                ConnectError::UnknownHostKey {
                    host: "192.168.7.11".into(),
                    port: 22,
                    fingerprint: fingerprint.into(),
                },
            ))),
        ),
        &mut profile,
    );
    let actions = interact(&mut state, &mut profile, |ui| {
        ui.find(fingerprint)
            .expect("the fingerprint is shown to compare");
        ui.click("Trust this key and connect")
            .expect("the trust button");
    });
    let Some(Action::Connect(request)) = actions.first() else {
        panic!("trusting connects again: {actions:?}");
    };
    assert_eq!(request.accept_fingerprint.as_deref(), Some(fingerprint));

    update(
        &mut state,
        Message::Connected(0, Box::new(Err(AccessError::PasswordNeeded))),
        &mut profile,
    );
    let actions = interact(&mut state, &mut profile, |ui| {
        ui.click(id("node0-secret")).expect("the password field");
        ui.typewrite("s3cret");
        ui.tap_key(iced::keyboard::key::Named::Enter);
    });
    let Some(Action::Connect(request)) = actions.last() else {
        panic!("Enter in the password field connects: {actions:?}");
    };
    assert_eq!(
        request.credentials.password.as_ref().map(Secret::expose),
        Some("s3cret")
    );
    assert_eq!(request.accept_fingerprint.as_deref(), Some(fingerprint));
    assert!(
        !profile.to_toml().expect("toml").contains("s3cret"),
        "a password never reaches the profile"
    );

    update(
        &mut state,
        Message::Connected(0, Box::new(Ok(wizard_steps::facts::parse(FOUND)))),
        &mut profile,
    );
    assert_eq!(
        profile.nodes[0].hostname, "alpha",
        "the hostname is adopted"
    );
    assert_eq!(profile.cluster.debian, DebianRelease::Trixie);
    let found = Problems::of(&profile);
    let mut ui = simulator(view(&state, context(&profile, &found, &state)));
    ui.find("Connected").expect("the state");
    ui.find("enp1s0").expect("the NICs it has");
    ui.find("virtuals (116.2 GiB free of 195.3 GiB): web 40.0 GiB")
        .expect("its volume groups");
    ui.find("31.2 GiB").expect("its memory");
}

#[test]
fn changing_the_address_of_a_connected_node_drops_the_session() {
    let mut profile = Profile::new_cluster();
    let mut state = State::default();
    update(&mut state, Message::ConnectPressed(1), &mut profile);
    update(
        &mut state,
        Message::Connected(1, Box::new(Ok(wizard_steps::facts::parse(FOUND)))),
        &mut profile,
    );
    assert!(state.facts()[1].is_some());
    let action = update(
        &mut state,
        Message::HostChanged(1, "10.0.0.9".into()),
        &mut profile,
    );
    assert!(matches!(action, Action::Disconnect(1)), "{action:?}");
    assert!(state.facts()[1].is_none());
    assert_eq!(state.link(1), &Link::NotConnected);
}

#[test]
fn a_refused_host_key_is_not_connected_and_says_why() {
    let mut profile = Profile::new_cluster();
    let mut state = State::default();
    update(&mut state, Message::ConnectPressed(0), &mut profile);
    update(
        &mut state,
        Message::Connected(
            0,
            Box::new(Err(AccessError::UnknownHostKey(
                ConnectError::UnknownHostKey {
                    host: "h".into(),
                    port: 22,
                    fingerprint: "SHA256:abc".into(),
                },
            ))),
        ),
        &mut profile,
    );
    let actions = interact(&mut state, &mut profile, |ui| {
        ui.click("Do not trust").expect("the button");
    });
    assert!(actions.iter().all(|action| matches!(action, Action::None)));
    assert!(matches!(state.link(0), Link::Failed(why) if why.contains("not trusted")));
}

#[test]
fn the_page_owns_the_node_access_problems() {
    let profile = Profile::new_cluster();
    let found = Problems::of(&profile);
    let own: Vec<String> = problems_of(&found, wizard_steps::pages::Page::Nodes)
        .iter()
        .map(|problem| problem.field.path())
        .collect();
    assert!(own.iter().any(|field| field == "nodes[0].ssh.host"));
    assert!(own.iter().any(|field| field == "cluster.name"));
    assert!(own.iter().all(|field| !field.starts_with("vms")));
}

#[test]
fn connect_waits_for_an_address_and_can_be_cancelled_and_a_late_session_is_closed() {
    let mut profile = Profile::new_cluster();
    let mut state = State::default();
    let actions = interact(&mut state, &mut profile, |ui| {
        ui.find("Type the node's SSH address first")
            .expect("Connect says what it waits for");
        let _ = ui.click("Connect");
    });
    assert!(
        actions.iter().all(|action| matches!(action, Action::None)),
        "{actions:?}"
    );
    assert_eq!(state.link(0), &Link::NotConnected);

    profile.nodes[0].ssh.host = "192.168.7.11".into();
    let actions = interact(&mut state, &mut profile, |ui| {
        ui.click("Connect").expect("node 1's Connect");
    });
    assert!(matches!(actions[..], [Action::Connect(_)]), "{actions:?}");
    // The window ticks each second while it waits: the page says how long so far.
    let later = iced::time::Instant::now() + std::time::Duration::from_secs(3);
    update(&mut state, Message::Tick(later), &mut profile);
    assert!(state.connecting());
    interact(&mut state, &mut profile, |ui| {
        ui.find("Connecting… 3 s (Tandem waits up to 15 s for an answer)")
            .expect("the time waited");
        ui.click("Cancel").expect("Cancel while connecting");
    });
    assert!(!state.connecting());
    assert_eq!(state.link(0), &Link::NotConnected);
    assert!(state.can_continue(), "Next no longer waits");
    // The answer of the cancelled attempt: a session is closed again, an error is dropped.
    let late = update(
        &mut state,
        Message::Connected(0, Box::new(Ok(wizard_steps::facts::parse(FOUND)))),
        &mut profile,
    );
    assert!(matches!(late, Action::Disconnect(0)), "{late:?}");
    assert_eq!(state.link(0), &Link::NotConnected);
    assert!(state.facts()[0].is_none());
}

#[test]
fn a_refused_connection_says_where_to_look() {
    let mut profile = Profile::new_cluster();
    profile.nodes[0].ssh.host = "192.168.7.11".into();
    profile.nodes[0].ssh.auth = SshAuth::Password {};
    let mut state = State::default();
    for (error, hint) in [
        (
            ConnectError::Unreachable {
                host: "192.168.7.11".into(),
                port: 22,
                reason: "Connection refused (os error 111)".into(),
            },
            "Nothing listens there: is sshd running on the node (systemctl status ssh), and is \
             the port right?",
        ),
        (
            ConnectError::AuthFailed {
                target: "root@192.168.7.11:22".into(),
                method: "password".into(),
                remaining: " (it accepts: publickey, password)".into(),
            },
            "Debian's sshd refuses root's password by default (PermitRootLogin \
             prohibit-password): sign in with a key, or as a user with sudo.",
        ),
    ] {
        interact(&mut state, &mut profile, |ui| {
            ui.click("Connect").expect("Connect");
        });
        update(
            &mut state,
            Message::Connected(0, Box::new(Err(AccessError::Connect(error)))),
            &mut profile,
        );
        interact(&mut state, &mut profile, |ui| {
            ui.find(hint).expect("the hint");
        });
    }
}
