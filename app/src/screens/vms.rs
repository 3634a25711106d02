//! VMs: the guests with their home node, memory, vCPUs, disk and boot, and the capacity meter
//! that holds the rule of a two-node cluster: each node must be able to run ALL VMs at once,
//! because after a failover it does.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use iced::widget::{
    button, column, container, pick_list, progress_bar, radio, row, text, text_input,
};
use iced::{Center, Element, Fill};
use wizard_steps::Profile;
use wizard_steps::field::{Field, NodeField, VmField};
use wizard_steps::pages::nodes::mib_text;
use wizard_steps::pages::storage::{self, Presence};
use wizard_steps::pages::vms::{self, Capacity};
use wizard_steps::profile::{Boot, Vm};
use wizard_steps::validate::derived_mac;

use super::{Context, field, heading, problem_text, section, warning};

/// Where an uploaded ISO is put on the nodes when the administrator has not named a path.

#[derive(Debug, Default)]
pub struct State {
    /// What was typed into the numeric fields, kept as text so that a half-typed number
    /// survives going Back and Next.
    drafts: BTreeMap<Number, Draft>,
    /// Per VM, the boot settings of the boot type not chosen now, so that switching between
    /// HVM and PV loses nothing.
    other_boot: BTreeMap<usize, Boot>,
}

/// Text typed into a numeric field.
#[derive(Debug, Clone)]
struct Draft {
    text: String,
    /// The profile's value (as the field shows it) when the text was typed: once the profile
    /// holds something else (another profile was opened), the draft no longer applies.
    shown_for: String,
    /// Whether the text parsed (and was written to the profile).
    valid: bool,
}

impl State {
    /// False while a node is known to be too small for all VMs at once, or a number does not
    /// parse.
    pub fn can_continue(&self, context: Context<'_>) -> bool {
        let capacity = vms::capacity(context.profile, &context.facts);
        !vms::overcommitted(&capacity)
            && self
                .drafts
                .keys()
                .all(|number| self.number_error(context.profile, *number).is_none())
    }

    /// The text a numeric field shows: the draft while it applies, the profile's value
    /// otherwise.
    fn number_text(&self, profile: &Profile, number: Number) -> String {
        let current = number.current(profile).unwrap_or_default();
        match self.drafts.get(&number) {
            Some(draft) if draft.shown_for == current => draft.text.clone(),
            _ => current,
        }
    }

    /// The page's own message under a numeric field whose text does not parse.
    fn number_error(&self, profile: &Profile, number: Number) -> Option<String> {
        let current = number.current(profile)?;
        self.drafts
            .get(&number)
            .filter(|draft| !draft.valid && draft.shown_for == current)
            .map(|draft| number.error(&draft.text))
    }

    /// Moves what is kept per VM after VM `removed` is gone.
    fn forget_vm(&mut self, removed: usize) {
        let drafts = std::mem::take(&mut self.drafts);
        self.drafts = drafts
            .into_iter()
            .filter_map(|(number, draft)| match number.vm() {
                Some(index) if index == removed => None,
                Some(index) if index > removed => Some((number.with_vm(index - 1), draft)),
                _ => Some((number, draft)),
            })
            .collect();
        let other_boot = std::mem::take(&mut self.other_boot);
        self.other_boot = other_boot
            .into_iter()
            .filter(|(index, _)| *index != removed)
            .map(|(index, boot)| (if index > removed { index - 1 } else { index }, boot))
            .collect();
    }
}

/// A numeric field of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Number {
    Memory(usize),
    Vcpus(usize),
    DrbdMinor(usize),
    DrbdPort(usize),
    /// dom0's memory on node `usize`.
    Dom0(usize),
}

impl Number {
    fn vm(self) -> Option<usize> {
        match self {
            Number::Memory(index)
            | Number::Vcpus(index)
            | Number::DrbdMinor(index)
            | Number::DrbdPort(index) => Some(index),
            Number::Dom0(_) => None,
        }
    }

    fn with_vm(self, index: usize) -> Number {
        match self {
            Number::Memory(_) => Number::Memory(index),
            Number::Vcpus(_) => Number::Vcpus(index),
            Number::DrbdMinor(_) => Number::DrbdMinor(index),
            Number::DrbdPort(_) => Number::DrbdPort(index),
            Number::Dom0(node) => Number::Dom0(node),
        }
    }

    /// The profile's value as the field shows it (blank: assigned automatically); None when
    /// the VM or node is gone.
    fn current(self, profile: &Profile) -> Option<String> {
        let vm = |index: usize| profile.vms.get(index);
        let optional = |value: Option<String>| value.unwrap_or_default();
        Some(match self {
            Number::Memory(index) => vm(index)?.memory_mib.to_string(),
            Number::Vcpus(index) => vm(index)?.vcpus.to_string(),
            Number::DrbdMinor(index) => optional(vm(index)?.drbd_minor.map(|n| n.to_string())),
            Number::DrbdPort(index) => optional(vm(index)?.drbd_port.map(|n| n.to_string())),
            Number::Dom0(node) => profile.nodes.get(node)?.dom0_memory_mib.to_string(),
        })
    }

