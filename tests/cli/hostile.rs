//! The hostile profile (tests/profiles/hostile.toml: the most hostile value every field's rule
//! allows) against its benign twin (the same profile with plain names): everything planned and
//! rendered from it must mean exactly what the twin's does, with the values swapped.
//!
//! - Every planned shell command parses with dash (`sh -n`), and splits into the same words and
//!   operators as the twin's (nested command substitutions too); each literal word is the
//!   twin's with the values swapped. A value that escaped its quotes would add a word, an
//!   operator or a command.
//! - The Pacemaker configuration, loaded by crmsh into an offline CIB, is the twin's CIB
//!   element for element and attribute for attribute, the values swapped.
//!
//! The other languages are read by their own tools elsewhere, with this profile among the
//! rest: xl configs by libxlutil (tests/tools/xen.rs), DRBD by drbdadm (tests/tools/drbd.rs), corosync.conf
//! by corosync -t (tests/tools/corosync.rs), the bridge stanza by ifupdown (tests/tools/ifupdown.rs).

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;
use wizard_steps::facts::NodeFacts;
use wizard_steps::plan::{Plan, plan};
use wizard_steps::profile::Profile;
use wizard_steps::validate::derived_mac;

/// Each hostile value and its plain twin, most specific first (so that a longer value is swapped
/// before a value it contains).
const SWAPS: [(&str, &str); 20] = [
    (
        "console=hvc0 $(touch /tmp/PWNED) `id` ; | & * # < > ( ) { } [ ] ! ~ ^ % , = ? $IFS",
        "console=hvc0",
    ),
    (
        "/var/lib/tandem/iso+1/in+st-1_.ISO",
        "/var/lib/tandem/isos/install.iso",
    ),
    ("/var/lib/tandem/iso+1", "/var/lib/tandem/isos"),
    ("/home/me/my install (1) $x;`y`.iso", "/home/me/install.iso"),
    ("/boot/vm+linuz-6.1_x", "/boot/vmlinuz"),
    ("/boot/initrd.img-6+1", "/boot/initrd.img"),
    ("a$(id);|&<>*=!{}", "bmcuserone"),
    ("~^%@[]?:,+-;$IFS", "bmcusertwo"),
    ("$(id);#!", "vncpass"),
    ("bmc-1.lab.example", "bmcone.example"),
    ("node-1.lab.example", "nodeone.example"),
    ("node-1.lab", "nodeone"),
    ("node-2.lab", "nodetwo"),
    ("e.t-h_0", "nicone"),
    ("enp1s0.42", "nictwo"),
    ("br-0.x_Y", "bridgex"),
    ("v+g.x-_", "volgroupx"),
    ("l+v.1-_", "lvolone"),
    ("vm-1_A", "vmone"),
    ("vm-2_B", "vmtwo"),
];
/// Swapped after the others (their hostile values are parts of longer ones above).
const LATE_SWAPS: [(&str, &str); 2] = [("l+v.2", "lvoltwo"), ("c-1_X", "clusterx")];

fn hostile_text() -> String {
    fs::read_to_string(common::test_profile("hostile")).expect("the hostile profile")
}

fn twin_text() -> String {
    let mut text = hostile_text();
    for (hostile, plain) in SWAPS.iter().chain(&LATE_SWAPS) {
        text = text.replace(hostile, plain);
    }
    text
}

fn profile(text: &str) -> Profile {
    Profile::from_toml(text, "test").expect("parses")
}

/// Every plain value, and the hostile value it stands for (the derived MACs included).
fn swaps() -> Vec<(String, String)> {
    let mut swaps: Vec<(String, String)> = SWAPS
        .iter()
        .chain(&LATE_SWAPS)
        .map(|(hostile, plain)| (plain.to_string(), hostile.to_string()))
        .collect();
    for (hostile_vm, plain_vm) in [("vm-1_A", "vmone"), ("vm-2_B", "vmtwo")] {
        swaps.insert(
            0,
            (
                derived_mac("clusterx", plain_vm),
                derived_mac("c-1_X", hostile_vm),
            ),
        );
    }
    swaps
}

/// The twin's text with the hostile values in: what the hostile text must equal.
fn swapped(plain: &str) -> String {
    let mut text = plain.to_owned();
    for (plain_value, hostile) in swaps() {
        text = text.replace(&plain_value, &hostile);
    }
    text
}

// --- Shell ------------------------------------------------------------------------------------

/// A shell token: a word (its text, and the tokens of the command substitutions in it), or an
/// operator.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word {
        text: String,
        nested: Vec<Vec<Token>>,
    },
    Operator(String),
}

