//! The nodes: hostnames, addresses on the LAN and the replication link, SSH access.

use crate::design::{NodeDesign, Subnet};
use crate::field::ClusterField;
use crate::field::{Field, NodeField};
use crate::profile::{Fencing, Profile, SshAccess, SshAuth};

use super::syntax::{
    is_host_name_or_address, is_hostname, is_user_name, looks_like_ipv4, same_value,
};
use super::{Checker, kinds};

/// The highest cipher suite ipmitool knows (17: HMAC-SHA256 with AES).
const MAX_CIPHER_SUITE: u8 = 17;

impl Checker {
    pub(super) fn nodes(&mut self, profile: &Profile) -> Option<(Subnet, [NodeDesign; 2])> {
        if profile.nodes.len() != 2 {
            self.report(
                Field::Nodes,
                format!(
                    "a Tandem cluster has exactly two nodes, this profile has {}",
                    profile.nodes.len()
                ),
                "describe exactly two nodes",
            );
        }
        let mut parsed = Vec::new();
        let mut lans = Vec::new();
        for (index, node) in profile.nodes.iter().enumerate() {
            let at = |field: NodeField| Field::Node(index, field);
            if !is_hostname(&node.hostname) {
                self.report(
                    at(NodeField::Hostname),
                    format!("\"{}\" is not a valid hostname", node.hostname),
                    "use the node's `uname -n`: letters, digits and '-' (dots between labels), at most 63 characters",
                );
            }
            self.ssh(&node.ssh, &SshFields::node(index), "the node");
            let lan = self.interface_address(at(NodeField::LanAddress), &node.lan.address);
            if let Err(broken) = kinds::interface_name(&node.lan.nic) {
                self.broken(at(NodeField::LanNic), broken);
            }
            if node.lan.nic == profile.network.bridge {
                self.report(
                    at(NodeField::LanNic),
                    "the LAN NIC has the bridge's own name",
                    "name the physical NIC here; the bridge is network.bridge",
                );
            }
            let gateway = node.lan.gateway.as_deref().and_then(|text| {
                self.ipv4(
                    at(NodeField::LanGateway),
                    text,
                    "write the router's IPv4 address, e.g. 192.168.1.254",
                )
            });
            if let (Some((address, subnet)), Some(gateway)) = (lan, gateway)
                && (!subnet.is_host(gateway) || gateway == address)
            {
                self.report(
                    at(NodeField::LanGateway),
                    format!("{gateway} is not another host on the node's LAN {subnet}"),
                    "use the router's address on the LAN, or leave the gateway out",
                );
            }
            let replication = self.ipv4(
                at(NodeField::ReplicationAddress),
                &node.replication_address,
                "write the node's IPv4 address on the cluster link (the LAN address when there is no separate link)",
            );
            if node.dom0_memory_mib < 512 {
                self.report(
                    at(NodeField::Dom0Memory),
                    format!("{} MiB is too little for dom0", node.dom0_memory_mib),
                    "reserve at least 512 MiB (1024 or more is comfortable)",
                );
            }
            match (&profile.cluster.fencing, &node.bmc) {
                (Fencing::Ipmi {}, None) => self.report(
                    at(NodeField::Bmc),
                    "IPMI fencing needs this node's BMC",
                    "give this node's BMC address and user",
                ),
                (Fencing::Ipmi {}, Some(bmc)) => {
                    if !is_host_name_or_address(&bmc.address) {
                        self.report(
                            at(NodeField::BmcAddress),
                            format!("\"{}\" is not an address", bmc.address),
                            "write the BMC's IP address or DNS name",
                        );
                    }
                    if let Err(broken) = kinds::bmc_user(&bmc.user) {
                        self.broken(at(NodeField::BmcUser), broken);
                    }
                    match bmc.cipher {
                        Some(_) if !bmc.lanplus => self.report(
                            at(NodeField::BmcCipher),
                            "a cipher suite is chosen, but not IPMI v2.0 (lanplus), which has them",
                            "turn lanplus on, or leave the cipher suite to the BMC",
                        ),
                        Some(cipher) if cipher > MAX_CIPHER_SUITE => self.report(
                            at(NodeField::BmcCipher),
                            format!("{cipher} is not an IPMI cipher suite"),
                            format!(
                                "use 0 to {MAX_CIPHER_SUITE} (3 or 17 on most BMCs), or leave it to the BMC"
                            ),
                        ),
                        _ => {}
                    }
                }
                (Fencing::Sbd { .. } | Fencing::None { .. }, _) => {}
            }
            if let (Some((address, _)), Some(replication)) = (lan, replication) {
                parsed.push(NodeDesign {
                    hostname: node.hostname.clone(),
                    node_id: index as u32 + 1,
                    ssh: node.ssh.clone(),
                    nic: node.lan.nic.clone(),
                    lan_address: address,
                    gateway,
                    replication_address: replication,
                    dom0_memory_mib: node.dom0_memory_mib,
                    bmc: node.bmc.clone(),
                });
            }
            lans.push(lan);
        }
        if let [
            Some((first_address, first_subnet)),
            Some((_, second_subnet)),
        ] = lans.as_slice()
            && first_subnet != second_subnet
        {
            self.report(
                Field::Node(1, NodeField::LanAddress),
                format!("node 2 is on {second_subnet}, node 1 ({first_address}) on {first_subnet}"),
                "put both nodes on the same LAN, with the same prefix length",
            );
        }
        if let [first, second] = profile.nodes.as_slice() {
            self.differ(
                Field::Node(1, NodeField::Hostname),
                &first.hostname,
                &second.hostname,
                "hostname",
            );
            if same_value(&first.ssh.host, &second.ssh.host) && first.ssh.port == second.ssh.port {
                self.report(
                    Field::Node(1, NodeField::SshHost),
                    format!(
                        "both nodes are reached at {}:{}",
                        second.ssh.host, second.ssh.port
                    ),
                    "give each node its own SSH address or port",
                );
            }
            self.differ(
                Field::Node(1, NodeField::LanAddress),
                &first.lan.address,
                &second.lan.address,
                "LAN address",
            );
            self.differ(
                Field::Node(1, NodeField::ReplicationAddress),
                &first.replication_address,
                &second.replication_address,
                "replication address",
            );
            if let (Some(a), Some(b)) = (&first.bmc, &second.bmc)
                && matches!(profile.cluster.fencing, Fencing::Ipmi {})
            {
                self.differ(
                    Field::Node(1, NodeField::BmcAddress),
                    &a.address,
                    &b.address,
                    "BMC address",
                );
            }
        }
        let (_, subnet) = lans.first().copied().flatten()?;
        let [first, second]: [NodeDesign; 2] = parsed.try_into().ok()?;
        Some((subnet, [first, second]))
    }