    /// Writes the text to the profile when it parses; says whether it did.
    fn write(self, profile: &mut Profile, typed: &str) -> bool {
        let typed = typed.trim();
        let blank = typed.is_empty();
        match self {
            Number::Memory(index) => set(
                profile.vms.get_mut(index).map(|vm| &mut vm.memory_mib),
                typed.parse().ok(),
            ),
            Number::Vcpus(index) => set(
                profile.vms.get_mut(index).map(|vm| &mut vm.vcpus),
                typed.parse().ok(),
            ),
            Number::DrbdMinor(index) => set(
                profile.vms.get_mut(index).map(|vm| &mut vm.drbd_minor),
                if blank {
                    Some(None)
                } else {
                    typed.parse().ok().map(Some)
                },
            ),
            Number::DrbdPort(index) => set(
                profile.vms.get_mut(index).map(|vm| &mut vm.drbd_port),
                if blank {
                    Some(None)
                } else {
                    typed.parse().ok().map(Some)
                },
            ),
            Number::Dom0(node) => set(
                profile
                    .nodes
                    .get_mut(node)
                    .map(|node| &mut node.dom0_memory_mib),
                typed.parse().ok(),
            ),
        }
    }

    fn error(self, typed: &str) -> String {
        match self {
            Number::Memory(_) | Number::Dom0(_) => {
                format!("\"{typed}\" is not a whole number of MiB")
            }
            Number::Vcpus(_) => format!("\"{typed}\" is not a whole number of vCPUs"),
            Number::DrbdMinor(_) => format!(
                "\"{typed}\" is not a DRBD minor: type a whole number, or leave it blank to have one assigned"
            ),
            Number::DrbdPort(_) => format!(
                "\"{typed}\" is not a port: type a number up to 65535, or leave it blank to have one assigned"
            ),
        }
    }

    fn id(self) -> String {
        match self {
            Number::Memory(index) => format!("vm-memory-{index}"),
            Number::Vcpus(index) => format!("vm-vcpus-{index}"),
            Number::DrbdMinor(index) => format!("vm-minor-{index}"),
            Number::DrbdPort(index) => format!("vm-port-{index}"),
            Number::Dom0(node) => format!("dom0-{node}"),
        }
    }

    fn field(self) -> Field {
        match self {
            Number::Memory(index) => Field::Vm(index, VmField::Memory),
            Number::Vcpus(index) => Field::Vm(index, VmField::Vcpus),
            Number::DrbdMinor(index) => Field::Vm(index, VmField::DrbdMinor),
            Number::DrbdPort(index) => Field::Vm(index, VmField::DrbdPort),
            Number::Dom0(node) => Field::Node(node, NodeField::Dom0Memory),
        }
    }
}

fn set<T>(slot: Option<&mut T>, value: Option<T>) -> bool {
    match (slot, value) {
        (Some(slot), Some(value)) => {
            *slot = value;
            true
        }
        _ => false,
    }
}

/// How a VM boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootKind {
    Hvm,
    Pv,
}

impl BootKind {
    fn of(boot: &Boot) -> BootKind {
        match boot {
            Boot::Hvm { .. } => BootKind::Hvm,
            Boot::Pv { .. } => BootKind::Pv,
        }
    }

    fn empty(self) -> Boot {
        match self {
            BootKind::Hvm => Boot::Hvm {
                iso: String::new(),
                iso_source: None,
                vnc_password: None,
            },
            BootKind::Pv => Boot::Pv {
                kernel: String::new(),
                ramdisk: None,
                extra: None,
            },
        }
    }
}

/// Whose data is kept on a volume that holds data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepData {
    /// Not decided: Tandem refuses to initialise the volume.
    Undecided,
    On(String),
}

impl fmt::Display for KeepData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeepData::Undecided => f.write_str("not decided (Tandem refuses to initialise it)"),
            KeepData::On(node) => write!(f, "{node}'s data (copied to the other node)"),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    AddVm,
    RemoveVm(usize),
    NameChanged(usize, String),
    HomePicked(usize, String),
    NumberChanged(Number, String),
    VolumePicked(usize, String),
    BootPicked(usize, BootKind),
    IsoChanged(usize, String),
    /// The "Choose…" button of VM `usize`'s ISO to upload.
    BrowseIso(usize),
    /// The file dialog's answer for VM `usize` (None: cancelled).
    IsoChosen(usize, Option<PathBuf>),
    /// Upload nothing for VM `usize`: the ISO is already on the nodes.
    NoUpload(usize),
    VncPasswordChanged(usize, String),
    KernelChanged(usize, String),
    RamdiskChanged(usize, String),
    ExtraChanged(usize, String),
    ConsoleIpChanged(usize, String),
    MacChanged(usize, String),
    KeepDataPicked(usize, KeepData),
}

#[derive(Debug)]
pub enum Action {
    None,
    /// Open a file dialog for the ISO of VM `usize`.
    BrowseIso(usize),
}

/// Blank text means "not set".
fn optional(text: String) -> Option<String> {
    (!text.trim().is_empty()).then_some(text)
}

/// A name for a new VM: vmN, not taken by another VM (names clash without regard to case).
fn new_vm_name(profile: &Profile) -> String {
    (profile.vms.len() + 1..)
        .map(|number| format!("vm{number}"))
        .find(|name| {
            !profile
                .vms
                .iter()
                .any(|vm| vm.name.eq_ignore_ascii_case(name))
        })
        .unwrap_or_default()
}

