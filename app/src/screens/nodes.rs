//! Nodes: the cluster's name and how Tandem reaches each node. "Connect" shows an unknown host
//! key for the administrator to confirm before it is pinned, asks for a password only when the
//! node needs one, and then shows what the node has.

use crate::screens::focus::{self, Activate};
use std::path::PathBuf;

use iced::time::Instant;

use iced::widget::{button, column, row, text, text_input};
use iced::{Center, Element};
use wizard_steps::Profile;
use wizard_steps::access::{AccessError, Credentials};
use wizard_steps::facts::NodeFacts;
use wizard_steps::field::{ClusterField, Field, NodeField};
use wizard_steps::pages;
use wizard_steps::profile::{DebianRelease, SshAccess, SshAuth};
use wizard_steps::remote::Secret;

use super::{Context, field, heading, section};
use crate::screens::style;

/// The third connection, after the two nodes': the quorum device's machine (corosync-qnetd
/// runs there), reached through the same flow (host key, secrets) from the Review page.
pub const QUORUM_DEVICE: usize = 2;

/// How Tandem reaches connection `index`: a node's SSH settings, or the quorum device's.
pub fn access(profile: &Profile, index: usize) -> Option<&SshAccess> {
    match index {
        QUORUM_DEVICE => profile
            .cluster
            .quorum_device
            .as_ref()
            .map(|device| &device.ssh),
        _ => profile.nodes.get(index).map(|node| &node.ssh),
    }
}

/// What the app needs to connect to a node (or the quorum device's machine).
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub index: usize,
    pub credentials: Credentials,
    /// A host key fingerprint the administrator confirmed.
    pub accept_fingerprint: Option<String>,
}

/// Where the connection to one node stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Link {
    #[default]
    NotConnected,
    Connecting,
    /// The node's host key is not known: the administrator checks and confirms it.
    ConfirmHostKey {
        fingerprint: String,
    },
    /// The node needs a secret Tandem does not have yet.
    NeedsSecret(SecretKind),
    Connected,
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Password,
    Passphrase,
    SudoPassword,
}

impl SecretKind {
    fn label(self) -> &'static str {
        match self {
            SecretKind::Password => "SSH password",
            SecretKind::Passphrase => "Passphrase of the private key",
            SecretKind::SudoPassword => "sudo password",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    Agent,
    KeyFile,
    Password,
}

/// One node's connection and what it was found to have. Secrets live here, in memory only.
#[derive(Debug, Default)]
struct NodeLink {
    link: Link,
    facts: Option<NodeFacts>,
    /// The port as typed, while it is not a valid port.
    port_text: Option<String>,
    credentials: Credentials,
    /// What is being typed into the secret field.
    secret: String,
    accepted_fingerprint: Option<String>,
    /// The likely cause of the last failed connection, and where to look.
    hint: Option<&'static str>,
    /// When the connection under way was asked for.
    connecting_since: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct State {
    /// Node 1's, node 2's, and the quorum device machine's ([`QUORUM_DEVICE`]).
    links: [NodeLink; 3],
    /// The clock's last tick, while a connection is under way (how long it has waited).
    now: Option<Instant>,
}

impl State {
    pub fn facts(&self) -> [Option<&NodeFacts>; 2] {
        [self.links[0].facts.as_ref(), self.links[1].facts.as_ref()]
    }

    pub fn link(&self, index: usize) -> &Link {
        &self.links[index].link
    }

    /// The quorum device's machine was dropped from the profile, or how it is reached changed:
    /// a session to it no longer counts (the edge closes it).
    pub fn quorum_device_changed(&mut self) -> Action {
        let link = &mut self.links[QUORUM_DEVICE];
        link.accepted_fingerprint = None;
        link.credentials = Credentials::default();
        link.port_text = None;
        match std::mem::take(&mut link.link) {
            Link::Connected | Link::Connecting => Action::Disconnect(QUORUM_DEVICE),
            _ => Action::None,
        }
    }

    /// Whether a connection is under way (the window then ticks every second).
    pub fn connecting(&self) -> bool {
        self.links.iter().any(|link| link.link == Link::Connecting)
    }

    /// Connecting is not needed to design a cluster, but Next waits for a connection under way.
    pub fn can_continue(&self) -> bool {
        !self.links.iter().any(|link| link.link == Link::Connecting)
    }

