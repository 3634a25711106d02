//! VMs: the guests with their home node, memory, vCPUs, disk and boot, and the capacity meter
//! that holds the rule of a two-node cluster: each node must be able to run ALL VMs at once,
//! because after a failover it does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use iced::Element;
use wizard_steps::Profile;
use wizard_steps::facts::NodeFacts;
use wizard_steps::field::{Field, NodeField, VmField};
use wizard_steps::pages::Page;
use wizard_steps::pages::storage;
use wizard_steps::pages::vms;
use wizard_steps::profile::{Boot, Vm};

use super::Context;
use super::Screen;

#[derive(Debug, Default)]
pub struct State {
    /// What was typed into the numeric fields, kept as text so that a half-typed number
    /// survives going Back and Next.
    drafts: BTreeMap<Number, Draft>,
    /// Per VM, the boot settings of the boot type not chosen now, so that switching between
    /// HVM and PV loses nothing.
    other_boot: BTreeMap<usize, Boot>,
    /// The volumes this page added to the profile for a new VM: removing the VM removes its
    /// volume too, while no other VM uses it (a volume the administrator added stays).
    created_volumes: BTreeSet<String>,
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

    /// Adds a new volume for the VM `vm_name` to the profile (Tandem creates it on both nodes),
    /// and returns its name.
    fn add_volume(&mut self, profile: &mut Profile, vm_name: &str) -> String {
        let volume = storage::new_volume(profile, vm_name);
        let name = volume.name.clone();
        self.created_volumes.insert(name.clone());
        profile.storage.volumes.push(volume);
        name
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
    /// A new volume, which Tandem creates, as the disk of VM `usize`.
    NewVolume(usize),
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
/// volume no VM uses yet (none when every volume is taken: [`VmsPage`] then adds one).
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

/// The page as the app and its tests drive it.
#[derive(Debug)]
pub struct VmsPage;

impl Screen for VmsPage {
    type State = State;
    type Message = Message;
    type Action = Action;
    const PAGE: Page = Page::Vms;

    fn update(
        state: &mut State,
        message: Message,
        profile: &mut Profile,
        _facts: [Option<&NodeFacts>; 2],
    ) -> Action {
        match message {
            Message::AddVm => {
                let mut vm = new_vm(profile);
                if vm.volume.is_empty() {
                    vm.volume = state.add_volume(profile, &vm.name);
                }
                let index = profile.vms.len();
                state.drafts.retain(|number, _| number.vm() != Some(index));
                state.other_boot.remove(&index);
                profile.vms.push(vm);
            }
            Message::NewVolume(index) => {
                if let Some(name) = profile.vms.get(index).map(|vm| vm.name.clone()) {
                    let volume = state.add_volume(profile, &name);
                    profile.vms[index].volume = volume;
                }
            }
            Message::RemoveVm(index) => {
                if index < profile.vms.len() {
                    let removed = profile.vms.remove(index);
                    state.forget_vm(index);
                    let still_used = profile.vms.iter().any(|vm| vm.volume == removed.volume);
                    if !still_used && state.created_volumes.remove(&removed.volume) {
                        profile
                            .storage
                            .volumes
                            .retain(|volume| volume.name != removed.volume);
                    }
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

    fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
        view(state, context)
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
        | Message::NewVolume(_)
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

mod view;

pub use view::view;

#[cfg(test)]
mod tests;
