//! Every rendered corosync.conf, checked by the real `corosync -t` (Debian's corosync 3.1) as each
//! node would read it, by a check of every key against the options the installed man pages
//! document (corosync -t does not report unknown keys), and for the values that matter.
//!
//! corosync -t reads /etc/corosync: it runs in its own mount, UTS and network namespaces, over a
//! tmpfs that hides this machine's /etc/corosync, with the node's hostname and a throw-away key.

use crate::common;
use crate::common::tools::Tools;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;
use wizard_steps::Design;
use wizard_steps::profile::store;
use wizard_steps::render::paths;

/// Exit codes of the namespace script's own steps, so that a broken set-up is never mistaken
/// for corosync rejecting a file.
const SETUP_FAILED: [i32; 3] = [90, 91, 92];

/// Runs in the new namespaces: $1 = configuration to test, $2 = hostname, $3 = `key` to create
/// the authkey or `no-key`. `set -e` and the explicit exits stop before anything is copied when
/// the tmpfs is not mounted, so the real /etc/corosync is never written.
const NAMESPACE_SCRIPT: &str = r#"set -eu
mount -t tmpfs -o mode=0755 tandem-corosync-test /etc/corosync || exit 90
mountpoint -q /etc/corosync || exit 90
cp "$1" /etc/corosync/corosync.conf || exit 91
if [ "$3" = key ]; then
    "$COROSYNC_KEYGEN" -k /etc/corosync/authkey >/dev/null || exit 92
fi
hostname "$2" || exit 92
exec "$COROSYNC" -t -c /etc/corosync/corosync.conf
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Authkey {
    /// A fresh key at the default /etc/corosync/authkey, as `tandem apply` puts one there.
    Generated,
    /// No key file at all.
    Missing,
}

/// `corosync -t` on `conf` as it sits at /etc/corosync/corosync.conf on the node `hostname`.
///
/// corosync-keygen 3.x reads /dev/urandom by default: it needs no entropy flag (2.x's `-l`
/// is accepted and ignored).
fn corosync_test(tools: &Tools, conf: &Path, hostname: &str, authkey: Authkey) -> Output {
    let corosync = tools.path("corosync");
    let keygen = tools.path("corosync-keygen");
    for tool in ["mount", "mountpoint", "cp", "hostname"] {
        tools.path(tool);
    }
    common::run(
        tools
            .command("unshare")
            .args(["--mount", "--uts", "--net", "--propagation", "private"])
            .args(["sh", "-c", NAMESPACE_SCRIPT, "corosync-test"])
            .arg(conf)
            .arg(hostname)
            .arg(match authkey {
                Authkey::Generated => "key",
                Authkey::Missing => "no-key",
            })
            .env("COROSYNC", corosync)
            .env("COROSYNC_KEYGEN", keygen),
    )
}

fn assert_set_up(output: &Output, what: &str) {
    assert!(
        !output
            .status
            .code()
            .is_some_and(|code| SETUP_FAILED.contains(&code)),
        "setting up the namespace for {what} failed ({}): unshare, mount, corosync-keygen or hostname \
         did not work (the tests run as root)\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn assert_rejected(output: &Output, what: &str, expected_in_stderr: &str) {
    assert_set_up(output, what);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "corosync -t accepted {what}, which it must reject\n--- stderr\n{stderr}"
    );
    assert!(
        stderr.contains(expected_in_stderr),
        "corosync -t rejected {what}, but not for the expected reason ({expected_in_stderr:?})\n\
         --- stderr\n{stderr}"
    );
}