/// A new VM: a free name, the node after the last VM's as home, 1 GiB, 1 vCPU, HVM, the first
/// volume no VM uses yet.
fn new_vm(profile: &Profile) -> Vm {
    let home = if profile.nodes.is_empty() {
        String::new()
    } else {
        profile.nodes[profile.vms.len() % profile.nodes.len()]
            .hostname
            .clone()
    };
    let volume = profile
        .storage
        .volumes
        .iter()
        .find(|volume| !profile.vms.iter().any(|vm| vm.volume == volume.name))
        .map(|volume| volume.name.clone())
        .unwrap_or_default();
    Vm {
        name: new_vm_name(profile),
        home,
        memory_mib: 1024,
        vcpus: 1,
        volume,
        boot: BootKind::Hvm.empty(),
        drbd_minor: None,
        drbd_port: None,
        console_ip: None,
        mac: None,
        keep_data_on: None,
    }
}

/// Where an uploaded ISO goes on the nodes: its file name in the profile's ISO directory (the
/// only place Tandem uploads to), with the characters a node path cannot hold replaced.
fn node_iso_path(iso_directory: &str, source: &std::path::Path) -> String {
    let name: String = source
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "install.iso".to_owned())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}/{name}", iso_directory.trim_end_matches('/'))
}

pub fn update(state: &mut State, message: Message, profile: &mut Profile) -> Action {
    match message {
        Message::AddVm => {
            let vm = new_vm(profile);
            let index = profile.vms.len();
            state.drafts.retain(|number, _| number.vm() != Some(index));
            state.other_boot.remove(&index);
            profile.vms.push(vm);
        }
        Message::RemoveVm(index) => {
            if index < profile.vms.len() {
                profile.vms.remove(index);
                state.forget_vm(index);
            }
        }
        Message::NumberChanged(number, typed) => {
            if number.current(profile).is_some() {
                let valid = number.write(profile, &typed);
                let shown_for = number.current(profile).unwrap_or_default();
                state.drafts.insert(
                    number,
                    Draft {
                        text: typed,
                        shown_for,
                        valid,
                    },
                );
            }
        }
        Message::BootPicked(index, kind) => {
            if let Some(vm) = profile.vms.get_mut(index)
                && BootKind::of(&vm.boot) != kind
            {
                let restored = state
                    .other_boot
                    .remove(&index)
                    .filter(|boot| BootKind::of(boot) == kind)
                    .unwrap_or_else(|| kind.empty());
                let previous = std::mem::replace(&mut vm.boot, restored);
                state.other_boot.insert(index, previous);
            }
        }
        Message::BrowseIso(index) => return Action::BrowseIso(index),
        Message::IsoChosen(index, Some(path)) => {
            let target = node_iso_path(&profile.storage.iso_directory, &path);
            if let Some(Boot::Hvm {
                iso, iso_source, ..
            }) = profile.vms.get_mut(index).map(|vm| &mut vm.boot)
            {
                *iso = target;
                *iso_source = Some(path.to_string_lossy().into_owned());
            }
        }
        Message::IsoChosen(_, None) => {}
        message => {
            let _ = edit(profile, message);
        }
    }
    Action::None
}

/// The plain edits of one VM's fields.
fn edit(profile: &mut Profile, message: Message) -> Option<()> {
    match message {
        Message::NameChanged(index, name) => profile.vms.get_mut(index)?.name = name,
        Message::HomePicked(index, home) => profile.vms.get_mut(index)?.home = home,
        Message::VolumePicked(index, volume) => profile.vms.get_mut(index)?.volume = volume,
        Message::ConsoleIpChanged(index, address) => {
            profile.vms.get_mut(index)?.console_ip = optional(address);
        }
        Message::MacChanged(index, mac) => profile.vms.get_mut(index)?.mac = optional(mac),
        Message::KeepDataPicked(index, keep) => {
            profile.vms.get_mut(index)?.keep_data_on = match keep {
                KeepData::Undecided => None,
                KeepData::On(node) => Some(node),
            };
        }
        Message::IsoChanged(index, path) => {
            if let Boot::Hvm { iso, .. } = &mut profile.vms.get_mut(index)?.boot {
                *iso = path;
            }
        }
        Message::NoUpload(index) => {
            if let Boot::Hvm { iso_source, .. } = &mut profile.vms.get_mut(index)?.boot {
                *iso_source = None;
            }
        }
        Message::VncPasswordChanged(index, password) => {
            if let Boot::Hvm { vnc_password, .. } = &mut profile.vms.get_mut(index)?.boot {
                *vnc_password = (!password.is_empty()).then_some(password);
            }
        }
        Message::KernelChanged(index, path) => {
            if let Boot::Pv { kernel, .. } = &mut profile.vms.get_mut(index)?.boot {
                *kernel = path;
            }
        }
        Message::RamdiskChanged(index, path) => {
            if let Boot::Pv { ramdisk, .. } = &mut profile.vms.get_mut(index)?.boot {
                *ramdisk = optional(path);
            }
        }
        Message::ExtraChanged(index, extra) => {
            if let Boot::Pv { extra: slot, .. } = &mut profile.vms.get_mut(index)?.boot {
                *slot = optional(extra);
            }
        }
        Message::AddVm
        | Message::RemoveVm(_)
        | Message::NumberChanged(..)
        | Message::BootPicked(..)
        | Message::BrowseIso(_)
        | Message::IsoChosen(..) => {}
    }
    Some(())
}

/// The fields this page shows problems under; its other problems are listed at the top.
fn placed_fields(profile: &Profile) -> Vec<Field> {
    let mut fields: Vec<Field> = (0..profile.nodes.len())
        .map(|index| Field::Node(index, NodeField::Dom0Memory))
        .collect();
    for index in 0..profile.vms.len() {
        fields.extend(VmField::ALL.iter().map(|&key| Field::Vm(index, key)));
    }
    fields
}

