//! Storage: the LVM volume group on both nodes and the logical volumes the VMs' disks live on,
//! with what each connected node has on every volume.

use iced::widget::{button, checkbox, column, container, pick_list, row, text, text_input};
use iced::{Center, Element, Fill};
use wizard_steps::Profile;
use wizard_steps::facts::NodeFacts;
use wizard_steps::field::{Field, StorageField, VolumeField};
use wizard_steps::pages::nodes::mib_text;
use wizard_steps::pages::storage::{self, Presence, VolumeStatus};
use wizard_steps::profile::{Boot, Volume};
use wizard_steps::validate::parse_size_mib;

use super::{Context, field, heading, problem_text, section, warning};

/// The page keeps nothing of its own: names and sizes are text in the profile.
#[derive(Debug, Default)]
pub struct State {}

#[derive(Debug, Clone)]
pub enum Message {
    /// A volume group found on every connected node.
    GroupPicked(String),
    /// A volume group typed while no node offers one.
    GroupTyped(String),
    VolumeNameChanged(usize, String),
    VolumeSizeChanged(usize, String),
    CreateToggled(usize, bool),
    AddVolume,
    RemoveVolume(usize),
    /// A volume found on a node, with its size in MiB.
    AddFound(String, u64),
    /// Where uploaded install ISOs go on the nodes.
    IsoDirectoryChanged(String),
}

/// The height of a text input with iced's default text size and padding, to line up a
/// checkbox with the inputs beside it.
const INPUT_HEIGHT: f32 = 31.0;

/// The size a new volume starts with.
const NEW_VOLUME_SIZE: &str = "20G";

pub fn update(
    _state: &mut State,
    message: Message,
    profile: &mut Profile,
    _facts: [Option<&NodeFacts>; 2],
) {
    let volumes = &mut profile.storage.volumes;
    match message {
        Message::GroupPicked(group) | Message::GroupTyped(group) => {
            profile.storage.volume_group = group;
        }
        Message::VolumeNameChanged(index, name) => {
            let Some(old) = volumes.get(index).map(|volume| volume.name.clone()) else {
                return;
            };
            volumes[index].name = name.clone();
            // The VMs on this volume follow the rename, unless another volume still has the
            // old name.
            if !volumes.iter().any(|volume| volume.name == old) {
                for vm in &mut profile.vms {
                    if vm.volume == old {
                        vm.volume = name.clone();
                    }
                }
            }
        }
        Message::VolumeSizeChanged(index, size) => {
            if let Some(volume) = volumes.get_mut(index) {
                volume.size = size;
            }
        }
        Message::CreateToggled(index, create) => {
            if let Some(volume) = volumes.get_mut(index) {
                volume.create = create;
            }
        }
        Message::AddVolume => {
            let name = (volumes.len() + 1..)
                .map(|number| format!("disk{number}"))
                .find(|name| !volumes.iter().any(|volume| &volume.name == name))
                .unwrap_or_default();
            volumes.push(Volume {
                name,
                size: NEW_VOLUME_SIZE.to_owned(),
                create: true,
            });
        }
        Message::RemoveVolume(index) => {
            if index < volumes.len() {
                volumes.remove(index);
            }
        }
        Message::AddFound(name, mib) => {
            if !volumes.iter().any(|volume| volume.name == name) {
                volumes.push(Volume {
                    name,
                    size: storage::size_text(mib),
                    create: true,
                });
            }
        }
        Message::IsoDirectoryChanged(directory) => {
            // The ISOs to upload move with it: Tandem uploads only into this directory, so an
            // upload's path is always the directory and the ISO's file name (kept while the
            // directory is retyped, whatever it passes through).
            for vm in &mut profile.vms {
                if let Boot::Hvm {
                    iso,
                    iso_source: Some(_),
                    ..
                } = &mut vm.boot
                {
                    let name = iso.rsplit('/').next().unwrap_or_default().to_owned();
                    *iso = format!("{}/{name}", directory.trim_end_matches('/'));
                }
            }
            profile.storage.iso_directory = directory;
        }
    }
}

/// The fields this page shows problems under; the page's other problems are listed at the top.
fn placed_fields(profile: &Profile) -> Vec<Field> {
    let mut fields: Vec<Field> = StorageField::ALL
        .iter()
        .copied()
        .map(Field::Storage)
        .collect();
    for index in 0..profile.storage.volumes.len() {
        fields.extend(
            VolumeField::ALL
                .iter()
                .map(|&key| Field::Volume(index, key)),
        );
    }
    fields
}

