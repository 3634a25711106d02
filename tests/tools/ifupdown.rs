//! Every rendered bridge stanza, read by the real ifupdown tools (ifupdown 0.8 of Debian 12 and
//! of Debian 13) as they will read it on the node, without touching this machine's network: `ifquery` parses it, and
//! `ifup -n` (--no-act: it configures nothing and runs no commands, only prints them) goes
//! through bringing every interface up, in its own empty network namespace, with its own state
//! directory and no hook scripts.

use crate::common;
use crate::common::tools::Tools;

use std::collections::BTreeMap;
use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;
use wizard_steps::Design;
use wizard_steps::render::paths;
use wizard_steps::validate::NodeDesign;

/// The rendered stanza file of one node.
fn stanza_path(rendered: &Path, node: &str, bridge: &str) -> PathBuf {
    rendered
        .join(node)
        .join(paths::bridge_stanza(bridge).trim_start_matches('/'))
}

fn ifquery(tools: &Tools, args: &[&str], file: &Path) -> Output {
    common::run(tools.command("ifquery").arg("-i").arg(file).args(args))
}

/// `ifup -n -a` on `file`: what bringing up every `auto` interface would do, done by nobody.
///
/// Three fences keep this machine's network as it is: `-n` (--no-act, see ifup(8)), a fresh
/// network namespace from `unshare --net` (with only a down loopback in it), and a temporary
/// --state-dir instead of /run/network. `--no-scripts` skips /etc/network/if-*.d.
fn ifup_no_act(tools: &Tools, file: &Path) -> (Output, TempDir) {
    let state = TempDir::new().expect("temporary state directory");
    let output = common::run(
        tools
            .command("unshare")
            .arg("--net")
            .arg(tools.path("ifup"))
            .args(["-n", "-a", "--no-scripts", "--no-loopback"])
            .arg("-i")
            .arg(file)
            .arg("--state-dir")
            .arg(state.path()),
    );
    (output, state)
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `ifquery IFACE` prints the stanza's options as `key: value` lines.
fn options(output: &Output) -> BTreeMap<String, String> {
    stdout_lines(output)
        .iter()
        .map(|line| {
            let (key, value) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("ifquery printed `{line}`, not `key: value`"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

fn netmask(prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0))
}

/// What `ifquery BRIDGE` must show for a node: its LAN address with the LAN's netmask, its
/// gateway when it has one, and the NIC as the bridge's only port.
fn expected_bridge_options(
    design: &Design,
    node: &NodeDesign,
    nic: &str,
) -> BTreeMap<String, String> {
    let network = &design.network;
    let mut expected = BTreeMap::from([
        ("address".to_owned(), node.lan_address.to_string()),
        ("netmask".to_owned(), netmask(design.lan.prefix).to_string()),
        ("broadcast".to_owned(), design.lan.broadcast().to_string()),
        ("bridge_ports".to_owned(), nic.to_owned()),
        (
            "bridge_stp".to_owned(),
            if network.stp { "on" } else { "off" }.to_owned(),
        ),
        ("bridge_fd".to_owned(), network.forward_delay.to_string()),
    ]);
    if let Some(gateway) = node.gateway {
        expected.insert("gateway".to_owned(), gateway.to_string());
    }
    expected
}

#[test]
fn ifupdown_reads_every_rendered_bridge_stanza() {
    for (tools, profile) in common::tools::every_release_and_profile() {
        let design = common::design(&profile);
        let bridge = design.network.bridge.clone();
        let rendered = common::render(&profile, &[]);
        let nodes = common::rendered_nodes(rendered.path());
        assert_eq!(
            nodes.len(),
            2,
            "{}: rendered nodes {nodes:?}",
            profile.display()
        );
        for node in &design.nodes {
            let nic = node.nic.as_str();
            let what = format!("{} on {} ({tools})", profile.display(), node.hostname);
            let file = stanza_path(rendered.path(), &node.hostname, &bridge);
            assert!(file.is_file(), "{what}: no {}", file.display());

            let list = ifquery(&tools, &["--no-loopback", "--list"], &file);
            common::assert_success(&list, &format!("ifquery --list of {what}"));
            assert_eq!(
                stdout_lines(&list),
                [nic, bridge.as_str()],
                "{what}: the NIC and then the bridge come up at boot (`auto`)"
            );

            let nic_query = ifquery(&tools, &[nic], &file);
            common::assert_success(&nic_query, &format!("ifquery {nic} of {what}"));
            assert!(
                options(&nic_query).is_empty(),
                "{what}: the enslaved NIC must carry no address or other option: {:?}",
                options(&nic_query)
            );

            // The exact set: ifupdown passes unknown options on to hook scripts without a word,
            // so a misspelt `bridge_port` would only show up here.
            let bridge_query = ifquery(&tools, &[bridge.as_str()], &file);
            common::assert_success(&bridge_query, &format!("ifquery {bridge} of {what}"));
            assert_eq!(
                options(&bridge_query),
                expected_bridge_options(&design, node, nic),
                "{what}: options of {bridge}"
            );

            let (up, state) = ifup_no_act(&tools, &file);
            common::assert_success(&up, &format!("ifup -n -a of {what}"));
            let commands = String::from_utf8_lossy(&up.stderr);
            let add_address = format!(
                "ip addr add {}/{}",
                node.lan_address,
                netmask(design.lan.prefix)
            );
            assert!(
                commands
                    .lines()
                    .any(|line| line.contains(&add_address)
                        && line.contains(&format!("dev {bridge}"))),
                "{what}: ifup would not put {} on {bridge}:\n{commands}",
                node.lan_address
            );
            assert!(
                !commands
                    .lines()
                    .any(|line| line.contains("ip addr add")
                        && line.contains(&format!("dev {nic} "))),
                "{what}: ifup would put an address on the enslaved NIC {nic}:\n{commands}"
            );
            if let Some(gateway) = node.gateway {
                assert!(
                    commands.contains(&format!("default via {gateway}")),
                    "{what}: ifup would set no default route via {gateway}:\n{commands}"
                );
            } else {
                assert!(
                    !commands.contains("default via"),
                    "{what}: unexpected default route:\n{commands}"
                );
            }
            assert_state_untouched(state.path(), &bridge, &what);
        }
    }
}

/// `-n` records nothing: no state file in the temporary state directory names the bridge.
fn assert_state_untouched(state: &Path, bridge: &str, what: &str) {
    for entry in fs::read_dir(state).expect("the state directory") {
        let path = entry.expect("a state entry").path();
        let recorded = fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !recorded.contains(bridge),
            "{what}: ifup -n recorded {bridge} as up in {}:\n{recorded}",
            path.display()
        );
    }
}

/// Debian's /etc/network/interfaces reads the stanza through `source /etc/network/interfaces.d/*`:
/// the same, with the rendered node's folder in place of /etc.
#[test]
fn the_stanza_is_read_through_debians_default_interfaces_file() {
    let scratch = TempDir::new().expect("temporary directory");
    for (tools, profile) in common::tools::every_release_and_profile() {
        let design = common::design(&profile);
        let bridge = &design.network.bridge;
        let rendered = common::render(&profile, &[]);
        for node in &design.nodes {
            let what = format!("{} on {} ({tools})", profile.display(), node.hostname);
            let stanza = stanza_path(rendered.path(), &node.hostname, bridge);
            let main = scratch.path().join(format!("interfaces-{}", node.hostname));
            fs::write(
                &main,
                format!(
                    "# interfaces(5) file used by ifup(8) and ifdown(8)\n\
                     source {}/*\n\nauto lo\niface lo inet loopback\n",
                    stanza.parent().expect("interfaces.d").display()
                ),
            )
            .expect("write the main interfaces file");
            let list = ifquery(&tools, &["--list"], &main);
            common::assert_success(&list, &format!("ifquery --list of {what}"));
            assert_eq!(
                stdout_lines(&list),
                ["lo", node.nic.as_str(), bridge.as_str()],
                "{what}"
            );
            let (up, _state) = ifup_no_act(&tools, &main);
            common::assert_success(&up, &format!("ifup -n -a of {what}"));
        }
    }
}

/// The seed's stanza for node1, edited by `edit`, in a scratch file.
fn broken_stanza(scratch: &TempDir, name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let rendered = common::render(&common::example_profile("seed"), &[]);
    let good = fs::read_to_string(stanza_path(rendered.path(), "node1", "br0"))
        .expect("the seed's stanza");
    let broken = edit(&good);
    assert_ne!(broken, good, "the edit changed nothing in\n{good}");
    let path = scratch.path().join(name);
    fs::write(&path, broken).expect("write the broken stanza");
    path
}

#[test]
fn ifupdown_rejects_an_unknown_method() {
    let scratch = TempDir::new().expect("temporary directory");
    let file = broken_stanza(&scratch, "statik", |good| {
        good.replace("iface br0 inet static", "iface br0 inet statik")
    });
    for tools in Tools::every_release() {
        unknown_method_with(&tools, &file);
    }
}

fn unknown_method_with(tools: &Tools, file: &Path) {
    for output in [
        ifquery(tools, &["--list"], file),
        ifup_no_act(tools, file).0,
    ] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "`inet statik` was accepted:\n{stderr}"
        );
        assert!(
            stderr.contains("unknown or no method"),
            "rejected for another reason:\n{stderr}"
        );
    }
}

/// ifquery only parses; `ifup -n` also checks each method's required options.
#[test]
fn ifup_no_act_rejects_a_static_bridge_without_address() {
    let scratch = TempDir::new().expect("temporary directory");
    let file = broken_stanza(&scratch, "no-address", |good| {
        good.lines()
            .filter(|line| !line.trim_start().starts_with("address "))
            .map(|line| format!("{line}\n"))
            .collect()
    });
    for tools in Tools::every_release() {
        no_address_with(&tools, &file);
    }
}

fn no_address_with(tools: &Tools, file: &Path) {
    common::assert_success(
        &ifquery(tools, &["br0"], file),
        "ifquery br0 of a stanza without address",
    );
    let (output, _state) = ifup_no_act(tools, file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "{tools}: ifup -n accepted a static bridge without address:\n{stderr}"
    );
    assert!(
        stderr.contains("address"),
        "rejected for another reason:\n{stderr}"
    );
}
