//! The bridge the VMs attach to: its ifupdown stanza, and the hand-over of the NIC to it (armed
//! with a revert that brings the node's network back when the node is not reachable after).

use crate::remote::quote;
use crate::render::paths;

use super::builder::{BOTH, Builder};
use super::{Operation, Phase, PhaseKind, phase};

impl Builder<'_> {
    pub(super) fn bridge(&self) -> Phase {
        let bridge = &self.design.network.bridge;
        let stanza = paths::bridge_stanza(bridge);
        let steps = BOTH
            .iter()
            .flat_map(|&node| {
                let nic = &self.design.nodes[node].nic;
                let address = format!("{}/{}", self.design.nodes[node].lan_address, self.design.lan.prefix);
                let done = format!(
                    "ip -o link show dev {nic} | grep -qF ' master {bridge} ' && ip -o -4 addr show dev {bridge} | grep -qF ' {address} '",
                    nic = quote(nic),
                    bridge = quote(bridge),
                );
                [
                    self.file_step(node, &stanza),
                    self.step(
                        "interfaces-hand-over".into(),
                        node,
                        format!("leave {nic} to the bridge in {}", paths::NETWORK_INTERFACES),
                        Operation::Command {
                            check: Some(format!(
                                "grep -qE '^[[:space:]]*source(-directory)?[[:space:]]+/etc/network/interfaces.d' {file} && ! {mentioned}",
                                file = paths::NETWORK_INTERFACES,
                                mentioned = nic_stanza_check(nic, paths::NETWORK_INTERFACES),
                            )),
                            apply: hand_over_script(nic, paths::NETWORK_INTERFACES, INTERFACES_BACKUP),
                            verify: None,
                        },
                    ),
                    self.step(
                        "bridge-up".into(),
                        node,
                        format!("move {address} from {nic} to bridge {bridge}"),
                        Operation::NetworkChange {
                            check: done,
                            apply: format!(
                                "ifdown --force -- {nic} 2>/dev/null; ip addr flush dev {nic}; ifup -- {bridge}",
                                nic = quote(nic),
                                bridge = quote(bridge)
                            ),
                            revert: format!(
                                "cp -p -- {backup} {file}; rm -f -- {stanza}; ifdown --force -- {bridge}; ip link del dev {bridge} 2>/dev/null; ifup -- {nic}",
                                backup = quote(INTERFACES_BACKUP),
                                file = quote(paths::NETWORK_INTERFACES),
                                stanza = quote(&stanza),
                                bridge = quote(bridge),
                                nic = quote(nic)
                            ),
                            confirm_within_secs: 120,
                        },
                    ),
                ]
            })
            .collect();
        phase(PhaseKind::Bridge, "Bridge", true, steps)
    }
}

/// Where the hand-over keeps the node's original interfaces file (the network revert uses it).
pub const INTERFACES_BACKUP: &str = "/etc/tandem/interfaces.before-bridge";

/// A command that exits 0 when `file` still brings up `nic` itself: an `auto`, `allow-*` or
/// `iface` line naming it (exact words compared in awk: the NIC never becomes a pattern).
pub fn nic_stanza_check(nic: &str, file: &str) -> String {
    format!(
        "awk -v nic={nic} '$1 ~ /^(auto|allow-[a-z]+|iface)$/ {{ for (i = 2; i <= NF; i++) if ($i == nic) found = 1 }} END {{ exit !found }}' {file}",
        nic = quote(nic),
        file = quote(file),
    )
}

/// Rewrites /etc/network/interfaces so the NIC is left to the bridge: comments out the NIC's
/// stanza (with its option lines) and drops it from `auto`/`allow-*` lines, keeps the original
/// once, and makes sure interfaces.d is sourced.
pub fn hand_over_script(nic: &str, file: &str, backup: &str) -> String {
    let (file, backup) = (quote(file), quote(backup));
    format!(
        r##"set -e
mkdir -p "$(dirname {backup})"
[ -e {backup} ] || cp -p {file} {backup}
awk -v nic={nic} '
  function is_stanza(line) {{ return line ~ /^[[:space:]]*(auto|allow-[a-z]+|iface|mapping|source|source-directory|rename)[[:space:]]/ }}
  {{
    if (is_stanza($0)) in_nic = 0
    if ($1 == "iface" && $2 == nic) in_nic = 1
    if (in_nic) {{ print "# tandem: " nic " joins the bridge: " $0; next }}
    if ($1 == "auto" || $1 ~ /^allow-/) {{
      kept = $1; dropped = 0
      for (i = 2; i <= NF; i++) if ($i == nic) dropped = 1; else kept = kept " " $i
      if (dropped) {{ print "# tandem: " $0; if (kept != $1) print kept; next }}
    }}
    print
  }}' {file} > {file}.tandem-new
grep -qE '^[[:space:]]*source(-directory)?[[:space:]]+/etc/network/interfaces.d' {file}.tandem-new || printf '\nsource /etc/network/interfaces.d/*\n' >> {file}.tandem-new
mv {file}.tandem-new {file}"##,
        nic = quote(nic),
    )
}