    pub fn blocked_reason(&self) -> String {
        if self.can_continue() {
            String::new()
        } else {
            "Connecting…".to_owned()
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    ClusterNameChanged(String),
    DebianChanged(DebianRelease),
    HostnameChanged(usize, String),
    HostChanged(usize, String),
    PortChanged(usize, String),
    UserChanged(usize, String),
    AuthChanged(usize, AuthKind),
    KeyPathChanged(usize, String),
    BrowseKeyPressed(usize),
    KeyChosen(usize, Option<PathBuf>),
    SudoToggled(usize, bool),
    SecretChanged(usize, String),
    SecretSubmitted(usize),
    ConnectPressed(usize),
    /// Stop waiting for a connection under way.
    CancelPressed(usize),
    /// A second passed while connecting.
    Tick(Instant),
    TrustPressed(usize),
    RejectPressed(usize),
    DisconnectPressed(usize),
    Connected(usize, Box<Result<NodeFacts, AccessError>>),
    Disconnected,
}
#[derive(Debug)]
pub enum Action {
    None,
    Connect(ConnectRequest),
    BrowseKey(usize),
    Disconnect(usize),
}

pub fn update(state: &mut State, message: Message, profile: &mut Profile) -> Action {
    match message {
        Message::ClusterNameChanged(name) => {
            profile.cluster.name = name;
            Action::None
        }
        Message::DebianChanged(release) => {
            profile.cluster.debian = release;
            Action::None
        }
        Message::HostnameChanged(index, hostname) => {
            if let Some(node) = profile.nodes.get_mut(index) {
                node.hostname = hostname;
            }
            Action::None
        }
        Message::HostChanged(index, host) => {
            edit_access(state, profile, index, |node, _| node.ssh.host = host)
        }
        Message::PortChanged(index, typed) => edit_access(state, profile, index, |node, link| {
            match typed.trim().parse::<u16>() {
                Ok(port) if port > 0 => {
                    node.ssh.port = port;
                    link.port_text = None;
                }
                _ => link.port_text = Some(typed),
            }
        }),
        Message::UserChanged(index, user) => {
            edit_access(state, profile, index, |node, _| node.ssh.user = user)
        }
        Message::AuthChanged(index, kind) => edit_access(state, profile, index, |node, link| {
            node.ssh.auth = match (kind, &node.ssh.auth) {
                (AuthKind::KeyFile, SshAuth::KeyFile { path }) => {
                    SshAuth::KeyFile { path: path.clone() }
                }
                (AuthKind::KeyFile, _) => SshAuth::KeyFile {
                    path: "~/.ssh/id_ed25519".to_owned(),
                },
                (AuthKind::Agent, _) => SshAuth::Agent {},
                (AuthKind::Password, _) => SshAuth::Password {},
            };
            link.credentials = Credentials::default();
        }),
        Message::KeyPathChanged(index, path) => set_key(state, profile, index, path),
        Message::KeyChosen(index, Some(path)) => {
            set_key(state, profile, index, path.display().to_string())
        }
        Message::KeyChosen(_, None) => Action::None,
        Message::BrowseKeyPressed(index) => Action::BrowseKey(index),
        Message::SudoToggled(index, sudo) => {
            edit_access(state, profile, index, |node, _| node.ssh.sudo = sudo)
        }
        Message::SecretChanged(index, secret) => {
            state.links[index].secret = secret;
            Action::None
        }
        Message::SecretSubmitted(index) => {
            let link = &mut state.links[index];
            let secret = Secret::new(std::mem::take(&mut link.secret));
            match link.link {
                Link::NeedsSecret(SecretKind::Password) => link.credentials.password = Some(secret),
                Link::NeedsSecret(SecretKind::Passphrase) => {
                    link.credentials.passphrase = Some(secret)
                }
                Link::NeedsSecret(SecretKind::SudoPassword) => {
                    link.credentials.sudo_password = Some(secret)
                }
                _ => return Action::None,
            }
            connect(state, index)
        }
        Message::ConnectPressed(index) => connect(state, index),
        Message::Tick(now) => {
            state.now = Some(now);
            Action::None
        }
        Message::CancelPressed(index) => {
            let link = &mut state.links[index];
            if link.link == Link::Connecting {
                link.link = Link::NotConnected;
            }
            Action::None
        }
        Message::TrustPressed(index) => {
            let link = &mut state.links[index];
            if let Link::ConfirmHostKey { fingerprint } = &link.link {
                link.accepted_fingerprint = Some(fingerprint.clone());
                connect(state, index)
            } else {
                Action::None
            }
        }
        Message::RejectPressed(index) => {
            state.links[index].link = Link::Failed(
                "Host key not trusted: nothing was sent to the node. Check the address, or the key on the node's console."
                    .to_owned(),
            );
            Action::None
        }
        Message::DisconnectPressed(index) => {
            state.links[index].link = Link::NotConnected;
            state.links[index].facts = None;
            Action::Disconnect(index)
        }
        Message::Connected(index, result) => {
            let link = &mut state.links[index];
            if link.link != Link::Connecting {
                // Cancelled meanwhile: a session that came all the same is closed again.
                return match *result {
                    Ok(_) => Action::Disconnect(index),
                    Err(_) => Action::None,
                };
            }
            let user = access(profile, index)
                .map(|ssh| ssh.user.clone())
                .unwrap_or_default();
            match *result {
                Ok(facts) => {
                    if index != QUORUM_DEVICE {
                        pages::nodes::adopt(profile, index, &facts);
                    }
                    link.facts = Some(facts);
                    link.link = Link::Connected;
                }
                Err(error) => {
                    link.link = match error {
                        AccessError::UnknownHostKey(_) => Link::ConfirmHostKey {
                            fingerprint: error.unknown_fingerprint().unwrap_or_default().to_owned(),
                        },
                        AccessError::PasswordNeeded => Link::NeedsSecret(SecretKind::Password),
                        AccessError::PassphraseNeeded { .. } => {
                            Link::NeedsSecret(SecretKind::Passphrase)
                        }
                        AccessError::SudoPasswordNeeded => {
                            Link::NeedsSecret(SecretKind::SudoPassword)
                        }
                        other => {
                            // A wrong password is asked again, not kept.
                            link.credentials = Credentials::default();
                            link.hint = pages::nodes::connect_hint(&other, &user);
                            Link::Failed(other.to_string())
                        }
                    }
                }
            }
            Action::None
        }
        Message::Disconnected => Action::None,
    }
}

fn set_key(state: &mut State, profile: &mut Profile, index: usize, path: String) -> Action {
    edit_access(state, profile, index, |node, link| {
        node.ssh.auth = SshAuth::KeyFile { path };
        link.credentials.passphrase = None;
    })
}

/// Changes how a node is reached: a session to the old address no longer counts.
fn edit_access(
    state: &mut State,
    profile: &mut Profile,
    index: usize,
    edit: impl FnOnce(&mut wizard_steps::profile::Node, &mut NodeLink),
) -> Action {
    let Some(node) = profile.nodes.get_mut(index) else {
        return Action::None;
    };
    let link = &mut state.links[index];
    edit(node, link);
    link.accepted_fingerprint = None;
    if matches!(link.link, Link::Connected) {
        link.link = Link::NotConnected;
        link.facts = None;
        return Action::Disconnect(index);
    }
    if !matches!(link.link, Link::Connecting) {
        link.link = Link::NotConnected;
    }
    Action::None
}

fn connect(state: &mut State, index: usize) -> Action {
    let link = &mut state.links[index];
    link.link = Link::Connecting;
    link.hint = None;
    link.connecting_since = Some(Instant::now());
    Action::Connect(ConnectRequest {
        index,
        credentials: link.credentials.clone(),
        accept_fingerprint: link.accepted_fingerprint.clone(),
    })
}

const RELEASES: [DebianRelease; 2] = DebianRelease::ALL;

pub fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    let profile = context.profile;
    let cluster = section(
        "Cluster",
        column![
            field(
                "Cluster name (corosync's cluster_name; also the profile's file name)",
                text_input("e.g. office-ha", &profile.cluster.name)
                    .id("cluster-name")
                    .on_input(Message::ClusterNameChanged),
                context.problems_at(Field::Cluster(ClusterField::Name)),
            ),
            field(
                "Debian release on both nodes",
                focus::pick_list(
                    RELEASES,
                    Some(profile.cluster.debian),
                    Message::DebianChanged,
                    std::convert::identity,
                ),
                context.problems_at(Field::Cluster(ClusterField::Debian)),
            ),
        ]
        .spacing(12),
    );
    let mut page = column![
        heading(
            "Nodes",
            "How Tandem reaches the two servers over SSH. Connect to each to check its host key \
             and see what it has; nothing is changed on a node until the Run page.",
        ),
        cluster,
    ]
    .spacing(20);
    for problem in context.problems_at(Field::Nodes) {
        page = page.push(super::problem_text(problem));
    }
    for index in 0..profile.nodes.len().min(2) {
        page = page.push(node_view(state, context, index));
    }
    page.into()
}

fn node_view<'a>(state: &'a State, context: Context<'a>, index: usize) -> Element<'a, Message> {
    let node = &context.profile.nodes[index];
    let link = &state.links[index];
    let at = |field: NodeField| context.problems_at(Field::Node(index, field));
    let auth_kind = match node.ssh.auth {
        SshAuth::Agent {} => AuthKind::Agent,
        SshAuth::KeyFile { .. } => AuthKind::KeyFile,
        SshAuth::Password {} => AuthKind::Password,
    };
    let port_text = link
        .port_text
        .clone()
        .unwrap_or_else(|| node.ssh.port.to_string());
    let mut port_problems = at(NodeField::SshPort);
    let port_error = link.port_text.is_some().then(|| {
        text("a port is a number from 1 to 65535")
            .size(13)
            .style(style::danger)
    });
    port_problems.retain(|_| link.port_text.is_none());
    let address = row![
        field(
            "SSH address",
            text_input("IP address or DNS name", &node.ssh.host)
                .id(format!("node{index}-host"))
                .on_input(move |host| Message::HostChanged(index, host)),
            at(NodeField::SshHost),
        ),
        column![
            field(
                "Port",
                text_input("22", &port_text)
                    .id(format!("node{index}-port"))
                    .width(90)
                    .on_input(move |port| Message::PortChanged(index, port)),
                port_problems,
            ),
            port_error,
        ]
        .width(110),
        field(
            "User",
            text_input("root", &node.ssh.user)
                .id(format!("node{index}-user"))
                .width(160)
                .on_input(move |user| Message::UserChanged(index, user)),
            at(NodeField::SshUser),
        ),
    ]
    .spacing(12);
    let pick = move |kind| Message::AuthChanged(index, kind);
    let auth = focus::choice(
        row![
            text("Sign in with").size(14),
            focus::radio("SSH agent", AuthKind::Agent, Some(auth_kind), pick),
            focus::radio("Key file", AuthKind::KeyFile, Some(auth_kind), pick),
            focus::radio(
                "Password (asked when connecting)",
                AuthKind::Password,
                Some(auth_kind),
                pick,
            ),
        ]
        .spacing(16)
        .align_y(Center),
        [AuthKind::Agent, AuthKind::KeyFile, AuthKind::Password],
        Some(auth_kind),
        pick,
    );
    let key = match &node.ssh.auth {
        SshAuth::KeyFile { path } => Some(
            row![
                field(
                    "Private key file",
                    text_input("~/.ssh/id_ed25519", path)
                        .id(format!("node{index}-key"))
                        .on_input(move |path| Message::KeyPathChanged(index, path)),
                    at(NodeField::SshKeyPath),
                ),
                button(text("Choose…"))
                    .style(button::secondary)
                    .on_activate(Message::BrowseKeyPressed(index)),
            ]
            .spacing(8)
            .align_y(iced::Bottom),
        ),
        _ => None,
    };
    let sudo = focus::checkbox(
        "Not root: run commands through sudo",
        node.ssh.sudo,
        move |sudo| Message::SudoToggled(index, sudo),
    );
    let hostname = field(
        "Hostname (uname -n on the node; filled in when you connect)",
        text_input("e.g. node1", &node.hostname)
            .id(format!("node{index}-hostname"))
            .on_input(move |hostname| Message::HostnameChanged(index, hostname)),
        at(NodeField::Hostname),
    );
    let title = format!("Node {} — {}", index + 1, context.node_name(index));
    section(
        title,
        column![
            address,
            auth,
            key,
            sudo,
            hostname,
            link_view(
                link,
                index,
                true,
                connect_blocker(context, index),
                state.now
            )
        ]
        .spacing(12),
    )
}

mod connection;

use connection::link_view;
pub use connection::{connect_blocker, connection_view};

#[cfg(test)]
mod tests;
