//! The quorum device: corosync-qnetd on the third machine, and the TLS certificates that let
//! both nodes' corosync-qdevice talk to it (qnetd's CA on both nodes, one client certificate
//! for the cluster, signed by qnetd). Its steps run before corosync's: the nodes' daemon joins
//! once corosync runs with the device in its configuration.

use crate::remote::{quote, tcp_probe};

use super::builder::{BOTH, Builder, backup_shell};
use super::{Operation, Phase, PhaseKind, QdeviceCertificates, Scope, Step, phase};

/// The nodes' qdevice certificate database.
const NODE_DB: &str = "/etc/corosync/qdevice/net/nssdb";
/// qnetd's certificate database, and its CA certificate as its tools export it.
const QNETD_DB: &str = "/etc/corosync/qnetd/nssdb";
const QNETD_CA: &str = "/etc/corosync/qnetd/nssdb/qnetd-cacert.crt";

/// qnetd installed, its CA made, the service enabled and running.
const QNETD_READY: &str = "dpkg-query -W -f='${Status}' corosync-qnetd 2>/dev/null | grep -q 'install ok installed' && [ -s /etc/corosync/qnetd/nssdb/qnetd-cacert.crt ] && systemctl is-enabled --quiet corosync-qnetd && systemctl is-active --quiet corosync-qnetd";

impl Builder<'_> {
    /// The quorum device's phase; None without one.
    pub(super) fn quorum_device(&self) -> Option<Phase> {
        let device = self.design.cluster.quorum_device.as_ref()?;
        let cluster = &self.design.cluster.name;
        let mut steps = vec![
            Step {
                id: "qnetd-ready".into(),
                scope: Scope::QuorumDevice,
                title: format!("corosync-qnetd runs on {}", device.ssh.host),
                operation: Operation::Command {
                    check: Some(QNETD_READY.into()),
                    apply: format!(
                        "export DEBIAN_FRONTEND=noninteractive; \
                         dpkg-query -W -f='${{Status}}' corosync-qnetd 2>/dev/null | grep -q 'install ok installed' || \
                         {{ apt-get update -qq || true; apt-get install -y -qq --no-install-recommends corosync-qnetd; }} || exit 1; \
                         [ -s {QNETD_CA} ] || corosync-qnetd-certutil -i || exit 1; \
                         systemctl enable corosync-qnetd && systemctl restart corosync-qnetd"
                    ),
                    verify: Some(QNETD_READY.into()),
                },
                destructive: None,
                disruptive: None,
            },
            Step {
                id: "qdevice-certificates".into(),
                scope: Scope::Cluster,
                title: format!(
                    "both nodes trust qnetd on {} and hold the cluster's certificate",
                    device.ssh.host
                ),
                operation: qdevice_certificates(cluster),
                destructive: None,
                disruptive: None,
            },
        ];
        for node in BOTH {
            steps.push(self.step(
                "qnetd-reachable".into(),
                node,
                format!(
                    "{} reaches qnetd at {}:{}",
                    self.hostname(node),
                    device.address,
                    device.port
                ),
                Operation::Require {
                    check: tcp_probe(&device.address, device.port, 10),
                    failure: format!(
                        "{} cannot open a connection to qnetd at {}:{}: check the address the nodes reach the quorum device at, and that no firewall between them closes TCP port {}",
                        self.hostname(node),
                        device.address,
                        device.port,
                        device.port
                    ),
                },
            ));
        }
        Some(phase(
            PhaseKind::QuorumDevice,
            "Quorum device",
            false,
            steps,
        ))
    }

    /// The nodes' corosync-qdevice, once corosync runs with the device (after the corosync
    /// phases, which may only reload it): enabled, running, and connected to qnetd.
    pub(super) fn quorum_device_votes(&self) -> Option<Phase> {
        self.design.cluster.quorum_device.as_ref()?;
        let steps = BOTH
            .iter()
            .flat_map(|&node| self.qdevice_service(node))
            .collect();
        Some(phase(
            PhaseKind::QuorumDeviceVotes,
            "The quorum device votes",
            false,
            steps,
        ))
    }

    /// Without a quorum device in the profile, a node whose corosync-qdevice still starts at
    /// boot (an earlier profile had one): the daemon stopped and disabled, after the corosync
    /// phases took the device out of corosync's configuration. None when no node has it.
    pub(super) fn quorum_device_retired(&self) -> Option<Phase> {
        if self.design.cluster.quorum_device.is_some() {
            return None;
        }
        const OFF: &str = "! systemctl is-enabled --quiet corosync-qdevice && ! systemctl is-active --quiet corosync-qdevice";
        let steps: Vec<Step> = BOTH
            .iter()
            .filter(|&&node| self.facts[node].enabled("corosync-qdevice"))
            .map(|&node| {
                self.step(
                    "qdevice-retired".into(),
                    node,
                    "corosync-qdevice stopped and disabled (no quorum device in the profile)"
                        .into(),
                    Operation::Command {
                        check: Some(OFF.into()),
                        // Once corosync runs without the device the daemon exits in error:
                        // its "failed" state is cleared too.
                        apply: "systemctl disable --now corosync-qdevice && { systemctl reset-failed corosync-qdevice 2>/dev/null || true; }".into(),
                        verify: Some(OFF.into()),
                    },
                )
            })
            .collect();
        (!steps.is_empty()).then(|| {
            phase(
                PhaseKind::QuorumDeviceRetired,
                "The quorum device retired",
                false,
                steps,
            )
        })
    }

    fn qdevice_service(&self, node: usize) -> Vec<Step> {
        const RUNNING: &str = "systemctl is-enabled --quiet corosync-qdevice && systemctl is-active --quiet corosync-qdevice";
        vec![
            self.step(
                "qdevice-service".into(),
                node,
                "corosync-qdevice enabled and running".into(),
                Operation::Command {
                    check: Some(RUNNING.into()),
                    apply:
                        "systemctl enable corosync-qdevice && systemctl restart corosync-qdevice"
                            .into(),
                    verify: Some(RUNNING.into()),
                },
            ),
            self.step(
                "qdevice-connected".into(),
                node,
                "corosync-qdevice connected to qnetd".into(),
                Operation::WaitUntil {
                    condition: QDEVICE_CONNECTED.into(),
                    timeout_secs: 120,
                },
            ),
        ]
    }
}

