use super::*;
use crate::screens::testing;
use iced_test::Error;
use iced_test::selector::id;

/// A discovery like the one in wizard-steps' tests, with the given volumes in "virtuals".
fn discovery(hostname: &str, volumes: &str) -> NodeFacts {
    wizard_steps::facts::parse(&format!(
        "uid=0\nhostname={hostname}\nmachine_id=6d2a1c0e9b8f4a7d9e3c2b1a0f9e8d7c\n\
         os_id=debian\nos_version_id=12\ncpus=4\ndom0=no\nmemory_mib=8000\nhvm=yes\n\
         nic=lo link \nnic=eth0 link \naddress=eth0 192.168.1.1/24\n\
         group=virtuals 200000 119000\ngroup=system 50000 0\n{volumes}\
         group_volume=system root 50000 signature:ext4\n"
    ))
}

type Screen = StoragePage;

impl testing::Tall for StoragePage {
    const HEIGHT: f32 = 2000.0;
}

type Page = testing::Harness<Screen>;

#[test]
fn typing_a_size_and_a_name_changes_the_profile_and_the_vm_follows_the_rename() -> Result<(), Error>
{
    let mut page = Page::with_facts([None, None]);
    page.type_into("volume-size-0", 3, "50G")?;
    assert_eq!(page.profile.storage.volumes[0].size, "50G");
    page.type_into("volume-name-1", 0, "b")?;
    assert_eq!(page.profile.storage.volumes[1].name, "Win2012-2b");
    assert_eq!(page.profile.vms[1].volume, "Win2012-2b");
    page.type_into("volume-group", "virtuals".len(), "vg0")?;
    assert_eq!(page.profile.storage.volume_group, "vg0");
    assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
    Ok(())
}

#[test]
fn an_invalid_size_shows_the_validators_message_until_fixed() -> Result<(), Error> {
    let mut page = Page::with_facts([None, None]);
    page.type_into("volume-size-1", 3, "lots")?;
    assert_eq!(page.profile.storage.volumes[1].size, "lots");
    assert_eq!(page.page_problems(), 1, "{:?}", page.problems);
    let message = "\"lots\" is not a volume size — write a size of at least 8M with a unit \
                   M, G or T, e.g. \"50G\"";
    let _ = page.ui().find(message)?;
    page.type_into("volume-size-1", 4, "40G")?;
    assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
    assert!(page.ui().find(message).is_err());
    Ok(())
}

#[test]
fn each_volume_shows_blank_data_and_unequal_sizes_per_node() -> Result<(), Error> {
    let first = discovery(
        "node1",
        "group_volume=virtuals Win2012 40960 \ngroup_volume=virtuals Win2012-2 40960 signature:ntfs\n",
    );
    let second = discovery(
        "node2",
        "group_volume=virtuals Win2012 20480 \ngroup_volume=virtuals Win2012-2 40960 \n",
    );
    let page = Page::with_facts([Some(first), Some(second)]);
    let mut ui = page.ui();
    let _ = ui.find("node1: 40.0 GiB, blank")?;
    let _ = ui.find("node2: 20.0 GiB, blank")?;
    let _ = ui.find(
        "Win2012 differs: 40.0 GiB on node1, 20.0 GiB on node2; both nodes need the same size",
    )?;
    let _ = ui.find("node1: 40.0 GiB, HAS DATA (a filesystem (ntfs))")?;
    let _ = ui.find("node2: 40.0 GiB, blank")?;
    let _ = ui.find(
        "Win2012-2 holds data. On the VMs page, say on which node its data is kept (it is \
         copied to the other node); otherwise Tandem refuses to initialise it.",
    )?;
    let _ = ui.find("node1: 116.2 GiB free of 195.3 GiB")?;

    let unconnected = Page::with_facts([None, None]);
    let mut ui = unconnected.ui();
    let _ = ui.find("node1: not connected")?;
    assert!(ui.find("node1: 40.0 GiB, blank").is_err());
    Ok(())
}

#[test]
fn a_missing_volume_is_created_unless_unticked() -> Result<(), Error> {
    let node = discovery("node1", "group_volume=virtuals Win2012 40960 \n");
    let mut page = Page::with_facts([Some(node), None]);
    let mut ui = page.ui();
    let _ = ui.find("node1: missing: Tandem creates it")?;
    let _ = ui.find("node2: not connected")?;
    let _ = ui.find("node1: 116.2 GiB free of 195.3 GiB; the volumes to create take 40.0 GiB")?;
    drop(ui);
    page.click(id("create-1"))?;
    assert!(!page.profile.storage.volumes[1].create);
    let mut ui = page.ui();
    let _ = ui.find("node1: missing")?;
    let _ = ui.find("node1 has no volume Win2012-2: create it there or tick \"create\"")?;
    Ok(())
}