pub fn view<'a>(_state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    let profile = context.profile;
    let mut page = column![heading(
        "Storage",
        "The LVM volume group on both nodes, and the logical volumes that become the VMs' \
         disks. DRBD replicates each volume between the nodes, so a volume has the same name \
         and size on both."
    )]
    .spacing(20);
    let placed = placed_fields(profile);
    let elsewhere = context.problems_elsewhere(storage::FIELDS, &placed);
    if !elsewhere.is_empty() {
        page = page.push(column(elsewhere.into_iter().map(problem_text)).spacing(4));
    }
    page = page.push(group_section(context));
    page = page.push(volumes_section(context));
    page = page.push(section(
        "Install ISOs",
        field(
            "Directory on the nodes for ISOs uploaded from this workstation (Tandem uploads \
             nowhere else, and never replaces a file there)",
            text_input("/var/lib/tandem/iso", &profile.storage.iso_directory)
                .id("iso-directory")
                .on_input(Message::IsoDirectoryChanged)
                .width(420),
            context.problems_at(Field::Storage(StorageField::IsoDirectory)),
        ),
    ));
    page.into()
}

fn group_section<'a>(context: Context<'a>) -> Element<'a, Message> {
    let profile = context.profile;
    let connected = context.facts.iter().any(Option::is_some);
    let choices = storage::group_choices(&context.facts);
    let mut body = column![].spacing(8);
    if choices.is_empty() {
        let label = if connected {
            "Volume group (none is on every connected node: type its name)"
        } else {
            "Volume group (connect to the nodes to pick from theirs)"
        };
        body = body.push(field(
            label,
            text_input("virtuals", &profile.storage.volume_group)
                .id("volume-group")
                .on_input(Message::GroupTyped)
                .width(240),
            context.problems_at(Field::Storage(StorageField::VolumeGroup)),
        ));
        if connected {
            body = body.push(warning(
                "No volume group is on every connected node: create one (vgcreate) on the disk \
                 meant for the VMs, with the same name on both nodes, then connect again.",
            ));
        }
    } else {
        let selected = choices
            .iter()
            .find(|group| **group == profile.storage.volume_group)
            .cloned();
        let known = selected.is_some();
        body = body.push(field(
            "Volume group (found on every connected node)",
            container(
                pick_list(choices, selected, Message::GroupPicked)
                    .placeholder("Choose the volume group")
                    .width(240),
            )
            .id("volume-group"),
            context.problems_at(Field::Storage(StorageField::VolumeGroup)),
        ));
        if !known && !profile.storage.volume_group.trim().is_empty() {
            body = body.push(warning(format!(
                "The profile's volume group \"{}\" is not on every connected node: pick one \
                 that is.",
                profile.storage.volume_group
            )));
        }
    }
    let statuses = storage::volume_status(profile, &context.facts);
    for (index, facts) in context.facts.iter().enumerate() {
        let Some(facts) = facts else { continue };
        let Some(group) = storage::group(profile, facts) else {
            continue;
        };
        let to_create: u64 = profile
            .storage
            .volumes
            .iter()
            .zip(&statuses)
            .filter(|(_, status)| {
                matches!(status.nodes[index], Presence::Missing { created: true })
            })
            .filter_map(|(volume, _)| parse_size_mib(&volume.size))
            .sum();
        let mut line = format!(
            "{}: {} free of {}",
            context.node_name(index),
            mib_text(group.free_mib),
            mib_text(group.size_mib)
        );
        if to_create > 0 {
            line.push_str(&format!(
                "; the volumes to create take {}",
                mib_text(to_create)
            ));
        }
        if to_create > group.free_mib {
            body = body.push(
                text(format!("{line}: not enough room"))
                    .size(13)
                    .style(text::danger),
            );
        } else {
            body = body.push(text(line).size(13).style(text::secondary));
        }
    }
    section("Volume group", body)
}

fn volumes_section<'a>(context: Context<'a>) -> Element<'a, Message> {
    let profile = context.profile;
    let statuses = storage::volume_status(profile, &context.facts);
    let mut body = column![].spacing(16);
    if profile.storage.volumes.is_empty() {
        body = body.push(
            text("No volume yet: add one for each VM's disk.")
                .size(14)
                .style(text::secondary),
        );
    }
    for (index, volume) in profile.storage.volumes.iter().enumerate() {
        body = body.push(volume_row(context, index, volume, statuses.get(index)));
    }
    let mut actions = column![
        button(text("Add volume"))
            .style(button::secondary)
            .on_press(Message::AddVolume)
    ]
    .spacing(8);
    let found = storage::volume_choices(profile, &context.facts);
    if !found.is_empty() {
        let mut buttons = row![].spacing(8);
        for (name, mib) in found {
            buttons = buttons.push(
                button(text(format!("Add {name} ({})", storage::size_text(mib))).size(14))
                    .style(button::secondary)
                    .on_press(Message::AddFound(name, mib)),
            );
        }
        actions = actions.push(
            column![
                text(format!(
                    "Found in {} on the nodes, not in the profile yet:",
                    profile.storage.volume_group
                ))
                .size(14),
                buttons.wrap(),
            ]
            .spacing(6),
        );
    }
    section("Volumes", body.push(actions))
}

