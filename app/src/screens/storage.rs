//! Storage: the LVM volume group on both nodes and the logical volumes the VMs' disks live on,
//! with what each connected node has on every volume.

use crate::screens::focus::{self, Activate};
use iced::widget::{button, column, container, row, text, text_input};
use iced::{Center, Element, Fill};
use wizard_steps::Profile;
use wizard_steps::facts::NodeFacts;
use wizard_steps::field::{Field, StorageField, VolumeField};
use wizard_steps::pages::Page;
use wizard_steps::pages::nodes::mib_text;
use wizard_steps::pages::storage::{self, Presence, VolumeStatus};
use wizard_steps::profile::{Boot, Volume};
use wizard_steps::validate::parse_size_mib;

use super::Screen;
use super::{Context, field, heading, problem_text, section, warning};
use crate::screens::style;

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
/// The page as the app and its tests drive it.
#[derive(Debug)]
pub struct StoragePage;

impl Screen for StoragePage {
    type State = State;
    type Message = Message;
    type Action = ();
    const PAGE: Page = Page::Storage;

    fn update(
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
                let wanted = format!("disk{}", volumes.len() + 1);
                let volume = storage::new_volume(profile, &wanted);
                profile.storage.volumes.push(volume);
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

    fn view<'a>(_state: &'a State, context: Context<'a>) -> Element<'a, Message> {
        let profile = context.profile;
        let mut page = column![heading(
            "Storage",
            "The LVM volume group on both nodes, and the logical volumes that become the VMs' \
             disks. DRBD replicates each volume between the nodes, so a volume has the same name \
             and size on both."
        )]
        .spacing(20);
        let placed = placed_fields(profile);
        let elsewhere = context.problems_elsewhere(Page::Storage, &placed);
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
            container(focus::pick_list(
                choices,
                selected,
                Message::GroupPicked,
                |list| list.placeholder("Choose the volume group").width(240),
            ))
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
                    .style(style::danger),
            );
        } else {
            body = body.push(text(line).size(13).style(style::secondary));
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
                .style(style::secondary),
        );
    }
    for (index, volume) in profile.storage.volumes.iter().enumerate() {
        body = body.push(volume_row(context, index, volume, statuses.get(index)));
    }
    let mut actions = column![
        button(text("Add volume"))
            .style(button::secondary)
            .on_activate(Message::AddVolume)
    ]
    .spacing(8);
    let found = storage::volume_choices(profile, &context.facts);
    if !found.is_empty() {
        let mut buttons = row![].spacing(8);
        for (name, mib) in found {
            buttons = buttons.push(
                button(text(format!("Add {name} ({})", storage::size_text(mib))).size(14))
                    .style(button::secondary)
                    .on_activate(Message::AddFound(name, mib)),
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
            container(focus::checkbox(
                "Create when missing",
                volume.create,
                move |create| Message::CreateToggled(index, create),
            ))
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
                    .on_activate(Message::RemoveVolume(index))
            )
            .id(format!("remove-volume-{index}")),
            Vec::new(),
        ),
    ]
    .spacing(16)
    // Narrow windows put the fields below each other instead of cutting them off.
    .wrap()
    .vertical_spacing(6);
    let mut rows = column![inputs].spacing(6);
    if users.is_empty() {
        rows = rows.push(
            text("No VM uses it yet: pick it as a VM's disk on the VMs page")
                .size(13)
                .style(style::secondary),
        );
    } else {
        rows = rows.push(
            text(format!("Disk of {}", users.join(", ")))
                .size(13)
                .style(style::secondary),
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
                line.style(style::warning)
            } else {
                line
            });
        }
        rows = rows.push(nodes);
        if let Some(problem) = &status.problem {
            rows = rows.push(text(problem.clone()).size(14).style(style::danger));
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
mod tests;
