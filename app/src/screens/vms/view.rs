//! The VMs page as drawn: the capacity meter, each VM's section (home, sizes, boot, the data
//! to keep).

use crate::screens::focus::{self, Activate};
use crate::screens::{Context, field, heading, problem_text, section, warning};
use iced::widget::{button, column, container, progress_bar, row, text, text_input};
use iced::{Center, Element, Fill};
use wizard_steps::field::{Field, VmField};
use wizard_steps::pages::nodes::mib_text;
use wizard_steps::pages::storage::{self, Presence};
use wizard_steps::pages::vms::{self, Capacity};
use wizard_steps::profile::{Boot, Vm};
use wizard_steps::validate::derived_mac;

use super::*;
use crate::screens::style;

pub fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    let profile = context.profile;
    let mut page = column![heading(
        "VMs",
        "The virtual machines, the node each normally runs on, and what each needs."
    )]
    .spacing(20);
    let placed = placed_fields(profile);
    let elsewhere = context.problems_elsewhere(Page::Vms, &placed);
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
            .on_activate(Message::AddVm),
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
        input = input.push(text(error).size(13).style(style::danger));
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
            Some(true) => style::success,
            Some(false) => style::danger,
            None => style::secondary,
        });
        let breakdown = text(format!(
            "dom0 {} + all VMs {} = {}",
            mib_text(node.dom0_mib),
            mib_text(node.vms_mib),
            mib_text(node.needed_mib())
        ))
        .size(13)
        .style(style::secondary);
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
            .style(style::secondary)
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
            container(focus::pick_list(
                hostnames,
                home,
                move |home| Message::HomePicked(index, home),
                |list| list.placeholder("Choose").width(Fill),
            ))
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
    .spacing(16)
    // Narrow windows put the fields below each other instead of cutting them off.
    .wrap()
    .vertical_spacing(12);

    let new_volume = container(
        button(text("New volume"))
            .style(button::secondary)
            .on_activate(Message::NewVolume(index)),
    )
    .id(format!("vm-new-volume-{index}"));
    let mut disk = column![].spacing(4);
    if volumes.is_empty() {
        disk = disk.push(new_volume);
    } else {
        disk = disk.push(
            row![
                container(focus::pick_list(
                    volumes,
                    volume,
                    move |volume| Message::VolumePicked(index, volume),
                    |list| list.placeholder("Choose its volume").width(220),
                ),)
                .id(format!("vm-volume-{index}")),
                new_volume,
            ]
            .spacing(8)
            .align_y(Center),
        );
    }
    if let Some(found) = profile.volume(&vm.volume) {
        let created = if found.create {
            ", created by Tandem when missing"
        } else {
            ""
        };
        disk = disk.push(
            text(format!(
                "{} in {}{created} (size and name on the Storage page)",
                found.size, profile.storage.volume_group
            ))
            .size(13)
            .style(style::secondary),
        );
    }
    let disk = field("Disk", disk, at(VmField::Volume));

    let kind = BootKind::of(&vm.boot);
    let pick = move |kind| Message::BootPicked(index, kind);
    let boot_kind = focus::choice(
        row![
            container(focus::radio(
                "HVM: installs from an ISO, VNC console",
                BootKind::Hvm,
                Some(kind),
                pick,
            ))
            .id(format!("vm-hvm-{index}")),
            container(focus::radio(
                "PV: boots a kernel from the nodes",
                BootKind::Pv,
                Some(kind),
                pick,
            ))
            .id(format!("vm-pv-{index}")),
        ]
        .spacing(24),
        [BootKind::Hvm, BootKind::Pv],
        Some(kind),
        pick,
    );
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
            .style(style::secondary),
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
    .spacing(16)
    .wrap()
    .vertical_spacing(12);

    let mut body = column![
        first,
        disk,
        field("Boot", boot, Vec::new()),
        boot_fields,
        row![console, mac].spacing(16).wrap().vertical_spacing(12),
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
                    .on_activate(Message::RemoveVm(index))
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
                    .style(style::secondary),
            };
            let no_upload = iso_source.is_some().then(|| {
                button(text("Don't upload").size(14))
                    .style(button::secondary)
                    .on_activate(Message::NoUpload(index))
            });
            let source = field(
                "ISO file on this workstation (optional)",
                row![
                    source_text.width(Fill),
                    container(
                        button(text("Choose…").size(14))
                            .style(button::secondary)
                            .on_activate(Message::BrowseIso(index))
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
        container(focus::pick_list(
            choices,
            Some(selected),
            move |keep| Message::KeepDataPicked(index, keep),
            |list| list.width(Fill),
        ))
        .id(format!("vm-keep-{index}")),
    );
    Some(field(
        "Existing data on the volume",
        body,
        context.problems_at(Field::Vm(index, VmField::KeepDataOn)),
    ))
}