#[test]
fn volumes_are_added_from_a_node_added_new_and_removed() -> Result<(), Error> {
    let node = discovery(
        "node1",
        "group_volume=virtuals Win2012 40960 \ngroup_volume=virtuals data 10240 signature:xfs\n",
    );
    let mut page = Page::with_facts([Some(node), None]);
    page.click("Add data (10G)")?;
    assert_eq!(
        page.profile.storage.volumes[2],
        Volume {
            name: "data".into(),
            size: "10G".into(),
            create: true
        }
    );
    assert!(page.ui().find("Add data (10G)").is_err());
    let _ = page
        .ui()
        .find("node1: 10.0 GiB, HAS DATA (a filesystem (xfs))")?;
    // No VM uses it yet: the VMs page settles that; this page only says so.
    let _ = page
        .ui()
        .find("No VM uses it yet: pick it as a VM's disk on the VMs page")?;
    assert_eq!(page.page_problems(), 0);

    page.click("Add volume")?;
    assert_eq!(page.profile.storage.volumes.len(), 4);
    assert_eq!(page.profile.storage.volumes[3].name, "disk4");
    assert_eq!(page.profile.storage.volumes[3].size, "20G");

    page.click(id("remove-volume-2"))?;
    page.click(id("remove-volume-2"))?;
    let names: Vec<&str> = page
        .profile
        .storage
        .volumes
        .iter()
        .map(|volume| volume.name.as_str())
        .collect();
    assert_eq!(names, ["Win2012", "Win2012-2"]);
    assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
    Ok(())
}

#[test]
fn the_volume_group_is_picked_from_the_groups_on_every_node() -> Result<(), Error> {
    let mut page = Page::with_facts([Some(discovery("node1", "")), Some(discovery("node2", ""))]);
    page.profile.storage.volume_group.clear();
    page.validate();
    let mut ui = page.ui();
    let bounds = ui.click(id("volume-group"))?.bounds();
    let position = iced::Point::new(bounds.center_x(), bounds.y + bounds.height * 2.5);
    ui.point_at(position);
    let _ = ui.simulate([
        iced::Event::Mouse(iced::mouse::Event::CursorMoved { position }),
        iced::Event::Mouse(iced::mouse::Event::ButtonPressed(iced::mouse::Button::Left)),
    ]);
    let messages: Vec<Message> = ui.into_messages().collect();
    page.apply(messages);
    assert_eq!(page.profile.storage.volume_group, "system");
    Ok(())
}

/// The ISO directory is typed on this page; a VM's ISO to upload moves with it (an upload
/// goes nowhere else), an ISO already on the nodes stays where it is.
#[test]
fn the_iso_directory_is_typed_here_and_uploads_follow_it() -> Result<(), Error> {
    let mut profile = testing::seed();
    if let Boot::Hvm {
        iso, iso_source, ..
    } = &mut profile.vms[0].boot
    {
        *iso = "/var/lib/tandem/iso/install.iso".into();
        *iso_source = Some("/home/me/install.iso".into());
    }
    let mut page = Page::new(profile, [None, None]);
    let _ = page.ui().find(
        "Directory on the nodes for ISOs uploaded from this workstation (Tandem uploads \
         nowhere else, and never replaces a file there)",
    )?;
    let length = "/var/lib/tandem/iso".len();
    page.type_into("iso-directory", length, "/srv/isos")?;
    assert_eq!(page.profile.storage.iso_directory, "/srv/isos");
    assert!(matches!(&page.profile.vms[0].boot,
        Boot::Hvm { iso, .. } if iso == "/srv/isos/install.iso"));
    assert!(matches!(&page.profile.vms[1].boot,
        Boot::Hvm { iso, .. } if iso == "/home/WindowsServer2012_RU_STD_TRIAL.ISO"));
    assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
    page.type_into("iso-directory", 0, " ")?;
    let _ = page.ui().find(
        "\"/srv/isos \" contains a space — write an absolute path on the nodes made of \
         letters, digits and '_', '.', '-', '+' between single '/' (e.g. \
         /var/lib/tandem/iso/install.iso): it is written into the Xen configs (where ',', \
         '=', quotes and spaces end a field) and into shell commands",
    )?;
    Ok(())
}