/// Splits POSIX shell into words and operators as the shell's token recognition does: quotes,
/// backslashes, `$(...)`, `$((...))`, `${...}` and backquotes keep a word together; blanks,
/// newlines and the operator characters end it; `#` at a word's start comments the line out.
fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        match c {
            ' ' | '\t' => at += 1,
            '\n' => {
                tokens.push(Token::Operator("\n".into()));
                at += 1;
            }
            '#' => {
                while at < chars.len() && chars[at] != '\n' {
                    at += 1;
                }
            }
            '&' | '|' | ';' | '<' | '>' | '(' | ')' => {
                let two: String = chars[at..chars.len().min(at + 2)].iter().collect();
                let operator = if ["&&", "||", ";;", "<<", ">>", "<&", ">&", "<>", ">|"]
                    .contains(&two.as_str())
                {
                    two
                } else {
                    c.to_string()
                };
                at += operator.chars().count();
                tokens.push(Token::Operator(operator));
            }
            _ => {
                let (word, end) = word(&chars, at);
                tokens.push(word);
                at = end;
            }
        }
    }
    tokens
}

/// One word from `start`; where it ends.
fn word(chars: &[char], start: usize) -> (Token, usize) {
    let mut at = start;
    let mut nested = Vec::new();
    while at < chars.len() {
        match chars[at] {
            ' ' | '\t' | '\n' | '&' | '|' | ';' | '<' | '>' | '(' | ')' => break,
            '\\' => at += 2,
            '\'' => at = closing(chars, at + 1, '\'') + 1,
            '"' => {
                at += 1;
                while at < chars.len() && chars[at] != '"' {
                    match chars[at] {
                        '\\' => at += 2,
                        '$' | '`' => at = substitution(chars, at, &mut nested),
                        _ => at += 1,
                    }
                }
                at += 1;
            }
            '$' | '`' => at = substitution(chars, at, &mut nested),
            _ => at += 1,
        }
    }
    let end = at.min(chars.len());
    (
        Token::Word {
            text: chars[start..end].iter().collect(),
            nested,
        },
        end,
    )
}

/// Skips a `$...` or backquote substitution at `at`, lexing a command substitution's inside
/// into `nested`; where it ends.
fn substitution(chars: &[char], at: usize, nested: &mut Vec<Vec<Token>>) -> usize {
    if chars[at] == '`' {
        let end = closing(chars, at + 1, '`');
        nested.push(lex(&chars[at + 1..end].iter().collect::<String>()));
        return end + 1;
    }
    match chars.get(at + 1) {
        Some('(') if chars.get(at + 2) == Some(&'(') => balanced(chars, at + 1) + 1,
        Some('(') => {
            let end = balanced(chars, at + 1);
            nested.push(lex(&chars[at + 2..end].iter().collect::<String>()));
            end + 1
        }
        Some('{') => closing(chars, at + 2, '}') + 1,
        _ => at + 1,
    }
}

/// The index of the `close` that ends a quoted run starting at `from`.
fn closing(chars: &[char], from: usize, close: char) -> usize {
    let mut at = from;
    while at < chars.len() && chars[at] != close {
        if chars[at] == '\\' && close != '\'' {
            at += 1;
        }
        at += 1;
    }
    at.min(chars.len())
}

/// The index of the `)` that closes the `(` at `open`, skipping quoted text.
fn balanced(chars: &[char], open: usize) -> usize {
    let mut depth = 0;
    let mut at = open;
    while at < chars.len() {
        match chars[at] {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return at;
                }
            }
            '\'' => at = closing(chars, at + 1, '\''),
            '"' => at = closing(chars, at + 1, '"'),
            '\\' => at += 1,
            _ => {}
        }
        at += 1;
    }
    chars.len()
}

/// What a word means when it is plain text: the shell's quote removal. None when it expands
/// something at run time (then its shape is compared, not its value).
fn literal(word: &str) -> Option<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut value = String::new();
    let mut at = 0;
    while at < chars.len() {
        match chars[at] {
            '\\' => {
                value.extend(chars.get(at + 1));
                at += 2;
            }
            '\'' => {
                let end = closing(&chars, at + 1, '\'');
                value.extend(&chars[at + 1..end]);
                at = end + 1;
            }
            '"' => {
                at += 1;
                while at < chars.len() && chars[at] != '"' {
                    match chars[at] {
                        '$' | '`' => return None,
                        '\\' if matches!(chars.get(at + 1), Some('$' | '`' | '"' | '\\')) => {
                            value.extend(chars.get(at + 1));
                            at += 2;
                        }
                        c => {
                            value.push(c);
                            at += 1;
                        }
                    }
                }
                at += 1;
            }
            '$' | '`' | '*' | '?' | '[' => return None,
            c => {
                value.push(c);
                at += 1;
            }
        }
    }
    Some(value)
}

