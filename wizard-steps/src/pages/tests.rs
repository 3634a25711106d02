use super::*;
use crate::facts::{self, LogicalVolume, NodeFacts};
use crate::profile::{Boot, Profile, Vm, Volume};
use crate::validate::validate;

const SEED: &str = include_str!("../../../resources/profiles/seed.toml");

fn seed() -> Profile {
    Profile::from_toml(SEED, "seed").expect("parses")
}

/// What the discovery script prints on a fresh node with one volume group.
const DISCOVERED: &str = "uid=0
hostname=node1
machine_id=6d2a1c0e9b8f4a7d9e3c2b1a0f9e8d7c
os_id=debian
os_version_id=12
cpus=4
dom0=no
memory_mib=8000
hvm=yes
nic=lo link 
nic=eth0 link 
nic=eth1 link 
nic=vif1.0 link 
address=lo 127.0.0.1/8
address=eth0 192.168.1.1/24
group=virtuals 200000 119000
group=system 50000 0
group_volume=virtuals Win2012 40960 blank
group_volume=virtuals Win2012-2 40960 signature:dos
group_volume=system root 50000 signature:ext4
";

fn discovered() -> NodeFacts {
    facts::parse(DISCOVERED)
}

#[test]
fn problems_of_a_page_are_only_its_own() {
    let mut profile = seed();
    profile.nodes[0].ssh.host = String::new();
    profile.vms[0].memory_mib = 1;
    let problems = validate(&profile).expect_err("invalid");
    let of = |page: Page| -> Vec<String> {
        problems_of(&problems, page)
            .iter()
            .map(|problem| problem.field.path())
            .collect()
    };
    assert_eq!(of(Page::Nodes), ["nodes[0].ssh.host"]);
    assert_eq!(of(Page::Vms), ["vms[0].memory_mib"]);
    assert!(of(Page::Network).is_empty());
}

#[test]
fn discovery_finds_every_volume_group_and_volume_with_its_signature() {
    let facts = discovered();
    assert_eq!(facts.hostname, "node1");
    assert_eq!(facts.memory_mib, 8000);
    assert_eq!(facts.volume_groups.len(), 2);
    let virtuals = &facts.volume_groups[0];
    assert_eq!(
        (virtuals.name.as_str(), virtuals.size_mib, virtuals.free_mib),
        ("virtuals", 200000, 119000)
    );
    assert_eq!(
        virtuals.volumes["Win2012"],
        LogicalVolume {
            size_mib: 40960,
            content: facts::VolumeContent::Blank
        }
    );
    assert_eq!(
        virtuals.volumes["Win2012-2"].content,
        facts::VolumeContent::Data(vec!["a dos partition table".into()])
    );
    assert_eq!(
        facts.volume_groups[1].volumes["root"].content.describe(),
        "a filesystem (ext4)"
    );
    let script = facts::discovery_script();
    assert!(script.contains("vgs --noheadings"), "{script}");
    assert!(
        !script.contains("{{") && !script.contains("{IDENTITY"),
        "{script}"
    );
}

#[test]
fn a_connected_node_fills_in_its_hostname_and_release_but_keeps_what_was_typed() {
    let mut profile = Profile::new_cluster();
    let mut facts = discovered();
    facts.os_version_id = "13".into();
    nodes::adopt(&mut profile, 0, &facts);
    assert_eq!(profile.nodes[0].hostname, "node1");
    assert_eq!(
        profile.cluster.debian,
        crate::profile::DebianRelease::Trixie
    );
    profile.nodes[1].hostname = "typed".into();
    nodes::adopt(&mut profile, 1, &facts);
    assert_eq!(profile.nodes[1].hostname, "typed");
    let described = nodes::describe(&facts);
    assert!(
        described
            .iter()
            .any(|(what, text)| *what == "NICs" && text == "eth0, eth1, vif1.0")
    );
    assert!(
        described
            .iter()
            .any(|(what, text)| *what == "Memory" && text == "7.8 GiB")
    );
}

#[test]
fn the_bridge_can_take_a_physical_nic_and_keeps_its_address() {
    let facts = discovered();
    assert_eq!(network::nic_choices(&facts), ["eth0", "eth1"]);
    assert_eq!(
        network::current_address(&facts, "eth0").as_deref(),
        Some("192.168.1.1/24")
    );
    assert_eq!(network::current_address(&facts, "eth1"), None);
}