pub fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    let profile = context.profile;
    let mut page = column![heading(
        "VMs",
        "The virtual machines, the node each normally runs on, and what each needs."
    )]
    .spacing(20);
    let placed = placed_fields(profile);
    let elsewhere = context.problems_elsewhere(vms::FIELDS, &placed);
    if !elsewhere.is_empty() {
        page = page.push(column(elsewhere.into_iter().map(problem_text)).spacing(4));
    }
    page = page.push(capacity_section(state, context));
    for index in 0..profile.vms.len() {
        page = page.push(vm_section(state, context, index));
    }
    page.push(
        button(text("Add VM"))
            .style(button::primary)
            .on_press(Message::AddVm),
    )
    .into()
}

/// A numeric text field with the validator's problems and the page's own message.
fn number_input<'a>(
    state: &State,
    context: Context<'a>,
    label: &'a str,
    placeholder: &str,
    number: Number,
    width: f32,
) -> Element<'a, Message> {
    let input = text_input(placeholder, &state.number_text(context.profile, number))
        .id(number.id())
        .on_input(move |typed| Message::NumberChanged(number, typed));
    let mut input = column![input].spacing(4);
    if let Some(error) = state.number_error(context.profile, number) {
        input = input.push(text(error).size(13).style(text::danger));
    }
    container(field(label, input, context.problems_at(number.field())))
        .width(width)
        .into()
}

/// The meter's sentence for one node.
fn fit_text(node: &Capacity) -> String {
    match node.available_mib {
        None => "memory unknown until connected".to_owned(),
        Some(available) if node.needed_mib() <= available => format!(
            "{} of {}: fits",
            mib_text(node.needed_mib()),
            mib_text(available)
        ),
        Some(available) => format!("does not fit: {} MiB short", node.needed_mib() - available),
    }
}

fn capacity_section<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    let capacity = vms::capacity(context.profile, &context.facts);
    let mut body = column![
        text(
            "Each node must be able to run ALL VMs at once: after a failover, the node that \
             is left runs them all. Next stays disabled while a node is known to be too small."
        )
        .size(14)
    ]
    .spacing(14);
    for (index, node) in capacity.iter().enumerate() {
        let bar = progress_bar(0.0..=1.0, node.load().unwrap_or(0.0).min(1.0))
            .girth(12)
            .style(match node.fits() {
                Some(true) => progress_bar::success,
                Some(false) => progress_bar::danger,
                None => progress_bar::secondary,
            });
        let fit = text(fit_text(node)).size(14).style(match node.fits() {
            Some(true) => text::success,
            Some(false) => text::danger,
            None => text::secondary,
        });
        let breakdown = text(format!(
            "dom0 {} + all VMs {} = {}",
            mib_text(node.dom0_mib),
            mib_text(node.vms_mib),
            mib_text(node.needed_mib())
        ))
        .size(13)
        .style(text::secondary);
        let cpus = match node.cpus {
            Some(cpus) if node.vcpus > cpus => warning(format!(
                "The largest VM has {} vCPUs, more than the node's {cpus} CPUs",
                node.vcpus
            )),
            Some(cpus) => text(format!(
                "{cpus} CPUs; the largest VM has {} vCPUs",
                node.vcpus
            ))
            .size(13)
            .style(text::secondary)
            .into(),
            None => column![].into(),
        };
        body = body.push(
            row![
                column![
                    text(context.node_name(index)).size(16),
                    bar,
                    fit,
                    breakdown,
                    cpus
                ]
                .spacing(4)
                .width(Fill),
                number_input(
                    state,
                    context,
                    "dom0 memory (MiB)",
                    "2048",
                    Number::Dom0(index),
                    170.0
                ),
            ]
            .spacing(24)
            .align_y(Center),
        );
    }
    section("Capacity", body)
}