/// Whether `hostile` has the tokens of `plain`, every literal word the plain one with the values
/// swapped; the first difference otherwise.
fn same_meaning(plain: &[Token], hostile: &[Token]) -> Result<(), String> {
    if plain.len() != hostile.len() {
        return Err(format!(
            "{} tokens where the twin has {}:\n  {hostile:?}\n  {plain:?}",
            hostile.len(),
            plain.len()
        ));
    }
    for (plain, hostile) in plain.iter().zip(hostile) {
        match (plain, hostile) {
            (Token::Operator(a), Token::Operator(b)) if a == b => {}
            (
                Token::Word {
                    text: plain_text,
                    nested: plain_nested,
                },
                Token::Word {
                    text: hostile_text,
                    nested: hostile_nested,
                },
            ) => {
                if plain_nested.len() != hostile_nested.len() {
                    return Err(format!("{hostile_text} is not shaped like {plain_text}"));
                }
                for (a, b) in plain_nested.iter().zip(hostile_nested) {
                    same_meaning(a, b)?;
                }
                match (literal(plain_text), literal(hostile_text)) {
                    (Some(plain_value), Some(hostile_value)) => {
                        if swapped(&plain_value) != hostile_value {
                            return Err(format!(
                                "the word {hostile_text} means {hostile_value:?}, the twin's {plain_text} with the values swapped means {:?}",
                                swapped(&plain_value)
                            ));
                        }
                    }
                    (None, None) => {}
                    _ => {
                        return Err(format!(
                            "{hostile_text} and the twin's {plain_text}: one is plain text, the other expands"
                        ));
                    }
                }
            }
            _ => return Err(format!("{hostile:?} where the twin has {plain:?}")),
        }
    }
    Ok(())
}

fn plans(text: &str) -> Vec<Plan> {
    let design = wizard_steps::validate(&profile(text)).expect("valid");
    ["8.4.11", "9.2.0"]
        .iter()
        .map(|module| {
            let facts = NodeFacts {
                drbd_module: Some((*module).into()),
                ..NodeFacts::default()
            };
            plan(&design, &[facts.clone(), facts])
        })
        .collect()
}

