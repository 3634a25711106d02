use super::*;

const RENDERED: &str = "# Rendered by Tandem
totem {
\tversion: 2
\tcluster_name: lab
\ttransport: knet
\tcrypto_cipher: aes256
\tcrypto_hash: sha256
}

nodelist {
\tnode {
\t\tname: lab1
\t\tnodeid: 1
\t\tring0_addr: 172.16.99.1
\t}
\tnode {
\t\tname: lab2
\t\tnodeid: 2
\t\tring0_addr: 172.16.99.2
\t}
}

quorum {
\tprovider: corosync_votequorum
\t# implies wait_for_all
\ttwo_node: 1
}
";

#[test]
fn the_file_flattens_into_corosyncs_own_keys() {
    let keys = flatten(RENDERED);
    assert_eq!(keys["totem.cluster_name"], "lab");
    assert_eq!(keys["nodelist.node.1.ring0_addr"], "172.16.99.2");
    assert_eq!(keys["quorum.two_node"], "1");
    assert_eq!(keys.len(), 13, "{keys:?}");
}

#[test]
fn a_change_is_reloaded_unless_corosync_reads_it_only_at_start() {
    assert_eq!(change(RENDERED, RENDERED), Change::None);
    let recommented = RENDERED.replace("# implies wait_for_all", "# a new comment");
    assert_eq!(change(RENDERED, &recommented), Change::None);
    let token = RENDERED.replace("\ttransport: knet\n", "\ttransport: knet\n\ttoken: 5000\n");
    assert_eq!(change(RENDERED, &token), Change::Reload);
    let crypto = RENDERED.replace("aes256", "none").replace("sha256", "none");
    assert_eq!(change(&crypto, RENDERED), Change::Reload);
    let moved = RENDERED.replace("172.16.99.2", "172.16.99.3");
    assert_eq!(change(RENDERED, &moved), Change::Reload);
    let renamed = RENDERED.replace("cluster_name: lab", "cluster_name: lab-2");
    assert_eq!(change(RENDERED, &renamed), Change::Restart);
    let placeholder = "totem {\n\tversion: 2\n\tcluster_name: debian\n}\n";
    assert_eq!(change(placeholder, RENDERED), Change::Restart);
}

#[test]
fn the_running_check_compares_every_setting() {
    let check = runs_with(RENDERED);
    assert!(check.contains(
        "[ \"$(corosync-cmapctl -g totem.cluster_name 2>/dev/null | sed 's/^[^=]*= //')\" = lab ]"
    ));
    assert_eq!(check.matches("corosync-cmapctl").count(), 13);
}

#[test]
fn a_rolling_restart_moves_the_vms_first_and_brings_them_back() {
    let script = rolling_restart("lab1", "lab2");
    let order = [
        "lab2 is not online",
        "touch /var/lib/tandem/standby-for-restart",
        "--node lab1 --name standby --update on",
        "crm_resource --wait",
        "systemctl stop pacemaker corosync && systemctl start corosync pacemaker",
        "did not rejoin lab2",
        "--node lab1 --name standby --update off",
        "rm -f /var/lib/tandem/standby-for-restart",
    ];
    // After the branch for a node that runs nothing, each part follows the one before.
    let mut rest = &script[script.find("exit 0").expect("the branch")..];
    for part in order {
        let at = rest
            .find(part)
            .unwrap_or_else(|| panic!("{part} missing or out of order: {script}"));
        rest = &rest[at + part.len()..];
    }
}