/// The rendered corosync.conf of one node.
fn conf_path(rendered: &Path, node: &str) -> PathBuf {
    rendered
        .join(node)
        .join(paths::COROSYNC_CONF.trim_start_matches('/'))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

// --- corosync.conf syntax ---------------------------------------------------------------------

/// One `name { ... }` section of a corosync configuration (the root has an empty name).
#[derive(Debug, Default)]
struct Section {
    name: String,
    /// `key: value` lines, in file order.
    entries: Vec<(String, String)>,
    sections: Vec<Section>,
}

impl Section {
    /// The value of a key that must occur exactly once.
    fn value(&self, key: &str) -> &str {
        let values: Vec<&str> = self
            .entries
            .iter()
            .filter(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
            .collect();
        match values.as_slice() {
            [value] => value,
            _ => panic!(
                "`{}` has {} `{key}` lines, expected one: {:?}",
                self.name,
                values.len(),
                self.entries
            ),
        }
    }

    fn all(&self, name: &str) -> Vec<&Section> {
        self.sections
            .iter()
            .filter(|section| section.name == name)
            .collect()
    }

    /// The sub-section that must occur exactly once.
    fn only(&self, name: &str) -> &Section {
        match self.all(name).as_slice() {
            [section] => section,
            found => panic!(
                "`{}` has {} `{name} {{ }}` sections, expected one",
                if self.name.is_empty() {
                    "the file"
                } else {
                    self.name.as_str()
                },
                found.len()
            ),
        }
    }

    /// Every (section, key) pair below this section: keys of `key: value` lines and names of
    /// sub-sections, each with the name of the section it is in ("" at the top level).
    fn keys(&self, into: &mut Vec<(String, String)>) {
        for (key, _) in &self.entries {
            into.push((self.name.clone(), key.clone()));
        }
        for section in &self.sections {
            into.push((self.name.clone(), section.name.clone()));
            section.keys(into);
        }
    }
}

fn is_identifier(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses corosync.conf as corosync's parser reads it: `name {`, `}` and `key: value` lines,
/// `#` comments and blank lines. Anything else is an error naming the line.
fn parse(text: &str) -> Result<Section, String> {
    let mut stack = vec![Section::default()];
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_suffix('{') {
            let name = name.trim();
            if !is_identifier(name) {
                return Err(format!(
                    "line {number}: `{line}` opens a section without a valid name"
                ));
            }
            stack.push(Section {
                name: name.to_owned(),
                ..Section::default()
            });
        } else if line == "}" {
            if stack.len() < 2 {
                return Err(format!("line {number}: `}}` closes no section"));
            }
            let closed = stack.pop().expect("checked above");
            stack
                .last_mut()
                .expect("the root stays")
                .sections
                .push(closed);
        } else if let Some((key, value)) = line.split_once(':') {
            let key = key.trim();
            if !is_identifier(key) {
                return Err(format!("line {number}: `{key}` is not a key"));
            }
            stack
                .last_mut()
                .expect("the root stays")
                .entries
                .push((key.to_owned(), value.trim().to_owned()));
        } else {
            return Err(format!(
                "line {number}: `{line}` is neither `key: value`, `name {{` nor `}}`"
            ));
        }
    }
    if stack.len() != 1 {
        let open: Vec<&str> = stack[1..]
            .iter()
            .map(|section| section.name.as_str())
            .collect();
        return Err(format!(
            "sections left open at the end: {}",
            open.join(" > ")
        ));
    }
    Ok(stack.pop().expect("the root"))
}

// --- the options the man pages document --------------------------------------------------------

const MAN_PAGES: [&str; 3] = [
    "/usr/share/man/man5/corosync.conf.5.gz",
    "/usr/share/man/man5/votequorum.5.gz",
    "/usr/share/man/man8/corosync-qdevice.8.gz",
];

/// `ring0_addr`, `ring1_addr`... are documented once, as `ringX_addr`.
fn normalized(key: &str) -> String {
    match key
        .strip_prefix("ring")
        .and_then(|rest| rest.strip_suffix("_addr"))
    {
        Some(link) if !link.is_empty() && link.chars().all(|c| c.is_ascii_digit()) => {
            "ringX_addr".to_owned()
        }
        _ => key.to_owned(),
    }
}

fn man_page_source(tools: &Tools, page: &str) -> String {
    let path = tools.file(page);
    assert!(
        path.exists(),
        "{} is missing: the key check reads the options corosync documents in corosync.conf(5) \
         and votequorum(5). Install the `corosync` package with its man pages (apt-get install \
         --reinstall corosync; on a minimal image first remove the dpkg path-exclude of /usr/share/man).",
        path.display()
    );
    let output = common::run(Command::new(common::require_tool("zcat")).arg(&path));
    common::assert_success(&output, &format!("zcat {}", path.display()));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The options corosync.conf(5) documents in its DESCRIPTION, as (section, key) pairs ("" for
/// the top level):
/// - `.TP` followed by `name { }` is a top-level section;
/// - `.TP` followed by a word is an option of the current section;
/// - "Within the `.B name` directive" makes `name` the current section, and
///   "`.B name` sub-directive [of parent]" documents a sub-section and makes it current.
fn corosync_conf_options(roff: &str) -> BTreeSet<(String, String)> {
    let lines: Vec<&str> = roff.lines().map(str::trim).collect();
    let mut found = BTreeSet::new();
    let mut in_description = false;
    let mut section = String::new();
    for (index, line) in lines.iter().enumerate() {
        if let Some(title) = line.strip_prefix(".SH") {
            in_description = title.trim().trim_matches('"') == "DESCRIPTION";
            continue;
        }
        if !in_description {
            continue;
        }
        let previous = index.checked_sub(1).map_or("", |previous| lines[previous]);
        let next = lines.get(index + 1).copied().unwrap_or("");
        if *line == ".TP" {
            let Some(term) = lines[index + 1..].iter().find(|line| !line.is_empty()) else {
                continue;
            };
            if let Some(name) = term.strip_suffix("{ }") {
                found.insert((String::new(), name.trim().to_owned()));
            } else if let Some(word) = term
                .split_whitespace()
                .next()
                .filter(|word| is_identifier(word))
            {
                found.insert((section.clone(), word.to_owned()));
            }
        } else if let Some(rest) = line.strip_prefix(".B ") {
            let Some(name) = rest
                .split_whitespace()
                .next()
                .filter(|word| is_identifier(word))
            else {
                continue;
            };
            // "sub-directive of totem" follows the name on its line (corosync 3.1.7) or on the
            // next (3.1.9).
            let parent = [rest, next].into_iter().find_map(|text| {
                let (_, parent) = text.split_once("sub-directive of ")?;
                parent.split_whitespace().next()
            });
            if let Some(parent) = parent {
                found.insert((parent.to_owned(), name.to_owned()));
                section = name.to_owned();
            } else if next.starts_with("sub-directive") {
                found.insert((section.clone(), name.to_owned()));
                section = name.to_owned();
            } else if previous == "Within the" && next.starts_with("directive") {
                section = name.to_owned();
            }
        }
    }
    // "Within the logger_subsys sub-directive, all of the above logging configuration options
    // are valid".
    let logging: Vec<String> = found
        .iter()
        .filter(|(section, key)| section == "logging" && key != "logger_subsys")
        .map(|(_, key)| key.clone())
        .collect();
    for key in logging {
        found.insert(("logger_subsys".to_owned(), key));
    }
    found
}

/// The options votequorum(5) documents: its `.B key: value` headings (all in `quorum { }`) and
/// every key of its example configurations (`.nf` ... `.fi` blocks).
fn votequorum_options(roff: &str) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    let mut example: Option<Vec<&str>> = None;
    for line in roff.lines().map(str::trim) {
        match (line, example.as_mut()) {
            (".nf", _) => example = Some(Vec::new()),
            (".fi", Some(block)) => {
                found.extend(example_keys(&block.join("\n")));
                example = None;
            }
            (_, Some(block)) => block.push(line),
            (_, None) => {
                if let Some((key, _)) = line
                    .strip_prefix(".B ")
                    .and_then(|rest| rest.split_once(':'))
                    && is_identifier(key.trim())
                {
                    found.insert(("quorum".to_owned(), key.trim().to_owned()));
                }
            }
        }
    }
    found
}

/// The options corosync-qdevice(8) documents for `quorum.device` in its CONFIGURATION: a line
/// `.B quorum.device` (or `.B quorum.device.net`, ...) opens that sub-key, whose options follow
/// as `.TP` then `.B option`, until the next paragraph or section.
fn qdevice_options(roff: &str) -> BTreeSet<(String, String)> {
    let lines: Vec<&str> = roff.lines().map(str::trim).collect();
    let mut found = BTreeSet::new();
    let mut in_configuration = false;
    let mut section: Option<String> = None;
    for (index, line) in lines.iter().enumerate() {
        if let Some(heading) = line.strip_prefix(".SH ") {
            in_configuration = heading.trim() == "CONFIGURATION";
            section = None;
        } else if !in_configuration {
        } else if *line == ".PP" {
            section = None;
        } else if let Some(key) = line
            .strip_prefix(".B quorum.")
            .filter(|key| key.split('.').all(is_identifier))
        {
            let mut parent = "quorum".to_owned();
            for part in key.split('.') {
                found.insert((parent, part.to_owned()));
                parent = part.to_owned();
            }
            section = Some(parent);
        } else if *line == ".TP"
            && let (Some(section), Some(option)) = (
                &section,
                lines
                    .get(index + 1)
                    .and_then(|next| next.strip_prefix(".B "))
                    .map(str::trim)
                    .filter(|option| is_identifier(option)),
            )
        {
            found.insert((section.clone(), option.to_owned()));
        }
    }
    found
}

/// The (section, key) pairs of an example in a man page; lines that are prose are skipped.
fn example_keys(text: &str) -> Vec<(String, String)> {
    let mut stack: Vec<&str> = Vec::new();
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim) {
        let current = stack.last().copied().unwrap_or_default().to_owned();
        if let Some(name) = line
            .strip_suffix('{')
            .map(str::trim)
            .filter(|name| is_identifier(name))
        {
            keys.push((current, name.to_owned()));
            stack.push(name);
        } else if line == "}" {
            stack.pop();
        } else if let Some((key, _)) = line.split_once(':')
            && is_identifier(key.trim())
        {
            keys.push((current, key.trim().to_owned()));
        }
    }
    keys
}

/// Every option the release's corosync.conf(5) and votequorum(5) document.
fn documented_options(tools: &Tools) -> BTreeSet<(String, String)> {
    let mut documented = corosync_conf_options(&man_page_source(tools, MAN_PAGES[0]));
    documented.extend(votequorum_options(&man_page_source(tools, MAN_PAGES[1])));
    documented.extend(qdevice_options(&man_page_source(tools, MAN_PAGES[2])));
    // A guard on the extraction itself: these are documented in every corosync 3.x.
    for (section, key) in [
        ("", "totem"),
        ("", "nodelist"),
        ("nodelist", "node"),
        ("node", "ringX_addr"),
        ("totem", "crypto_cipher"),
        ("totem", "interface"),
        ("interface", "linknumber"),
        ("logging", "to_syslog"),
        ("quorum", "provider"),
        ("quorum", "two_node"),
        ("quorum", "expected_votes"),
        ("quorum", "device"),
        ("device", "model"),
        ("device", "net"),
        ("net", "host"),
        ("net", "algorithm"),
    ] {
        assert!(
            documented.contains(&(section.to_owned(), key.to_owned())),
            "reading the man pages found no `{key}` in `{section}`: their format changed and the \
             extraction in tests/tools/corosync.rs needs updating. Found: {documented:?}"
        );
    }
    documented
}

/// Every key of `text` that the man pages do not document, as `section.key` (or the parse error).
fn undocumented_keys(
    text: &str,
    documented: &BTreeSet<(String, String)>,
) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    parse(text)?.keys(&mut keys);
    Ok(keys
        .into_iter()
        .filter(|(section, key)| !documented.contains(&(section.clone(), normalized(key))))
        .map(|(section, key)| {
            if section.is_empty() {
                key
            } else {
                format!("{section}.{key}")
            }
        })
        .collect())
}

// --- the tests ---------------------------------------------------------------------------------

#[test]
fn corosync_accepts_every_rendered_conf_on_each_node() {
    for (tools, profile) in common::tools::every_release_and_profile() {
        let rendered = common::render(&profile, &[]);
        let nodes = common::rendered_nodes(rendered.path());
        assert_eq!(
            nodes.len(),
            2,
            "{}: rendered nodes {nodes:?}",
            profile.display()
        );
        for node in &nodes {
            let what = format!("{} as {node} ({tools})", profile.display());
            let output = corosync_test(
                &tools,
                &conf_path(rendered.path(), node),
                node,
                Authkey::Generated,
            );
            assert_set_up(&output, &what);
            common::assert_success(&output, &format!("corosync -t of {what}"));
        }
    }
}

/// The same corosync.conf with `node`'s own `node { }` block taken out of the nodelist.
fn without_node(conf: &str, node: &str) -> String {
    let lines: Vec<&str> = conf.lines().collect();
    let name_line = lines
        .iter()
        .position(|line| line.trim() == format!("name: {node}"))
        .unwrap_or_else(|| panic!("no `name: {node}` in\n{conf}"));
    let start = lines[..name_line]
        .iter()
        .rposition(|line| line.trim() == "node {")
        .expect("the node block opens above its name");
    let end = name_line
        + lines[name_line..]
            .iter()
            .position(|line| line.trim() == "}")
            .expect("the node block closes below its name");
    let mut kept: Vec<&str> = lines[..start].to_vec();
    kept.extend_from_slice(&lines[end + 1..]);
    kept.join("\n") + "\n"
}

#[test]
fn corosync_rejects_a_conf_without_the_local_node() {
    let scratch = TempDir::new().expect("temporary directory");
    for (tools, profile) in common::tools::every_release_and_profile() {
        let rendered = common::render(&profile, &[]);
        for node in common::rendered_nodes(rendered.path()) {
            let conf = read(&conf_path(rendered.path(), &node));
            let missing = without_node(&conf, &node);
            assert_eq!(
                parse(&missing)
                    .expect("still parses")
                    .only("nodelist")
                    .all("node")
                    .len(),
                1,
                "exactly one node block is removed:\n{missing}"
            );
            let path = scratch.path().join(format!("without-{node}.conf"));
            fs::write(&path, missing).expect("write the broken copy");
            let output = corosync_test(&tools, &path, &node, Authkey::Generated);
            assert_rejected(
                &output,
                &format!(
                    "{} as {node} without {node} in the nodelist ({tools})",
                    profile.display()
                ),
                "local host",
            );
        }
    }
}

#[test]
fn corosync_rejects_crypto_without_an_authkey() {
    for (tools, profile) in common::tools::every_release_and_profile() {
        let design = common::design(&profile);
        assert!(
            design.cluster.corosync_crypto,
            "{} turns crypto on",
            profile.display()
        );
        let rendered = common::render(&profile, &[]);
        for node in common::rendered_nodes(rendered.path()) {
            let output = corosync_test(
                &tools,
                &conf_path(rendered.path(), &node),
                &node,
                Authkey::Missing,
            );
            assert_rejected(
                &output,
                &format!(
                    "{} as {node} with crypto on and no key ({tools})",
                    profile.display()
                ),
                "authkey",
            );
        }
    }
}

/// A copy of the lab profile with `corosync_crypto = false`, saved for `tandem render`.
fn lab_without_crypto(dir: &Path) -> PathBuf {
    let mut profile = store::load(&common::example_profile("lab")).expect("the lab profile loads");
    profile.cluster.corosync_crypto = false;
    let path = dir.join("lab-no-crypto.toml");
    store::save(&profile, &path).expect("save the profile copy");
    path
}

#[test]
fn without_crypto_corosync_needs_no_authkey() {
    let scratch = TempDir::new().expect("temporary directory");
    for tools in Tools::every_release() {
        let profile = tools.profile(&lab_without_crypto(scratch.path()));
        without_crypto_with(&tools, &profile);
    }
}

fn without_crypto_with(tools: &Tools, profile: &Path) {
    let rendered = common::render(profile, &[]);
    for node in common::rendered_nodes(rendered.path()) {
        let conf = conf_path(rendered.path(), &node);
        let totem = parse(&read(&conf)).expect("parses");
        let totem = totem.only("totem");
        assert_eq!(
            (totem.value("crypto_cipher"), totem.value("crypto_hash")),
            ("none", "none")
        );
        let output = corosync_test(tools, &conf, &node, Authkey::Missing);
        assert_set_up(&output, &node);
        common::assert_success(
            &output,
            &format!("corosync -t without crypto or key as {node} ({tools})"),
        );
    }
}

/// The values the cluster depends on, from the design the profile validates to.
fn check_content(conf: &str, design: &Design, what: &str) {
    let root = parse(conf).unwrap_or_else(|error| panic!("{what} does not parse: {error}\n{conf}"));
    let mut top: Vec<&str> = root
        .sections
        .iter()
        .map(|section| section.name.as_str())
        .collect();
    top.sort_unstable();
    assert_eq!(
        top,
        ["logging", "nodelist", "quorum", "totem"],
        "{what}: top-level sections"
    );
    assert!(
        root.entries.is_empty(),
        "{what}: keys outside any section: {:?}",
        root.entries
    );

    let totem = root.only("totem");
    assert_eq!(totem.value("version"), "2", "{what}");
    assert_eq!(totem.value("cluster_name"), design.cluster.name, "{what}");
    assert_eq!(totem.value("transport"), "knet", "{what}");
    let crypto = (totem.value("crypto_cipher"), totem.value("crypto_hash"));
    if design.cluster.corosync_crypto {
        assert!(
            crypto.0 != "none" && crypto.1 != "none",
            "{what}: corosync_crypto is on, but crypto_cipher/crypto_hash are {crypto:?}"
        );
    } else {
        assert_eq!(crypto, ("none", "none"), "{what}: corosync_crypto is off");
    }

    let nodes = root.only("nodelist").all("node");
    assert_eq!(nodes.len(), 2, "{what}: node blocks in the nodelist");
    for (index, (block, node)) in nodes.iter().zip(&design.nodes).enumerate() {
        assert_eq!(block.value("name"), node.hostname, "{what}: node {index}");
        assert_eq!(
            block.value("nodeid"),
            (index + 1).to_string(),
            "{what}: node {index}"
        );
        assert_eq!(
            block.value("nodeid"),
            node.node_id.to_string(),
            "{what}: node {index}"
        );
        assert_eq!(
            block.value("ring0_addr"),
            node.replication_address.to_string(),
            "{what}: node {index} talks over its replication address"
        );
    }

    let quorum = root.only("quorum");
    assert_eq!(quorum.value("provider"), "corosync_votequorum", "{what}");
    match &design.cluster.quorum_device {
        // corosync refuses to start with two_node and a device ("cannot be configured at the
        // same time"), and two_node would give each node quorum on its own.
        Some(device) => {
            assert!(
                quorum.entries.iter().all(|(key, _)| key != "two_node"),
                "{what}: two_node beside a quorum device"
            );
            let net = quorum.only("device").only("net");
            assert_eq!(net.value("host"), device.address, "{what}");
            assert_eq!(net.value("port"), device.port.to_string(), "{what}");
            assert_eq!(net.value("tls"), "on", "{what}: qnetd without TLS");
        }
        None => assert_eq!(quorum.value("two_node"), "1", "{what}"),
    }
    // two_node implies wait_for_all; turning it off would let one node start alone.
    assert!(
        quorum
            .entries
            .iter()
            .all(|(key, value)| key != "wait_for_all" || value == "1"),
        "{what}: wait_for_all must not be turned off"
    );
}

#[test]
fn rendered_conf_has_the_profiles_cluster_nodes_and_quorum() {
    let scratch = TempDir::new().expect("temporary directory");
    let mut all = common::all_profiles().to_vec();
    all.push(lab_without_crypto(scratch.path()));
    for profile in all {
        let design = common::design(&profile);
        let rendered = common::render(&profile, &[]);
        let nodes = common::rendered_nodes(rendered.path());
        let expected: BTreeSet<&str> = design
            .nodes
            .iter()
            .map(|node| node.hostname.as_str())
            .collect();
        assert_eq!(
            nodes.iter().map(String::as_str).collect::<BTreeSet<_>>(),
            expected
        );
        let texts: Vec<String> = nodes
            .iter()
            .map(|node| read(&conf_path(rendered.path(), node)))
            .collect();
        for (node, text) in nodes.iter().zip(&texts) {
            check_content(text, &design, &format!("{} on {node}", profile.display()));
        }
        assert_eq!(
            texts[0],
            texts[1],
            "{}: both nodes need the same corosync.conf",
            profile.display()
        );
    }
}

#[test]
fn every_rendered_key_is_documented_in_the_man_pages() {
    for (tools, profile) in common::tools::every_release_and_profile() {
        let documented = documented_options(&tools);
        let rendered = common::render(&profile, &[]);
        for node in common::rendered_nodes(rendered.path()) {
            let conf = read(&conf_path(rendered.path(), &node));
            let undocumented = undocumented_keys(&conf, &documented).unwrap_or_else(|error| {
                panic!("{} on {node} does not parse: {error}", profile.display())
            });
            assert!(
                undocumented.is_empty(),
                "{} on {node}: {tools}' corosync.conf(5) and votequorum(5) document no \
                 {undocumented:?}\n{conf}",
                profile.display()
            );
        }
    }
}

#[test]
fn the_key_check_catches_a_misspelt_key() {
    for tools in Tools::every_release() {
        misspelt_key_with(&documented_options(&tools));
    }
}

fn misspelt_key_with(documented: &BTreeSet<(String, String)>) {
    let rendered = common::render(&common::example_profile("seed"), &[]);
    let conf = read(&conf_path(rendered.path(), "node1"));
    assert!(
        conf.contains("two_node: 1"),
        "the seed renders two_node:\n{conf}"
    );
    let typo = conf.replace("two_node: 1", "two_nodes: 1");
    assert_eq!(
        undocumented_keys(&typo, documented).expect("parses"),
        ["quorum.two_nodes"]
    );
    // A documented key in the wrong section is caught too.
    let misplaced = conf.replace("\tversion: 2\n", "\tversion: 2\n\ttwo_node: 1\n");
    assert_eq!(
        undocumented_keys(&misplaced, documented).expect("parses"),
        ["totem.two_node"]
    );
    // And so is a line corosync's syntax has no place for.
    assert!(undocumented_keys(&conf.replace("two_node: 1", "two_node = 1"), documented).is_err());
}
