use super::*;
use iced_test::simulator;

#[test]
fn new_cluster_and_a_recent_profile_lead_to_their_actions() {
    let recent = PathBuf::from("/home/admin/.config/tandem/profiles/prod.toml");
    let saved = PathBuf::from("/home/admin/.config/tandem/profiles/lab.toml");
    let mut state = State::new(vec![recent.clone()], vec![recent.clone(), saved.clone()]);
    assert_eq!(
        state.saved,
        vec![saved.clone()],
        "recent ones are not listed twice"
    );

    let mut ui = simulator(view(&state));
    ui.click("New cluster").expect("the button");
    ui.click("prod").expect("the recent profile");
    ui.click("lab").expect("the saved profile");
    // The first "Manage cluster" is the recent profile's.
    ui.click("Manage cluster").expect("the manage button");
    ui.find(recent.display().to_string().as_str())
        .expect("its path is shown");
    let actions: Vec<Action> = ui
        .into_messages()
        .map(|message| update(&mut state, message))
        .collect();
    assert!(matches!(actions[0], Action::NewCluster), "{actions:?}");
    assert!(
        matches!(&actions[1], Action::Open(path) if *path == recent),
        "{actions:?}"
    );
    assert!(
        matches!(&actions[2], Action::Open(path) if *path == saved),
        "{actions:?}"
    );
    assert!(
        matches!(&actions[3], Action::Manage(path) if *path == recent),
        "{actions:?}"
    );
}

#[test]
fn import_asks_for_a_file_and_opens_the_chosen_one() {
    let mut state = State::default();
    let mut ui = simulator(view(&state));
    ui.find("None yet: profiles you open or save appear here.")
        .expect("the empty recent list says so");
    ui.click("Import a profile…").expect("the button");
    let messages: Vec<Message> = ui.into_messages().collect();
    assert!(matches!(
        update(&mut state, messages[0].clone()),
        Action::Import
    ));
    assert!(matches!(
        update(&mut state, Message::ImportChosen(None)),
        Action::None
    ));
    let chosen = PathBuf::from("/tmp/cluster.toml");
    assert!(matches!(
        update(&mut state, Message::ImportChosen(Some(chosen.clone()))),
        Action::Open(path) if path == chosen
    ));
}