/// A running corosync-qdevice reads its certificates when it starts: after new ones, it is
/// restarted (a daemon not running yet is left alone).
const RESTART_QDEVICE: &str = "{ systemctl try-restart corosync-qdevice 2>/dev/null || true; }";

/// The node's qdevice daemon is connected to qnetd (`corosync-qdevice-tool -s`, which
/// separates its labels from their values with tabs: "State:\t\t\tConnected").
pub const QDEVICE_CONNECTED: &str =
    "corosync-qdevice-tool -s 2>/dev/null | grep -qE '^[[:space:]]*State:[[:space:]]+Connected$'";

/// The certificate exchange (see [`QdeviceCertificates`]): every command here, with
/// what the runner carries between the machines in `$CA`, `$REQUEST`, `$CERT` and `$P12`
/// (base64 for the binary ones).
fn qdevice_certificates(cluster: &str) -> Operation {
    // The CA and certificates as a comparable text: the PEM's base64 lines.
    // (qnetd's export file has a text dump of the certificate before its PEM block.)
    let ca_body = |source: &str| {
        format!(
            "{source} | sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' | grep -v -e '-----' | tr -d ' \\r\\n'"
        )
    };
    // A database of an earlier qnetd (or a half-made one) is kept in /var/backups/tandem.
    let init_node_db = format!(
        "{backup}; t=$(mktemp -d) && printf '%s\\n' \"$CA\" > \"$t/qnetd-cacert.crt\" && corosync-qdevice-net-certutil -i -c \"$t/qnetd-cacert.crt\" >/dev/null",
        backup = backup_shell(NODE_DB, "mv"),
    );
    Operation::QdeviceCertificates(QdeviceCertificates {
        ca: format!("cat {QNETD_CA}"),
        // The node trusts this qnetd's CA, and holds the cluster's certificate (its key too),
        // valid for a TLS client by that CA and naming this cluster.
        check: format!(
            "have=$({have}); want=$({want}); [ -n \"$have\" ] && [ \"$have\" = \"$want\" ] && certutil -V -u C -n 'Cluster Cert' -d {NODE_DB} 2>/dev/null | grep -q 'certificate is valid' && certutil -K -d {NODE_DB} -f {NODE_DB}/pwdfile.txt 2>/dev/null | grep -q 'Cluster Cert' && certutil -L -d {NODE_DB} -n 'Cluster Cert' 2>/dev/null | grep -qF {subject}",
            have = ca_body(&format!(
                "certutil -L -d {NODE_DB} -n 'QNet CA' -a 2>/dev/null"
            )),
            want = ca_body("printf '%s\\n' \"$CA\""),
            subject = quote(&format!("CN={cluster}")),
        ),
        request: format!(
            "set -e; {init_node_db}; corosync-qdevice-net-certutil -r -n {cluster} >/dev/null; base64 -w0 {NODE_DB}/qdevice-net-node.crq; rm -rf \"$t\"",
            cluster = quote(cluster),
        ),
        sign: format!(
            "set -e; t=$(mktemp -d); printf '%s' \"$REQUEST\" | base64 -d > \"$t/qdevice-net-node.crq\"; rm -f {crt}; corosync-qnetd-certutil -s -c \"$t/qdevice-net-node.crq\" -n {cluster} >/dev/null; [ -s {crt} ]; base64 -w0 {crt}; rm -rf \"$t\"",
            cluster = quote(cluster),
            crt = quote(&format!("{QNETD_DB}/cluster-{cluster}.crt")),
        ),
        import: format!(
            "set -e; t=$(mktemp -d); printf '%s' \"$CERT\" | base64 -d > \"$t/cluster.crt\"; rm -f {NODE_DB}/qdevice-net-node.p12; corosync-qdevice-net-certutil -M -c \"$t/cluster.crt\" >/dev/null; [ -s {NODE_DB}/qdevice-net-node.p12 ]; {RESTART_QDEVICE}; base64 -w0 {NODE_DB}/qdevice-net-node.p12; rm -rf \"$t\""
        ),
        import_peer: format!(
            "set -e; {init_node_db}; printf '%s' \"$P12\" | base64 -d > \"$t/qdevice-net-node.p12\"; corosync-qdevice-net-certutil -m -c \"$t/qdevice-net-node.p12\" >/dev/null; {RESTART_QDEVICE}; rm -rf \"$t\""
        ),
    })
}
