//! The Cluster page's fencing and tie-breaker sections: the method with what it protects
//! against and needs, its settings (each node's BMC, or the SBD disk and watchdog), and the
//! quorum device.

use iced::widget::{column, container, row, text, text_input};
use iced::{Element, Fill};
use wizard_steps::field::{ClusterField, Field, NodeField};
use wizard_steps::pages::cluster::{
    IPMI_EXPLAINED, Method, NO_FENCING_WARNING, QUORUM_DEVICE_EXPLAINED, SBD_EXPLAINED,
};
use wizard_steps::profile::{Fencing, SshAuth};

use super::{Message, State};
use crate::screens::{Context, field, focus, problem_text, section, style, warning};

fn explained<'a>(sentence: &'static str) -> Element<'a, Message> {
    text(sentence).size(13).style(style::secondary).into()
}

pub(super) fn fencing_section<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    let profile = context.profile;
    let chosen = Some(Method::of(&profile.cluster.fencing));
    let choice = |label: &'static str, method: Method, id: &'static str| {
        container(focus::radio(label, method, chosen, Message::FencingPicked)).id(id)
    };
    let choices = column![
        choice(
            "IPMI: the surviving node powers the other off through its BMC (fence_ipmilan)",
            Method::Ipmi,
            "fencing-ipmi",
        ),
        choice(
            "SBD: a node told to die on a shared disk is reset by its watchdog (fence_sbd)",
            Method::Sbd,
            "fencing-sbd",
        ),
        choice("None (not recommended)", Method::None, "fencing-none"),
    ]
    .spacing(8);
    let mut body = column![focus::choice(
        choices,
        [Method::Ipmi, Method::Sbd, Method::None],
        chosen,
        Message::FencingPicked
    )]
    .spacing(8);
    match &profile.cluster.fencing {
        Fencing::Ipmi {} => {
            body = body.push(explained(IPMI_EXPLAINED));
            for index in 0..profile.nodes.len() {
                body = body.push(bmc_box(state, context, index));
            }
            body = body.push(
                text(
                    "The BMC passwords are asked when the setup runs; they are never written to \
                     the profile.",
                )
                .size(13)
                .style(style::secondary),
            );
        }
        Fencing::Sbd { device, softdog } => {
            body = body.push(explained(SBD_EXPLAINED)).push(field(
                "Shared disk (the same on both nodes)",
                text_input("/dev/disk/by-id/wwn-0x…", device)
                    .id("sbd-device")
                    .on_input(Message::SbdDeviceChanged)
                    .width(Fill),
                context.problems_at(Field::Cluster(ClusterField::SbdDevice)),
            ));
            body = body.push(field(
                "Watchdog",
                container(focus::checkbox(
                    "Load Linux's software watchdog (softdog): for nodes without a hardware one",
                    *softdog,
                    Message::SoftdogToggled,
                ))
                .id("softdog"),
                context.problems_at(Field::Cluster(ClusterField::SbdSoftdog)),
            ));
        }
        Fencing::None {
            acknowledge_split_brain_risk,
        } => {
            body = body.push(warning(NO_FENCING_WARNING));
            body = body.push(field(
                "Acknowledgement",
                container(focus::checkbox(
                    "I understand: without fencing, a split brain needs manual recovery",
                    *acknowledge_split_brain_risk,
                    Message::Acknowledged,
                ))
                .id("acknowledge"),
                context.problems_at(Field::Cluster(ClusterField::AcknowledgeSplitBrainRisk)),
            ));
        }
    }
    section(
        "Fencing",
        field(
            "When a node stops answering",
            body,
            context.problems_at(Field::Cluster(ClusterField::Fencing)),
        ),
    )
}

