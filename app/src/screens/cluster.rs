//! Cluster: what happens when a failed node comes back (failback), how a node that stops
//! answering is fenced, the tie-breaker (quorum device), corosync's encryption, DRBD's options and (experimental) live
//! migration.

use std::fmt;

use iced::Element;
use iced::widget::{column, container, row, text, text_input};
use wizard_steps::Profile;
use wizard_steps::facts::NodeFacts;
use wizard_steps::field::{ClusterField, Field, NodeField};
use wizard_steps::pages::Page;
use wizard_steps::pages::cluster::{self, Method};
use wizard_steps::profile::{Bmc, DrbdProtocol, Failback, Fencing, VerifyAlg};

use super::Screen;
use super::{Context, field, heading, problem_text, section, warning};
use crate::screens::{focus, style};

/// The failback window offered first: overnight.
const DEFAULT_WINDOW: (u8, u8) = (22, 6);

#[derive(Debug, Default)]
pub struct State {
    /// The window's hours while another policy is chosen, so that switching back restores
    /// them.
    window: Option<(u8, u8)>,
    /// The SBD disk and softdog choice while another fencing method is chosen.
    sbd: Option<(String, bool)>,
    /// The quorum device's SSH port as typed, while it is not a valid port.
    quorum_ssh_port_text: Option<String>,
    /// Each node's BMC cipher suite as typed, while it is not a number.
    cipher_text: [Option<String>; 2],
}

/// The failback policies, as the radio buttons offer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailbackChoice {
    ReturnHome,
    Stay,
    Window,
}

/// An hour of the day, shown as "22:00".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hour(pub u8);

impl fmt::Display for Hour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:00", self.0)
    }
}

/// A verify algorithm, shown as DRBD spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alg(pub VerifyAlg);

impl Alg {
    const ALL: [Alg; 4] = [
        Alg(VerifyAlg::Md5),
        Alg(VerifyAlg::Sha1),
        Alg(VerifyAlg::Sha256),
        Alg(VerifyAlg::Crc32c),
    ];
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// The page as the app and its tests drive it.
#[derive(Debug)]
pub struct ClusterPage;

impl Screen for ClusterPage {
    type State = State;
    type Message = Message;
    type Action = ();
    const PAGE: Page = Page::Cluster;