fn vm_section<'a>(state: &'a State, context: Context<'a>, index: usize) -> Element<'a, Message> {
    let profile = context.profile;
    let vm = &profile.vms[index];
    let at = |field: VmField| context.problems_at(Field::Vm(index, field));

    let hostnames: Vec<String> = profile
        .nodes
        .iter()
        .map(|node| node.hostname.clone())
        .filter(|hostname| !hostname.trim().is_empty())
        .collect();
    let home = hostnames.iter().find(|name| **name == vm.home).cloned();
    let volumes: Vec<String> = profile
        .storage
        .volumes
        .iter()
        .map(|volume| volume.name.clone())
        .collect();
    let volume = volumes.iter().find(|name| **name == vm.volume).cloned();

    let first = row![
        container(field(
            "Name",
            text_input("vm1", &vm.name)
                .id(format!("vm-name-{index}"))
                .on_input(move |name| Message::NameChanged(index, name)),
            at(VmField::Name),
        ))
        .width(220),
        container(field(
            "Home node",
            container(
                pick_list(hostnames, home, move |home| Message::HomePicked(
                    index, home
                ))
                .placeholder("Choose")
                .width(Fill)
            )
            .id(format!("vm-home-{index}")),
            at(VmField::Home),
        ))
        .width(180),
        number_input(
            state,
            context,
            "Memory (MiB)",
            "1024",
            Number::Memory(index),
            150.0
        ),
        number_input(state, context, "vCPUs", "1", Number::Vcpus(index), 130.0),
    ]
    .spacing(16);

    let mut disk = column![].spacing(4);
    if volumes.is_empty() {
        disk = disk.push(warning("No volume yet: add one on the Storage page."));
    } else {
        disk = disk.push(
            container(
                pick_list(volumes, volume, move |volume| {
                    Message::VolumePicked(index, volume)
                })
                .placeholder("Choose its volume")
                .width(220),
            )
            .id(format!("vm-volume-{index}")),
        );
        if let Some(found) = profile.volume(&vm.volume) {
            disk = disk.push(
                text(format!(
                    "{} in {}",
                    found.size, profile.storage.volume_group
                ))
                .size(13)
                .style(text::secondary),
            );
        }
    }
    let disk = field(
        "Disk (a volume of the Storage page)",
        disk,
        at(VmField::Volume),
    );

    let kind = BootKind::of(&vm.boot);
    let boot_kind = row![
        container(radio(
            "HVM: installs from an ISO, VNC console",
            BootKind::Hvm,
            Some(kind),
            move |kind| Message::BootPicked(index, kind),
        ))
        .id(format!("vm-hvm-{index}")),
        container(radio(
            "PV: boots a kernel from the nodes",
            BootKind::Pv,
            Some(kind),
            move |kind| Message::BootPicked(index, kind),
        ))
        .id(format!("vm-pv-{index}")),
    ]
    .spacing(24);
    let mut boot = column![boot_kind].spacing(4);
    if kind == BootKind::Hvm {
        for (node, facts) in context.facts.iter().enumerate() {
            if facts.is_some_and(|facts| !facts.hvm_capable) {
                boot = boot.push(warning(format!(
                    "{} has no VT-x/AMD-V: an HVM VM cannot run there, and after a failover it \
                     must. Use PV, or enable virtualisation in that node's firmware.",
                    context.node_name(node)
                )));
            }
        }
    }
    let boot_fields = boot_fields(context, index, vm);

    let console = field(
        "Console IP (optional; moves with the VM)",
        column![
            text_input("none", vm.console_ip.as_deref().unwrap_or_default())
                .id(format!("vm-console-{index}"))
                .on_input(move |address| Message::ConsoleIpChanged(index, address))
                .width(200),
            text(match kind {
                BootKind::Hvm => "The VNC console listens there.",
                BootKind::Pv => "A service address only: PV guests have no VNC console.",
            })
            .size(13)
            .style(text::secondary),
        ]
        .spacing(4),
        at(VmField::ConsoleIp),
    );
    let mac = field(
        "MAC address (optional)",
        text_input(
            &derived_mac(&profile.cluster.name, &vm.name),
            vm.mac.as_deref().unwrap_or_default(),
        )
        .id(format!("vm-mac-{index}"))
        .on_input(move |mac| Message::MacChanged(index, mac))
        .width(200),
        at(VmField::Mac),
    );
    let drbd = row![
        number_input(
            state,
            context,
            "DRBD minor (blank: automatic)",
            "automatic",
            Number::DrbdMinor(index),
            220.0
        ),
        number_input(
            state,
            context,
            "DRBD port (blank: automatic)",
            "automatic",
            Number::DrbdPort(index),
            220.0
        ),
    ]
    .spacing(16);

    let mut body = column![
        first,
        disk,
        field("Boot", boot, Vec::new()),
        boot_fields,
        row![console, mac].spacing(16),
        drbd,
    ]
    .spacing(12);
    if let Some(keep) = keep_data(context, index, vm) {
        body = body.push(keep);
    }
    let title = if vm.name.trim().is_empty() {
        format!("VM {}", index + 1)
    } else {
        format!("VM {}: {}", index + 1, vm.name)
    };
    section(
        title,
        column![
            body,
            container(
                button(text("Remove this VM"))
                    .style(button::danger)
                    .on_press(Message::RemoveVm(index))
            )
            .id(format!("remove-vm-{index}")),
        ]
        .spacing(12),
    )
}