    /// An SSH access (a node's or the quorum device machine's), its problems reported at
    /// `fields`; `machine` names it in the fixes ("the node").
    pub(super) fn ssh(&mut self, ssh: &SshAccess, fields: &SshFields, machine: &str) {
        if looks_like_ipv4(&ssh.host) && ssh.host.parse::<std::net::Ipv4Addr>().is_err() {
            self.report(
                fields.host,
                format!("\"{}\" is not an IPv4 address", ssh.host),
                format!(
                    "write four numbers from 0 to 255 separated by dots (e.g. 192.168.1.10), or \
                     {machine}'s DNS name"
                ),
            );
        } else if !is_host_name_or_address(&ssh.host) {
            self.report(
                fields.host,
                format!("\"{}\" is not a host name or address", ssh.host),
                "write the address or DNS name Tandem connects to",
            );
        }
        if ssh.port == 0 {
            self.report(
                fields.port,
                "port 0 cannot be connected to",
                format!("use {machine}'s SSH port (22 normally)"),
            );
        }
        if !is_user_name(&ssh.user) {
            self.report(
                fields.user,
                format!("\"{}\" is not a user name", ssh.user),
                "use a login name of lower-case letters, digits, '_' or '-'",
            );
        } else if ssh.user != "root" && !ssh.sudo {
            self.report(
                fields.sudo,
                format!("\"{}\" is not root, and setup needs root", ssh.user),
                "let Tandem use sudo (the user must be allowed to), or log in as root",
            );
        }
        if let SshAuth::KeyFile { path } = &ssh.auth
            && path.trim().is_empty()
        {
            self.report(
                fields.key_path,
                "the private key file is not named",
                "choose the private key file (e.g. ~/.ssh/id_ed25519), or use the agent",
            );
        }
    }
}

/// Where the fields of one SSH access are in the profile.
pub(super) struct SshFields {
    host: Field,
    port: Field,
    user: Field,
    key_path: Field,
    sudo: Field,
}

impl SshFields {
    fn node(index: usize) -> SshFields {
        let at = |field: NodeField| Field::Node(index, field);
        SshFields {
            host: at(NodeField::SshHost),
            port: at(NodeField::SshPort),
            user: at(NodeField::SshUser),
            key_path: at(NodeField::SshKeyPath),
            sudo: at(NodeField::SshSudo),
        }
    }

    pub(super) fn quorum_device() -> SshFields {
        let at = Field::Cluster;
        SshFields {
            host: at(ClusterField::QuorumSshHost),
            port: at(ClusterField::QuorumSshPort),
            user: at(ClusterField::QuorumSshUser),
            key_path: at(ClusterField::QuorumSshKeyPath),
            sudo: at(ClusterField::QuorumSshSudo),
        }
    }
}