#[test]
fn every_planned_command_has_the_twins_words() {
    let mut compared = 0;
    for (hostile, plain) in plans(&hostile_text()).iter().zip(plans(&twin_text())) {
        let hostile_steps: Vec<_> = hostile.steps().map(|(_, step)| step).collect();
        let plain_steps: Vec<_> = plain.steps().map(|(_, step)| step).collect();
        assert_eq!(hostile_steps.len(), plain_steps.len());
        for (hostile_step, plain_step) in hostile_steps.iter().zip(&plain_steps) {
            assert_eq!(hostile_step.id, swapped(&plain_step.id));
            let commands = hostile_step.operation.shell_commands();
            let twins = plain_step.operation.shell_commands();
            assert_eq!(commands.len(), twins.len(), "{}", hostile_step.id);
            for (command, twin) in commands.iter().zip(&twins) {
                let parsed = common::run(Command::new("/bin/sh").args(["-n", "-c", command]));
                common::assert_success(&parsed, &format!("dash -n of {}", hostile_step.id));
                if let Err(difference) = same_meaning(&lex(twin), &lex(command)) {
                    panic!(
                        "{}: the hostile command does not mean what its twin means: {difference}\n--- hostile\n{command}\n--- twin\n{twin}",
                        hostile_step.id
                    );
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 150, "only {compared} commands compared");
}

/// The comparison itself is not blind: the hand-over check as it was before the audit (the NIC
/// pasted into a single-quoted grep pattern) and a value quoted the wrong way are caught.
#[test]
fn the_comparison_catches_a_value_that_escapes_its_quotes() {
    let old_check = |nic: &str| {
        format!(
            "grep -qE '^[[:space:]]*(auto|allow-[a-z]+|iface)[[:space:]].*\\b{nic}\\b' /etc/network/interfaces"
        )
    };
    let twin = lex(&old_check("nicone"));
    assert!(same_meaning(&twin, &lex(&old_check("e.t-h_0"))).is_ok());
    // security.md finding 1's reproducer: the NIC `';id;'`.
    let injected = same_meaning(&twin, &lex(&old_check("';id;'")));
    assert!(injected.is_err(), "{injected:?}");
    // A BMC user written unquoted: the shell splits it.
    let unquoted = same_meaning(&lex("echo bmcuserone"), &lex("echo a$(id);|&<>*=!{}"));
    assert!(unquoted.is_err());
    let quoted = same_meaning(&lex("echo bmcuserone"), &lex("echo 'a$(id);|&<>*=!{}'"));
    assert!(quoted.is_ok(), "{quoted:?}");
}

// --- crm --------------------------------------------------------------------------------------

/// The profile's crm script loaded by crmsh into an offline CIB (with its two nodes), as XML.
fn loaded_cib(text: &str, dir: &Path) -> String {
    fs::create_dir_all(dir).expect("mkdir");
    let path = dir.join("profile.toml");
    fs::write(&path, text).expect("write the profile");
    let rendered = common::render(&path, &[]);
    let design = wizard_steps::validate(&profile(text)).expect("valid");
    let cib = dir.join("cib.xml");
    let empty = common::run(Command::new(common::require_tool("cibadmin")).arg("--empty"));
    common::assert_success(&empty, "cibadmin --empty");
    fs::write(&cib, &empty.stdout).expect("write the CIB");
    let nodes: String = design
        .nodes
        .iter()
        .map(|node| format!("node {}\n", node.hostname))
        .collect();
    fs::write(dir.join("nodes.crm"), nodes).expect("nodes.crm");
    for script in [dir.join("nodes.crm"), rendered.path().join("cluster.crm")] {
        let output = common::run(
            Command::new(common::require_tool("crm"))
                .args(["configure", "load", "update"])
                .arg(&script)
                .env("CIB_file", &cib)
                .env("HOME", dir)
                .env("XDG_CACHE_HOME", dir.join(".cache"))
                .env("XDG_CONFIG_HOME", dir.join(".config")),
        );
        common::assert_success(
            &output,
            &format!("crm configure load update {}", script.display()),
        );
    }
    fs::read_to_string(&cib).expect("the CIB")
}

/// Walks both CIBs' configurations in step: the same elements and attributes, each hostile
/// attribute value the twin's with the values swapped.
fn same_configuration(plain: roxmltree::Node<'_, '_>, hostile: roxmltree::Node<'_, '_>) {
    assert_eq!(plain.tag_name(), hostile.tag_name());
    let plain_attributes: Vec<_> = plain.attributes().collect();
    let hostile_attributes: Vec<_> = hostile.attributes().collect();
    assert_eq!(
        plain_attributes.len(),
        hostile_attributes.len(),
        "{:?}: {hostile_attributes:?} vs {plain_attributes:?}",
        hostile.tag_name()
    );
    for (a, b) in plain_attributes.iter().zip(&hostile_attributes) {
        assert_eq!(a.name(), b.name());
        assert_eq!(
            swapped(a.value()),
            b.value(),
            "<{} {}=...>: the hostile CIB's value is not the twin's",
            hostile.tag_name().name(),
            b.name()
        );
    }
    let plain_children: Vec<_> = plain.children().filter(|node| node.is_element()).collect();
    let hostile_children: Vec<_> = hostile
        .children()
        .filter(|node| node.is_element())
        .collect();
    assert_eq!(
        plain_children.len(),
        hostile_children.len(),
        "<{}> has other children than its twin",
        hostile.tag_name().name()
    );
    for (a, b) in plain_children.into_iter().zip(hostile_children) {
        same_configuration(a, b);
    }
}

fn configuration<'a, 'input>(
    document: &'a roxmltree::Document<'input>,
) -> roxmltree::Node<'a, 'input> {
    document
        .descendants()
        .find(|node| node.has_tag_name("configuration"))
        .expect("a configuration")
}

#[test]
fn the_crm_configuration_loads_into_the_twins_cib_with_the_values_swapped() {
    let dir = TempDir::new().expect("temporary directory");
    let hostile = loaded_cib(&hostile_text(), &dir.path().join("hostile"));
    let plain = loaded_cib(&twin_text(), &dir.path().join("plain"));
    let hostile = roxmltree::Document::parse(&hostile).expect("parses");
    let plain = roxmltree::Document::parse(&plain).expect("parses");
    same_configuration(configuration(&plain), configuration(&hostile));
    // And the values are really there, in full.
    let users: Vec<&str> = configuration(&hostile)
        .descendants()
        .filter(|node| node.attribute("name") == Some("username"))
        .filter_map(|node| node.attribute("value"))
        .collect();
    assert_eq!(users, ["a$(id);|&<>*=!{}", "~^%@[]?:,+-;$IFS"]);
}