fn boot_fields<'a>(context: Context<'a>, index: usize, vm: &'a Vm) -> Element<'a, Message> {
    let at = |field: VmField| context.problems_at(Field::Vm(index, field));
    match &vm.boot {
        Boot::Hvm {
            iso,
            iso_source,
            vnc_password,
        } => {
            let path = field(
                "ISO on the nodes",
                text_input("/var/lib/tandem/iso/install.iso", iso)
                    .id(format!("vm-iso-{index}"))
                    .on_input(move |path| Message::IsoChanged(index, path))
                    .width(Fill),
                at(VmField::BootIso),
            );
            let source_text = match iso_source.as_deref() {
                Some(source) => text(format!("Uploaded to both nodes from {source}")).size(14),
                None => text("Nothing to upload: the ISO is already on both nodes")
                    .size(14)
                    .style(text::secondary),
            };
            let no_upload = iso_source.is_some().then(|| {
                button(text("Don't upload").size(14))
                    .style(button::secondary)
                    .on_press(Message::NoUpload(index))
            });
            let source = field(
                "ISO file on this workstation (optional)",
                row![
                    source_text.width(Fill),
                    container(
                        button(text("Choose…").size(14))
                            .style(button::secondary)
                            .on_press(Message::BrowseIso(index))
                    )
                    .id(format!("vm-choose-iso-{index}")),
                    no_upload,
                ]
                .spacing(8)
                .align_y(Center),
                at(VmField::BootIsoSource),
            );
            let password = field(
                "VNC password (1 to 8 characters)",
                text_input("none", vnc_password.as_deref().unwrap_or_default())
                    .id(format!("vm-vnc-{index}"))
                    .secure(true)
                    .on_input(move |password| Message::VncPasswordChanged(index, password))
                    .width(200),
                at(VmField::BootVncPassword),
            );
            column![path, source, password].spacing(12).into()
        }
        Boot::Pv {
            kernel,
            ramdisk,
            extra,
        } => column![
            field(
                "Kernel on the nodes",
                text_input("/var/lib/xen/boot/vmlinuz", kernel)
                    .id(format!("vm-kernel-{index}"))
                    .on_input(move |path| Message::KernelChanged(index, path))
                    .width(Fill),
                at(VmField::BootKernel),
            ),
            field(
                "Ramdisk on the nodes (optional)",
                text_input("none", ramdisk.as_deref().unwrap_or_default())
                    .id(format!("vm-ramdisk-{index}"))
                    .on_input(move |path| Message::RamdiskChanged(index, path))
                    .width(Fill),
                at(VmField::BootRamdisk),
            ),
            field(
                "Kernel arguments (optional)",
                text_input("root=/dev/xvda1 ro", extra.as_deref().unwrap_or_default())
                    .id(format!("vm-extra-{index}"))
                    .on_input(move |extra| Message::ExtraChanged(index, extra))
                    .width(Fill),
                at(VmField::BootExtra),
            ),
        ]
        .spacing(12)
        .into(),
    }
}