    fn update(
        state: &mut State,
        message: Message,
        profile: &mut Profile,
        _facts: [Option<&NodeFacts>; 2],
    ) {
        let settings = &mut profile.cluster;
        match message {
            Message::FailbackPicked(choice) => {
                if let Failback::Window {
                    start_hour,
                    end_hour,
                } = settings.failback
                {
                    state.window = Some((start_hour, end_hour));
                }
                settings.failback = match choice {
                    FailbackChoice::ReturnHome => Failback::ReturnHome {},
                    FailbackChoice::Stay => Failback::Stay {},
                    FailbackChoice::Window => {
                        let (start_hour, end_hour) = state.window.unwrap_or(DEFAULT_WINDOW);
                        Failback::Window {
                            start_hour,
                            end_hour,
                        }
                    }
                };
            }
            Message::StartHourPicked(Hour(hour)) => {
                if let Failback::Window { start_hour, .. } = &mut settings.failback {
                    *start_hour = hour;
                }
            }
            Message::EndHourPicked(Hour(hour)) => {
                if let Failback::Window { end_hour, .. } = &mut settings.failback {
                    *end_hour = hour;
                }
            }
            Message::FencingPicked(method) => {
                if let Fencing::Sbd { device, softdog } = &settings.fencing {
                    state.sbd = Some((device.clone(), *softdog));
                }
                let sbd = state.sbd.clone().unwrap_or_default();
                cluster::set_fencing(profile, method, sbd);
            }
            Message::SbdDeviceChanged(typed) => {
                if let Fencing::Sbd { device, .. } = &mut settings.fencing {
                    *device = typed;
                }
            }
            Message::SoftdogToggled(on) => {
                if let Fencing::Sbd { softdog, .. } = &mut settings.fencing {
                    *softdog = on;
                }
            }
            Message::QuorumDeviceToggled(on) => {
                state.quorum_ssh_port_text = None;
                cluster::set_quorum_device(profile, on);
            }
            Message::QuorumAddressChanged(address) => {
                if let Some(device) = &mut settings.quorum_device {
                    device.address = address;
                }
            }
            Message::QuorumSshHostChanged(host) => {
                if let Some(device) = &mut settings.quorum_device {
                    device.ssh.host = host;
                }
            }
            Message::QuorumSshPortChanged(typed) => {
                if let Some(device) = &mut settings.quorum_device {
                    match typed.trim().parse::<u16>() {
                        Ok(port) if port > 0 => {
                            device.ssh.port = port;
                            state.quorum_ssh_port_text = None;
                        }
                        _ => state.quorum_ssh_port_text = Some(typed),
                    }
                }
            }
            Message::QuorumSshUserChanged(user) => {
                if let Some(device) = &mut settings.quorum_device {
                    device.ssh.user = user;
                }
            }
            Message::Acknowledged(acknowledged) => {
                if let Fencing::None {
                    acknowledge_split_brain_risk,
                } = &mut settings.fencing
                {
                    *acknowledge_split_brain_risk = acknowledged;
                }
            }
            Message::BmcAddressChanged(index, address) => {
                if let Some(bmc) = bmc(profile, index) {
                    bmc.address = address;
                }
            }
            Message::BmcUserChanged(index, user) => {
                if let Some(bmc) = bmc(profile, index) {
                    bmc.user = user;
                }
            }
            Message::BmcCipherChanged(index, typed) => {
                if let Some(bmc) = bmc(profile, index) {
                    let typed_text = typed.trim();
                    let parsed = if typed_text.is_empty() {
                        Some(None)
                    } else {
                        typed_text.parse::<u8>().ok().map(Some)
                    };
                    let text = state.cipher_text.get_mut(index);
                    match parsed {
                        Some(cipher) => {
                            bmc.cipher = cipher;
                            if let Some(text) = text {
                                *text = None;
                            }
                        }
                        None => {
                            if let Some(text) = text {
                                *text = Some(typed);
                            }
                        }
                    }
                }
            }
            Message::LanplusToggled(index, lanplus) => {
                if let Some(bmc) = bmc(profile, index) {
                    bmc.lanplus = lanplus;
                }
            }
            Message::CorosyncCryptoToggled(on) => settings.corosync_crypto = on,
            Message::ProtocolPicked(protocol) => settings.drbd.protocol = protocol,
            Message::ResyncRateChanged(rate) => settings.drbd.resync_rate = rate,
            Message::VerifyAlgPicked(Alg(alg)) => settings.drbd.verify_alg = alg,
            Message::SkipInitialSyncToggled(skip) => {
                settings.drbd.skip_initial_sync_when_blank = skip;
            }
            Message::LiveMigrationToggled(on) => settings.live_migration = on,
        }
    }

    fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
        let profile = context.profile;
        let mut page = column![heading(
            "Cluster",
            "How the cluster behaves when a node fails and comes back, and how it replicates."
        )]
        .spacing(20);
        let placed = placed_fields(profile);
        let elsewhere = context.problems_elsewhere(Page::Cluster, &placed);
        if !elsewhere.is_empty() {
            page = page.push(column(elsewhere.into_iter().map(problem_text)).spacing(4));
        }
        page.push(failback_section(context))
            .push(fencing::fencing_section(state, context))
            .push(fencing::quorum_section(state, context))
            .push(corosync_section(context))
            .push(drbd_section(context))
            .push(migration_section(context))
            .into()
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    FailbackPicked(FailbackChoice),
    StartHourPicked(Hour),
    EndHourPicked(Hour),
    FencingPicked(Method),
    Acknowledged(bool),
    SbdDeviceChanged(String),
    SoftdogToggled(bool),
    QuorumDeviceToggled(bool),
    QuorumAddressChanged(String),
    QuorumSshHostChanged(String),
    QuorumSshPortChanged(String),
    QuorumSshUserChanged(String),
    BmcAddressChanged(usize, String),
    BmcUserChanged(usize, String),
    LanplusToggled(usize, bool),
    BmcCipherChanged(usize, String),
    CorosyncCryptoToggled(bool),
    ProtocolPicked(DrbdProtocol),
    ResyncRateChanged(String),
    VerifyAlgPicked(Alg),
    SkipInitialSyncToggled(bool),
    LiveMigrationToggled(bool),
}

/// Node `index`'s BMC, made when missing.
fn bmc(profile: &mut Profile, index: usize) -> Option<&mut Bmc> {
    profile
        .nodes
        .get_mut(index)
        .map(|node| node.bmc.get_or_insert_with(Bmc::blank))
}

/// The fields this page shows problems under; its other problems are listed at the top.
fn placed_fields(profile: &Profile) -> Vec<Field> {
    let mut fields: Vec<Field> = [
        ClusterField::Failback,
        ClusterField::FailbackStartHour,
        ClusterField::FailbackEndHour,
        ClusterField::Fencing,
        ClusterField::AcknowledgeSplitBrainRisk,
        ClusterField::SbdDevice,
        ClusterField::SbdSoftdog,
        ClusterField::QuorumDevice,
        ClusterField::CorosyncCrypto,
        ClusterField::DrbdProtocol,
        ClusterField::DrbdResyncRate,
        ClusterField::DrbdVerifyAlg,
        ClusterField::DrbdSkipInitialSync,
        ClusterField::LiveMigration,
    ]
    .map(Field::Cluster)
    .to_vec();
    if profile.cluster.quorum_device.is_some() {
        fields.extend(
            [
                ClusterField::QuorumAddress,
                ClusterField::QuorumSshHost,
                ClusterField::QuorumSshPort,
                ClusterField::QuorumSshUser,
            ]
            .map(Field::Cluster),
        );
    }
    if matches!(profile.cluster.fencing, Fencing::Ipmi {}) {
        for index in 0..profile.nodes.len() {
            for key in [
                NodeField::Bmc,
                NodeField::BmcAddress,
                NodeField::BmcUser,
                NodeField::BmcLanplus,
                NodeField::BmcCipher,
            ] {
                fields.push(Field::Node(index, key));
            }
        }
    }
    fields
}

fn failback_section<'a>(context: Context<'a>) -> Element<'a, Message> {
    let failback = &context.profile.cluster.failback;
    let chosen = Some(match failback {
        Failback::ReturnHome {} => FailbackChoice::ReturnHome,
        Failback::Stay {} => FailbackChoice::Stay,
        Failback::Window { .. } => FailbackChoice::Window,
    });
    let choice = |label: &str, value: FailbackChoice, id: &'static str| {
        container(focus::radio(label, value, chosen, Message::FailbackPicked)).id(id)
    };
    let choices = column![
        choice(
            "Return home: VMs move back to their home node as soon as it is back",
            FailbackChoice::ReturnHome,
            "failback-return-home",
        ),
        choice(
            "Stay: VMs stay where they run until an administrator moves them",
            FailbackChoice::Stay,
            "failback-stay",
        ),
        choice(
            "Window: VMs move back only during the hours below (local time on the nodes)",
            FailbackChoice::Window,
            "failback-window",
        ),
    ]
    .spacing(8);
    let mut body = column![focus::choice(
        choices,
        [
            FailbackChoice::ReturnHome,
            FailbackChoice::Stay,
            FailbackChoice::Window
        ],
        chosen,
        Message::FailbackPicked
    )]
    .spacing(8);
    if let Failback::Window {
        start_hour,
        end_hour,
    } = *failback
    {
        let hours: Vec<Hour> = (0..24).map(Hour).collect();
        body = body.push(
            row![
                field(
                    "From",
                    container(focus::pick_list(
                        hours.clone(),
                        Some(Hour(start_hour)),
                        Message::StartHourPicked,
                        |list| list.width(110),
                    ))
                    .id("failback-start"),
                    context.problems_at(Field::Cluster(ClusterField::FailbackStartHour)),
                ),
                field(
                    "Until",
                    container(focus::pick_list(
                        hours,
                        Some(Hour(end_hour)),
                        Message::EndHourPicked,
                        |list| { list.width(110) }
                    ))
                    .id("failback-end"),
                    context.problems_at(Field::Cluster(ClusterField::FailbackEndHour)),
                ),
            ]
            .spacing(16),
        );
        if start_hour != end_hour && start_hour < 24 && end_hour < 24 {
            let wraps = if end_hour < start_hour {
                " (past midnight)"
            } else {
                ""
            };
            body = body.push(
                text(format!(
                    "VMs return home between {} and {}{wraps}; outside it they stay where they run.",
                    Hour(start_hour),
                    Hour(end_hour)
                ))
                .size(13)
                .style(style::secondary),
            );
        }
    }
    section(
        "Failback",
        field(
            "When a failed home node is back",
            body,
            context.problems_at(Field::Cluster(ClusterField::Failback)),
        ),
    )
}