/// Node `index`'s BMC: address, user, lanplus.
fn bmc_box<'a>(state: &'a State, context: Context<'a>, index: usize) -> Element<'a, Message> {
    let node = &context.profile.nodes[index];
    let at = |field: NodeField| context.problems_at(Field::Node(index, field));
    let (address, user, lanplus, cipher) = node.bmc.as_ref().map_or(("", "", true, None), |bmc| {
        (
            bmc.address.as_str(),
            bmc.user.as_str(),
            bmc.lanplus,
            bmc.cipher,
        )
    });
    let typed_cipher = state.cipher_text.get(index).cloned().flatten();
    let mut cipher_problems = at(NodeField::BmcCipher);
    cipher_problems.retain(|_| typed_cipher.is_none());
    let mut cipher_field = column![
        text_input(
            "auto",
            &typed_cipher
                .clone()
                .unwrap_or_else(|| cipher.map(|suite| suite.to_string()).unwrap_or_default())
        )
        .id(format!("bmc-cipher-{index}"))
        .on_input(move |typed| Message::BmcCipherChanged(index, typed))
        .width(90)
    ]
    .spacing(4);
    if typed_cipher.is_some() {
        cipher_field = cipher_field.push(
            text("a cipher suite is a number (3 or 17 on most BMCs), or empty")
                .size(13)
                .style(style::danger),
        );
    }
    let mut node_body = column![
        row![
            field(
                "BMC address",
                text_input("192.168.1.201", address)
                    .id(format!("bmc-address-{index}"))
                    .on_input(move |address| Message::BmcAddressChanged(index, address))
                    .width(240),
                at(NodeField::BmcAddress),
            ),
            field(
                "IPMI user",
                text_input("ADMIN", user)
                    .id(format!("bmc-user-{index}"))
                    .on_input(move |user| Message::BmcUserChanged(index, user))
                    .width(200),
                at(NodeField::BmcUser),
            ),
            field("Cipher suite", cipher_field, cipher_problems),
        ]
        .spacing(16),
        container(focus::checkbox(
            "IPMI v2.0 (lanplus), which almost every current BMC wants",
            lanplus,
            move |on| Message::LanplusToggled(index, on),
        ))
        .id(format!("lanplus-{index}")),
    ]
    .spacing(8);
    for problem in at(NodeField::Bmc)
        .into_iter()
        .chain(at(NodeField::BmcLanplus))
    {
        node_body = node_body.push(problem_text(problem));
    }
    container(column![text(context.node_name(index)).size(16), node_body].spacing(6))
        .padding(8)
        .width(Fill)
        .style(container::rounded_box)
        .into()
}

pub(super) fn quorum_section<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    let device = context.profile.cluster.quorum_device.as_ref();
    let at = |key: ClusterField| context.problems_at(Field::Cluster(key));
    let mut body = column![
        container(focus::toggler(
            "A quorum device: corosync-qnetd on a third machine",
            device.is_some(),
            Message::QuorumDeviceToggled,
        ))
        .id("quorum-device"),
        explained(QUORUM_DEVICE_EXPLAINED),
    ]
    .spacing(8);
    if let Some(device) = device {
        let port_text = state
            .quorum_ssh_port_text
            .clone()
            .unwrap_or_else(|| device.ssh.port.to_string());
        let mut port_problems = at(ClusterField::QuorumSshPort);
        port_problems.retain(|_| state.quorum_ssh_port_text.is_none());
        let mut port_field = column![
            text_input("22", &port_text)
                .id("quorum-ssh-port")
                .on_input(Message::QuorumSshPortChanged)
                .width(90)
        ]
        .spacing(4);
        if state.quorum_ssh_port_text.is_some() {
            port_field = port_field.push(
                text("a port is a number from 1 to 65535")
                    .size(13)
                    .style(style::danger),
            );
        }
        let sign_in = match &device.ssh.auth {
            SshAuth::Agent {} => "the SSH agent".to_owned(),
            SshAuth::KeyFile { path } => format!("the key {path}"),
            SshAuth::Password {} => "a password, asked when the setup runs".to_owned(),
        };
        body = body
            .push(field(
                "Address the nodes reach it at",
                text_input("192.168.1.3", &device.address)
                    .id("quorum-address")
                    .on_input(Message::QuorumAddressChanged)
                    .width(280),
                at(ClusterField::QuorumAddress),
            ))
            .push(
                row![
                    field(
                        "SSH: address Tandem connects to",
                        text_input("192.168.1.3", &device.ssh.host)
                            .id("quorum-ssh-host")
                            .on_input(Message::QuorumSshHostChanged)
                            .width(240),
                        at(ClusterField::QuorumSshHost),
                    ),
                    field("Port", port_field, port_problems),
                    field(
                        "User",
                        text_input("root", &device.ssh.user)
                            .id("quorum-ssh-user")
                            .on_input(Message::QuorumSshUserChanged)
                            .width(140),
                        at(ClusterField::QuorumSshUser),
                    ),
                ]
                .spacing(16),
            )
            .push(
                text(format!(
                    "Tandem signs in with {sign_in}, as on the first node{}.",
                    if device.ssh.sudo {
                        ", through sudo"
                    } else {
                        ""
                    }
                ))
                .size(13)
                .style(style::secondary),
            );
    }
    section(
        "Tie-breaker",
        field(
            "When the two nodes lose each other",
            body,
            at(ClusterField::QuorumDevice),
        ),
    )
}