/// The choice of whose data to keep, when the VM's volume holds data on a node (or a choice
/// was made before).
fn keep_data<'a>(context: Context<'a>, index: usize, vm: &'a Vm) -> Option<Element<'a, Message>> {
    let profile = context.profile;
    let status = storage::volume_status(profile, &context.facts)
        .into_iter()
        .find(|status| status.name == vm.volume);
    let holders: Vec<String> = status
        .as_ref()
        .map(|status| {
            status
                .nodes
                .iter()
                .enumerate()
                .filter_map(|(node, presence)| match presence {
                    Presence::Present(found) if found.content.holds_data() => Some(format!(
                        "{} ({})",
                        context.node_name(node),
                        found.content.describe()
                    )),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if holders.is_empty() && vm.keep_data_on.is_none() {
        return None;
    }
    let mut choices = vec![KeepData::Undecided];
    choices.extend(
        profile
            .nodes
            .iter()
            .map(|node| node.hostname.clone())
            .filter(|hostname| !hostname.trim().is_empty())
            .map(KeepData::On),
    );
    let selected = match &vm.keep_data_on {
        None => KeepData::Undecided,
        Some(node) => KeepData::On(node.clone()),
    };
    let mut body = column![].spacing(6);
    if !holders.is_empty() {
        body = body.push(warning(format!(
            "{} holds data on {}. Keep one node's data: it is copied to the other node, whose \
             copy is overwritten.",
            vm.volume,
            holders.join(" and ")
        )));
    }
    body = body.push(
        container(
            pick_list(choices, Some(selected), move |keep| {
                Message::KeepDataPicked(index, keep)
            })
            .width(Fill),
        )
        .id(format!("vm-keep-{index}")),
    );
    Some(field(
        "Existing data on the volume",
        body,
        context.problems_at(Field::Vm(index, VmField::KeepDataOn)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::testing;
    use iced_test::Error;
    use iced_test::selector::id;
    use wizard_steps::facts::NodeFacts;

    /// A discovery like the one in wizard-steps' tests, with the node's memory and volumes.
    fn discovery(hostname: &str, memory_mib: u64, volumes: &str) -> NodeFacts {
        wizard_steps::facts::parse(&format!(
            "uid=0\nhostname={hostname}\nmachine_id=6d2a1c0e9b8f4a7d9e3c2b1a0f9e8d7c\n\
             os_id=debian\nos_version_id=12\ncpus=4\ndom0=no\nmemory_mib={memory_mib}\n\
             hvm=yes\nnic=lo link \nnic=eth0 link \naddress=eth0 192.168.1.1/24\n\
             group=virtuals 200000 119000\n{volumes}"
        ))
    }

    struct Screen;

    impl testing::Screen for Screen {
        type State = State;
        type Message = Message;
        type Action = Action;
        const FIELDS: wizard_steps::pages::Fields = vms::FIELDS;
        const HEIGHT: f32 = 3000.0;

        fn update(
            state: &mut State,
            message: Message,
            profile: &mut Profile,
            _facts: [Option<&NodeFacts>; 2],
        ) -> Action {
            update(state, message, profile)
        }

        fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
            view(state, context)
        }
    }

    type Page = testing::Harness<Screen>;

    impl Page {
        fn can_continue(&self) -> bool {
            self.state.can_continue(self.context())
        }
    }

    #[test]
    fn typing_memory_and_vcpus_changes_the_profile() -> Result<(), Error> {
        let mut page = Page::with_facts([None, None]);
        page.type_into("vm-memory-0", 4, "3072")?;
        assert_eq!(page.profile.vms[0].memory_mib, 3072);
        page.type_into("vm-vcpus-1", 1, "2")?;
        assert_eq!(page.profile.vms[1].vcpus, 2);
        page.type_into("vm-name-1", 0, "b")?;
        assert_eq!(page.profile.vms[1].name, "Win2012-2b");
        page.type_into("dom0-1", 4, "1024")?;
        assert_eq!(page.profile.nodes[1].dom0_memory_mib, 1024);
        assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
        assert!(page.can_continue());
        Ok(())
    }

    #[test]
    fn too_little_memory_shows_the_validators_message_until_fixed() -> Result<(), Error> {
        let mut page = Page::with_facts([None, None]);
        page.type_into("vm-memory-1", 4, "16")?;
        assert_eq!(page.profile.vms[1].memory_mib, 16);
        assert_eq!(page.page_problems(), 1, "{:?}", page.problems);
        let message = "16 MiB is not enough memory for a VM — give the VM at least 32 MiB (an HVM \
                       guest needs a few hundred)";
        assert!(page.shows(message));
        page.type_into("vm-memory-1", 2, "1024")?;
        assert_eq!(page.profile.vms[1].memory_mib, 1024);
        assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
        assert!(!page.shows(message));
        Ok(())
    }

    #[test]
    fn a_number_that_does_not_parse_is_kept_as_typed_and_holds_next() -> Result<(), Error> {
        let mut page = Page::with_facts([None, None]);
        page.type_into("vm-memory-0", 0, "x")?;
        // The profile keeps the last number; the field keeps the text, even after leaving
        // the page (a new view of the same state).
        assert_eq!(page.profile.vms[0].memory_mib, 2048);
        assert!(page.shows("2048x"));
        assert!(page.shows("\"2048x\" is not a whole number of MiB"));
        assert!(!page.can_continue());
        page.type_into("vm-memory-0", 1, "")?;
        assert!(page.shows("2048"));
        assert!(!page.shows("\"2048x\" is not a whole number of MiB"));
        assert!(page.can_continue());
        // Blank DRBD numbers mean "assign one".
        page.type_into("vm-port-1", 4, "")?;
        assert_eq!(page.profile.vms[1].drbd_port, None);
        assert!(page.can_continue());
        // Another profile opened under the page: its value wins over an old draft.
        page.type_into("vm-vcpus-0", 0, "z")?;
        assert!(!page.can_continue());
        page.profile.vms[0].vcpus = 4;
        page.validate();
        assert!(page.shows("4") && !page.shows("1z"));
        assert!(page.can_continue());
        Ok(())
    }

    #[test]
    fn the_capacity_meter_blocks_an_overcommitted_design_until_memory_is_lowered()
    -> Result<(), Error> {
        let facts = [
            Some(discovery("node1", 4096, "")),
            Some(discovery("node2", 4096, "")),
        ];
        let mut page = Page::with_facts(facts);
        // dom0 2048 + 2 × 2048 = 6144 MiB on 4096 MiB nodes.
        assert!(!page.can_continue());
        assert!(page.shows("does not fit: 2048 MiB short"));
        assert!(page.shows("dom0 2.0 GiB + all VMs 4.0 GiB = 6.0 GiB"));
        // The validator is content: only the meter holds Next.
        assert_eq!(page.page_problems(), 0);

        page.type_into("vm-memory-0", 4, "1024")?;
        assert!(!page.can_continue());
        assert!(page.shows("does not fit: 1024 MiB short"));
        page.type_into("vm-memory-1", 4, "1024")?;
        assert!(page.can_continue());
        assert!(page.shows("4.0 GiB of 4.0 GiB: fits"));
        assert!(!page.shows("does not fit: 1024 MiB short"));

        let unknown = Page::with_facts([None, None]);
        assert!(unknown.shows("memory unknown until connected"));
        assert!(unknown.can_continue());
        Ok(())
    }

    #[test]
    fn vms_are_added_with_defaults_and_removed() -> Result<(), Error> {
        let mut page = Page::with_facts([None, None]);
        page.profile
            .storage
            .volumes
            .push(wizard_steps::profile::Volume {
                name: "spare".into(),
                size: "10G".into(),
                create: true,
            });
        let _ = page.click("Add VM")?;
        let _ = page.click("Add VM")?;
        assert_eq!(page.profile.vms.len(), 4);
        let added = &page.profile.vms[2];
        assert_eq!(
            (
                added.name.as_str(),
                added.home.as_str(),
                added.memory_mib,
                added.vcpus
            ),
            ("vm3", "node1", 1024, 1)
        );
        assert_eq!(added.volume, "spare");
        assert!(matches!(&added.boot, Boot::Hvm { iso, .. } if iso.is_empty()));
        let second = &page.profile.vms[3];
        assert_eq!(
            (second.name.as_str(), second.home.as_str()),
            ("vm4", "node2")
        );
        assert_eq!(second.volume, "");
        assert!(page.shows("VM 4: vm4"));
        // The new VMs need an ISO (and vm4 a volume): the page says so under the fields.
        assert!(page.shows(
            "\"\" is not an absolute path on the nodes — write an absolute path on the nodes \
             made of letters, digits and '_', '.', '-', '+' between single '/' (e.g. \
             /var/lib/tandem/iso/install.iso): it is written into the Xen configs (where ',', \
             '=', quotes and spaces end a field) and into shell commands"
        ));
        assert!(page.page_problems() > 0);

        // A half-typed number of vm4 moves with it when vm3 is removed.
        page.type_into("vm-memory-3", 0, "k")?;
        let _ = page.click(id("remove-vm-2"))?;
        let names: Vec<&str> = page.profile.vms.iter().map(|vm| vm.name.as_str()).collect();
        assert_eq!(names, ["Win2012", "Win2012-2", "vm4"]);
        assert!(page.shows("\"1024k\" is not a whole number of MiB"));
        let _ = page.click(id("remove-vm-2"))?;
        assert_eq!(page.profile.vms.len(), 2);
        assert!(page.can_continue());
        let _ = page.click("Add VM")?;
        assert_eq!(page.profile.vms[2].name, "vm3");
        Ok(())
    }

    #[test]
    fn choosing_an_iso_asks_the_app_and_fills_the_node_path() -> Result<(), Error> {
        let mut page = Page::with_facts([None, None]);
        let _ = page.click("Add VM")?;
        let actions = page.click(id("vm-choose-iso-2"))?;
        assert!(matches!(actions[..], [Action::BrowseIso(2)]), "{actions:?}");
        let _ = page.apply(vec![Message::IsoChosen(
            2,
            Some(PathBuf::from("/home/me/Debian 12 netinst.iso")),
        )]);
        assert_eq!(
            page.profile.vms[2].boot,
            Boot::Hvm {
                iso: "/var/lib/tandem/iso/Debian_12_netinst.iso".into(),
                iso_source: Some("/home/me/Debian 12 netinst.iso".into()),
                vnc_password: None,
            }
        );
        assert!(page.shows("Uploaded to both nodes from /home/me/Debian 12 netinst.iso"));
        // An upload goes into the ISO directory, whatever path was typed before (Tandem
        // uploads nowhere else); a cancelled dialog changes nothing.
        let _ = page.apply(vec![
            Message::IsoChosen(0, Some(PathBuf::from("/tmp/other (1).iso"))),
            Message::IsoChosen(1, None),
        ]);
        assert!(matches!(&page.profile.vms[0].boot,
            Boot::Hvm { iso, iso_source: Some(source), .. }
                if iso == "/var/lib/tandem/iso/other__1_.iso" && source == "/tmp/other (1).iso"));
        assert!(matches!(
            &page.profile.vms[1].boot,
            Boot::Hvm {
                iso_source: None,
                ..
            }
        ));
        let _ = page.click("Don't upload")?;
        assert!(matches!(
            &page.profile.vms[0].boot,
            Boot::Hvm {
                iso_source: None,
                ..
            }
        ));
        Ok(())
    }

    #[test]
    fn switching_to_pv_and_back_keeps_what_was_entered() -> Result<(), Error> {
        let mut page = Page::with_facts([None, None]);
        let _ = page.click(id("vm-pv-1"))?;
        assert!(matches!(&page.profile.vms[1].boot, Boot::Pv { kernel, .. } if kernel.is_empty()));
        page.type_into("vm-kernel-1", 0, "/boot/vmlinuz")?;
        assert!(
            matches!(&page.profile.vms[1].boot, Boot::Pv { kernel, .. } if kernel == "/boot/vmlinuz")
        );
        let _ = page.click(id("vm-hvm-1"))?;
        assert!(matches!(&page.profile.vms[1].boot,
            Boot::Hvm { iso, vnc_password: Some(password), .. }
                if iso == "/home/WindowsServer2012_RU_STD_TRIAL.ISO" && password == "passw0rd"));
        let _ = page.click(id("vm-pv-1"))?;
        assert!(
            matches!(&page.profile.vms[1].boot, Boot::Pv { kernel, .. } if kernel == "/boot/vmlinuz")
        );
        Ok(())
    }

    #[test]
    fn a_volume_with_data_asks_whose_data_to_keep() -> Result<(), Error> {
        let volumes = "group_volume=virtuals Win2012 40960 \n\
                       group_volume=virtuals Win2012-2 40960 signature:dos data-at-start\n";
        let mut page = Page::with_facts([
            Some(discovery("node1", 8000, volumes)),
            Some(discovery(
                "node2",
                8000,
                "group_volume=virtuals Win2012 40960 \n",
            )),
        ]);
        assert!(page.shows(
            "Win2012-2 holds data on node1 (a dos partition table). Keep one node's data: it is copied to the \
             other node, whose copy is overwritten."
        ));
        assert!(page.shows("Existing data on the volume"));
        let _ = page.apply(vec![Message::KeepDataPicked(
            1,
            KeepData::On("node1".into()),
        )]);
        assert_eq!(page.profile.vms[1].keep_data_on.as_deref(), Some("node1"));
        let _ = page.apply(vec![Message::KeepDataPicked(1, KeepData::Undecided)]);
        assert_eq!(page.profile.vms[1].keep_data_on, None);
        // Without data and without a choice, nothing is asked.
        let blank = Page::with_facts([None, None]);
        assert!(!blank.shows("Existing data on the volume"));
        Ok(())
    }

    #[test]
    fn an_hvm_vm_on_a_node_without_vt_x_is_flagged() -> Result<(), Error> {
        let mut plain = discovery("node2", 8000, "");
        plain.hvm_capable = false;
        let mut page = Page::with_facts([Some(discovery("node1", 8000, "")), Some(plain)]);
        let flagged = "node2 has no VT-x/AMD-V: an HVM VM cannot run there, and after a \
                       failover it must. Use PV, or enable virtualisation in that node's firmware.";
        assert!(page.shows(flagged));
        let _ = page.click(id("vm-pv-0"))?;
        let _ = page.click(id("vm-pv-1"))?;
        assert!(!page.shows(flagged));
        Ok(())
    }
}