fn corosync_section<'a>(context: Context<'a>) -> Element<'a, Message> {
    let on = context.profile.cluster.corosync_crypto;
    let mut body = column![
        container(focus::toggler(
            "Encrypt and authenticate corosync's traffic with a shared key",
            on,
            Message::CorosyncCryptoToggled,
        ))
        .id("corosync-crypto")
    ]
    .spacing(6);
    if !on {
        body = body.push(warning(
            "Without it, anyone on the cluster link can read corosync's messages and send \
             forged ones that disturb the cluster.",
        ));
    }
    section(
        "Cluster messages",
        field(
            "Encryption",
            body,
            context.problems_at(Field::Cluster(ClusterField::CorosyncCrypto)),
        ),
    )
}

fn drbd_section<'a>(context: Context<'a>) -> Element<'a, Message> {
    let drbd = &context.profile.cluster.drbd;
    let chosen = Some(drbd.protocol);
    let protocol = |label: &str, value: DrbdProtocol, id: &'static str| {
        container(focus::radio(label, value, chosen, Message::ProtocolPicked)).id(id)
    };
    let protocols = column![
        protocol(
            "A: asynchronous, a write is done once it is on the local disk and sent",
            DrbdProtocol::A,
            "protocol-a",
        ),
        protocol(
            "B: a write is done once it is in the peer's memory",
            DrbdProtocol::B,
            "protocol-b",
        ),
        protocol(
            "C: synchronous, a write is done once it is on both disks (recommended)",
            DrbdProtocol::C,
            "protocol-c",
        ),
    ]
    .spacing(8);
    let body = column![
        field(
            "Replication protocol",
            focus::choice(
                protocols,
                [DrbdProtocol::A, DrbdProtocol::B, DrbdProtocol::C],
                chosen,
                Message::ProtocolPicked
            ),
            context.problems_at(Field::Cluster(ClusterField::DrbdProtocol)),
        ),
        row![
            field(
                "Resync rate (bytes per second, unit K, M or G)",
                text_input("100M", &drbd.resync_rate)
                    .id("resync-rate")
                    .on_input(Message::ResyncRateChanged)
                    .width(160),
                context.problems_at(Field::Cluster(ClusterField::DrbdResyncRate)),
            ),
            field(
                "Verify algorithm (drbdadm verify)",
                container(focus::pick_list(
                    Alg::ALL,
                    Some(Alg(drbd.verify_alg)),
                    Message::VerifyAlgPicked,
                    |list| list.width(160),
                ))
                .id("verify-alg"),
                context.problems_at(Field::Cluster(ClusterField::DrbdVerifyAlg)),
            ),
        ]
        .spacing(24),
        text(
            "The resync rate caps how fast DRBD copies a volume after an outage: leave room for \
             the VMs' own traffic on the link.",
        )
        .size(13)
        .style(style::secondary),
        field(
            "Initial sync",
            container(focus::checkbox(
                "Skip the initial full sync when both copies of a volume are blank",
                drbd.skip_initial_sync_when_blank,
                Message::SkipInitialSyncToggled,
            ))
            .id("skip-initial-sync"),
            context.problems_at(Field::Cluster(ClusterField::DrbdSkipInitialSync)),
        ),
    ]
    .spacing(12);
    section("DRBD replication", body)
}

fn migration_section<'a>(context: Context<'a>) -> Element<'a, Message> {
    let on = context.profile.cluster.live_migration;
    let body = column![
        container(focus::toggler(
            "Live migration (experimental)",
            on,
            Message::LiveMigrationToggled,
        ))
        .id("live-migration"),
        text(
            "Experimental: DRBD runs dual-primary so that Xen can move a running VM to the \
             other node without stopping it; it needs protocol C. Off, a VM moves by stopping \
             on one node and starting on the other.",
        )
        .size(13)
        .style(if on { style::warning } else { style::secondary }),
    ]
    .spacing(6);
    section(
        "Live migration",
        field(
            "Dual-primary DRBD",
            body,
            context.problems_at(Field::Cluster(ClusterField::LiveMigration)),
        ),
    )
}

mod fencing;
#[cfg(test)]
mod tests;