#[test]
fn the_capacity_meter_counts_all_vms_on_each_node_and_flags_an_overcommitted_one() {
    let mut profile = seed();
    let facts = discovered();
    let unknown = capacity_of(&profile, [None, None]);
    assert_eq!(unknown[0].fits(), None);
    assert!(!vms::overcommitted(&unknown));
    // The seed's two VMs of 2048 MiB plus 2048 MiB of dom0 fit in 8000 MiB.
    let fitting = capacity_of(&profile, [Some(&facts), Some(&facts)]);
    // The page's meter and the preflight's memory check ask the same of a node.
    let design = validate(&profile).expect("the seed is valid");
    assert_eq!(fitting[0].needed_mib(), design.memory_needed_mib(0));
    assert!(!vms::overcommitted(&fitting), "{fitting:?}");
    profile.vms[1].memory_mib = 6000;
    let over = capacity_of(&profile, [Some(&facts), None]);
    assert_eq!(over[0].fits(), Some(false));
    assert_eq!(over[1].fits(), None);
    assert!(vms::overcommitted(&over));
}

fn capacity_of(profile: &Profile, facts: [Option<&NodeFacts>; 2]) -> Vec<vms::Capacity> {
    vms::capacity(profile, &facts)
}

#[test]
fn volume_status_shows_blank_data_missing_and_unequal_volumes() {
    let mut profile = seed();
    profile.storage.volume_group = "virtuals".into();
    profile.storage.volumes = vec![
        Volume {
            name: "Win2012".into(),
            size: "40G".into(),
            create: true,
        },
        Volume {
            name: "Win2012-2".into(),
            size: "40G".into(),
            create: true,
        },
        Volume {
            name: "new".into(),
            size: "10G".into(),
            create: false,
        },
    ];
    let first = discovered();
    let mut second = discovered();
    second.volume_groups[0]
        .volumes
        .get_mut("Win2012")
        .expect("found")
        .size_mib = 20480;
    let status = storage::volume_status(&profile, &[Some(&first), Some(&second)]);
    assert!(
        status[0]
            .problem
            .as_deref()
            .is_some_and(|problem| problem.contains("differ")),
        "{:?}",
        status[0]
    );
    assert!(!status[0].has_data);
    assert_eq!(status[1].problem, None);
    assert!(status[1].has_data);
    assert_eq!(
        status[1].nodes[0].describe(),
        "40.0 GiB, HAS DATA (a dos partition table)"
    );
    assert!(
        status[2]
            .problem
            .as_deref()
            .is_some_and(|problem| problem.contains("create"))
    );
    let unknown = storage::volume_status(&profile, &[None, None]);
    assert_eq!(unknown[0].nodes[0], storage::Presence::Unknown);
    assert_eq!(
        storage::group_choices(&[Some(&first), Some(&second)]),
        ["virtuals", "system"]
    );
    profile.storage.volumes.remove(0);
    assert_eq!(
        storage::volume_choices(&profile, &[Some(&first), None]),
        [("Win2012".to_owned(), 40960)]
    );
    assert_eq!(storage::size_text(40960), "40G");
    assert_eq!(storage::size_text(1000), "1000M");
}

#[test]
fn the_review_lists_steps_per_node_every_file_and_each_destructive_action() {
    let design = validate(&seed()).expect("valid");
    let mut facts = facts::parse(DISCOVERED);
    facts.volumes.insert(
        "Win2012-2".into(),
        LogicalVolume {
            size_mib: 40960,
            content: facts::VolumeContent::Data(vec!["a filesystem (ntfs)".into()]),
        },
    );
    let second = NodeFacts {
        hostname: "node2".into(),
        ..facts.clone()
    };
    let plan = crate::plan::plan(&design, &[facts, second]);
    let findings = vec![];
    let review = review::review(&plan, &findings);
    assert_eq!(
        review
            .nodes
            .iter()
            .map(|node| node.node.as_str())
            .collect::<Vec<_>>()[..2],
        ["node1", "node2"]
    );
    assert!(
        review
            .files
            .iter()
            .any(|file| file.path == "/etc/drbd.d/global_common.conf" && file.node == "node1")
    );
    assert!(review.files.iter().all(|file| !file.contents.is_empty()));
    assert_eq!(review.destructive.len(), plan.destructive_steps().len());
    assert!(review.blocking.is_empty());
    let confirmed: Vec<String> = review
        .destructive
        .iter()
        .map(|action| action.step.clone())
        .collect();
    assert!(review.may_start(&confirmed));
    if !review.destructive.is_empty() {
        assert!(!review.may_start(&[]));
    }
    let first_step = &review.nodes[0].steps[0];
    assert!(!first_step.script.is_empty(), "{first_step:?}");
}

#[test]
fn fencing_on_gives_each_node_a_bmc_and_off_needs_the_acknowledgement_again() {
    let mut profile = seed();
    cluster::set_ipmi(&mut profile, true);
    assert!(profile.nodes.iter().all(|node| node.bmc.is_some()));
    cluster::set_ipmi(&mut profile, false);
    assert_eq!(
        profile.cluster.fencing,
        crate::profile::Fencing::None {
            acknowledge_split_brain_risk: false
        }
    );
    let _ = Vm {
        name: String::new(),
        home: String::new(),
        memory_mib: 0,
        vcpus: 1,
        volume: String::new(),
        boot: Boot::Pv {
            kernel: String::new(),
            ramdisk: None,
            extra: None,
        },
        drbd_minor: None,
        drbd_port: None,
        console_ip: None,
        mac: None,
        keep_data_on: None,
    };
}