fn volume_row<'a>(
    context: Context<'a>,
    index: usize,
    volume: &'a Volume,
    status: Option<&VolumeStatus>,
) -> Element<'a, Message> {
    let at = |field: VolumeField| context.problems_at(Field::Volume(index, field));
    let users: Vec<&str> = context
        .profile
        .vms
        .iter()
        .filter(|vm| vm.volume == volume.name)
        .map(|vm| vm.name.as_str())
        .collect();
    let inputs = row![
        container(field(
            "Name",
            text_input("disk1", &volume.name)
                .id(format!("volume-name-{index}"))
                .on_input(move |name| Message::VolumeNameChanged(index, name)),
            at(VolumeField::Name),
        ))
        .width(220),
        container(field(
            "Size (M, G or T)",
            text_input("40G", &volume.size)
                .id(format!("volume-size-{index}"))
                .on_input(move |size| Message::VolumeSizeChanged(index, size)),
            at(VolumeField::Size),
        ))
        .width(180),
        field(
            "",
            container(
                checkbox(volume.create)
                    .label("Create when missing")
                    .on_toggle(move |create| Message::CreateToggled(index, create))
            )
            .height(INPUT_HEIGHT)
            .align_y(Center)
            .id(format!("create-{index}")),
            at(VolumeField::Create),
        ),
        field(
            "",
            container(
                button(text("Remove"))
                    .style(button::danger)
                    .on_press(Message::RemoveVolume(index))
            )
            .id(format!("remove-volume-{index}")),
            Vec::new(),
        ),
    ]
    .spacing(16);
    let mut rows = column![inputs].spacing(6);
    for problem in at(VolumeField::Entry) {
        rows = rows.push(problem_text(problem));
    }
    if !users.is_empty() {
        rows = rows.push(
            text(format!("Disk of {}", users.join(", ")))
                .size(13)
                .style(text::secondary),
        );
    }
    if let Some(status) = status {
        let mut nodes = row![].spacing(24);
        for (node, presence) in status.nodes.iter().enumerate() {
            let line = text(format!(
                "{}: {}",
                context.node_name(node),
                presence.describe()
            ))
            .size(14);
            let has_data =
                matches!(presence, Presence::Present(found) if found.content.holds_data());
            nodes = nodes.push(if has_data {
                line.style(text::warning)
            } else {
                line
            });
        }
        rows = rows.push(nodes);
        if let Some(problem) = &status.problem {
            rows = rows.push(text(problem.clone()).size(14).style(text::danger));
        }
        if status.has_data {
            rows = rows.push(warning(format!(
                "{} holds data. On the VMs page, say on which node its data is kept (it is \
                 copied to the other node); otherwise Tandem refuses to initialise it.",
                volume.name
            )));
        }
    }
    container(rows)
        .padding(8)
        .width(Fill)
        .style(container::rounded_box)
        .into()
}

#[cfg(test)]
mod tests {
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

    struct Screen;

    impl testing::Screen for Screen {
        type State = State;
        type Message = Message;
        type Action = ();
        const FIELDS: wizard_steps::pages::Fields = storage::FIELDS;
        const HEIGHT: f32 = 2000.0;

        fn update(
            state: &mut State,
            message: Message,
            profile: &mut Profile,
            facts: [Option<&NodeFacts>; 2],
        ) {
            update(state, message, profile, facts)
        }

        fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
            view(state, context)
        }
    }

    type Page = testing::Harness<Screen>;

    #[test]
    fn typing_a_size_and_a_name_changes_the_profile_and_the_vm_follows_the_rename()
    -> Result<(), Error> {
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
        let _ =
            ui.find("node1: 116.2 GiB free of 195.3 GiB; the volumes to create take 40.0 GiB")?;
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
        // No VM uses it yet: that is a problem of this page, shown under the volume.
        let _ = page.ui().find(
            "no VM uses the volume \"data\" — make it a VM's volume, or remove it from the profile",
        )?;
        assert_eq!(page.page_problems(), 1);

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
        let mut page =
            Page::with_facts([Some(discovery("node1", "")), Some(discovery("node2", ""))]);
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
}