#[test]
fn the_review_shows_no_vnc_password() {
    let design = validate(&seed()).expect("valid");
    let plan = crate::plan::plan(&design, &[NodeFacts::default(), NodeFacts::default()]);
    let review = super::review::review(&plan, &[]);
    let shown: String = review
        .files
        .iter()
        .map(|file| file.contents.as_str())
        .chain(
            review
                .nodes
                .iter()
                .flat_map(|node| node.steps.iter().map(|step| step.script.as_str())),
        )
        .collect();
    assert!(shown.contains("vncpasswd = \"********\""), "{shown}");
    assert!(!shown.contains("passw0rd"));
}

/// Every field validation can name is edited on a page of the wizard before Review, so that its
/// problem shows where it can be fixed (and blocks Next there).
#[test]
fn every_field_is_edited_on_a_page_before_review() {
    use crate::field::{
        ClusterField, Field, NetworkField, NodeField, StorageField, VmField, VolumeField,
    };
    let mut fields = vec![Field::Nodes, Field::Vms];
    fields.extend(ClusterField::ALL.iter().map(|&key| Field::Cluster(key)));
    fields.extend(NetworkField::ALL.iter().map(|&key| Field::Network(key)));
    fields.extend(StorageField::ALL.iter().map(|&key| Field::Storage(key)));
    for index in [0, 1] {
        fields.extend(
            VolumeField::ALL
                .iter()
                .map(|&key| Field::Volume(index, key)),
        );
        fields.extend(NodeField::ALL.iter().map(|&key| Field::Node(index, key)));
        fields.extend(VmField::ALL.iter().map(|&key| Field::Vm(index, key)));
    }
    for field in fields {
        let page = Page::editing(field);
        assert!(
            (Page::Nodes.index()..Page::Review.index()).contains(&page.index()),
            "{field} is on {page:?}"
        );
    }
}

#[test]
fn a_new_volume_takes_the_wanted_name_or_the_next_free_one() {
    let mut profile = seed();
    let volume = storage::new_volume(&profile, "vm3");
    assert_eq!(
        (volume.name.as_str(), volume.size.as_str(), volume.create),
        ("vm3", storage::NEW_VOLUME_SIZE, true)
    );
    profile.storage.volumes.push(volume);
    assert_eq!(storage::new_volume(&profile, "vm3").name, "vm3-2");
    assert_eq!(storage::new_volume(&profile, "Win2012").name, "Win2012-3");
}

/// A new cluster shows no problem until a field is edited; an edited field shows its own (and
/// only its own) problems; Next on a page shows all of that page's; a VM just added shows none
/// until its fields are edited.
#[test]
fn problems_show_once_their_field_is_edited_or_next_was_pressed() {
    use super::shown::Shown;
    let fresh = Profile::new_cluster();
    let problems = validate(&fresh).expect_err("empty");
    let mut shown = Shown::default();
    assert!(shown.filter(&problems).0.is_empty());

    let mut typed = fresh.clone();
    typed.nodes[0].ssh.host = "300.1.1.1".into();
    shown.edit(&fresh, &typed);
    let problems = validate(&typed).expect_err("still empty");
    let visible: Vec<String> = shown
        .filter(&problems)
        .0
        .iter()
        .map(|problem| problem.field.path())
        .collect();
    assert_eq!(visible, ["nodes[0].ssh.host"]);

    shown.reveal(Page::Nodes);
    let nodes = problems_of(&problems, Page::Nodes).len();
    assert!(nodes > 1);
    assert_eq!(
        problems_of(&shown.filter(&problems), Page::Nodes).len(),
        nodes
    );
    assert!(problems_of(&shown.filter(&problems), Page::Network).is_empty());

    let mut with_vm = seed();
    let before = with_vm.clone();
    let mut vm = with_vm.vms[0].clone();
    vm.name = "vm3".into();
    vm.memory_mib = 0;
    with_vm.vms.push(vm);
    let mut shown = Shown::default();
    shown.edit(&before, &with_vm);
    let problems = validate(&with_vm).expect_err("vm3 has no memory and shares a volume");
    assert!(
        shown.filter(&problems).0.is_empty(),
        "{}",
        shown.filter(&problems)
    );
    let edited = with_vm.clone();
    with_vm.vms[2].memory_mib = 1;
    shown.edit(&edited, &with_vm);
    let visible: Vec<String> = shown
        .filter(&validate(&with_vm).expect_err("still"))
        .0
        .iter()
        .map(|problem| problem.field.path())
        .collect();
    assert_eq!(visible, ["vms[2].memory_mib"]);

    assert_eq!(
        Shown::everything().filter(&problems).0.len(),
        problems.0.len()
    );
}
