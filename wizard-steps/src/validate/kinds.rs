//! One rule per kind of value that reaches a node: what each may hold, and why.
//!
//! Every text of a profile ends up somewhere with a syntax of its own: a shell command run as
//! root, an ifupdown stanza, an xl domain config, a DRBD resource, corosync.conf or a crm shell
//! script that Pacemaker loads. A value is either proven safe everywhere it goes by its rule
//! here (its characters have no meaning in any of those languages), or it goes only to places
//! that quote it for their language (`remote::quote` for the shell). The rules say in their
//! error what is allowed and why, so the wizard and `tandem validate` can show it as it is.

/// Why a value breaks its rule: what is allowed, and why (for the field's problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// What is wrong with this value.
    pub message: String,
    /// What is allowed, and why.
    pub allowed: String,
}

impl Broken {
    fn new(message: impl Into<String>, allowed: &str) -> Broken {
        Broken {
            message: message.into(),
            allowed: allowed.to_owned(),
        }
    }
}

/// Characters with no meaning to the shell, ifupdown, xl, DRBD, corosync or crm.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

const INTERFACE_ALLOWED: &str = "use 1 to 15 letters, digits, '_', '.' or '-', not starting with \
     '-' (e.g. enp1s0, br0): the name is written into shell commands, the bridge's ifupdown \
     stanza and the VMs' Xen configs, where other characters have a meaning of their own";

/// A network interface or bridge name: `[A-Za-z0-9_.-]{1,15}`, no leading `-`. Every real
/// Debian NIC name fits; the kernel allows more, but those would be commands to the shell and
/// ifupdown, options to the tools (a leading `-`) or extra fields in xl's `vif` spec.
pub fn interface_name(name: &str) -> Result<(), Broken> {
    let what = |problem: &str| Broken::new(format!("\"{name}\" {problem}"), INTERFACE_ALLOWED);
    if name.is_empty() {
        return Err(Broken::new(
            "the interface name is empty",
            INTERFACE_ALLOWED,
        ));
    }
    if name.len() > 15 {
        return Err(what("is longer than the kernel's 15 characters"));
    }
    if name.starts_with('-') {
        return Err(what("starts with '-', which tools read as an option"));
    }
    if name == "." || name == ".." {
        return Err(what("is not a name"));
    }
    match name.chars().find(|c| !is_plain(*c)) {
        Some(c) => Err(what(&format!("contains {}", describe(c)))),
        None => Ok(()),
    }
}

const BMC_USER_ALLOWED: &str = "use the IPMI user name: 1 to 16 printable ASCII characters \
     without spaces, quotes, backslashes or '#' (IPMI allows 16 bytes; the name is written \
     into the Pacemaker configuration, where those characters would end or change it)";

/// An IPMI user name: 1 to 16 printable ASCII characters, no whitespace, quotes, backslash or
/// `#` (IPMI 2.0 allows 16 bytes; the crm shell would split or comment at those characters).
pub fn bmc_user(user: &str) -> Result<(), Broken> {
    ipmi_text(user, 16, "user name", BMC_USER_ALLOWED)
}

const BMC_PASSWORD_ALLOWED: &str = "use the IPMI password: 1 to 20 printable ASCII characters \
     without spaces, quotes, backslashes or '#' (IPMI 2.0 allows 20 bytes; fence_ipmilan reads \
     it from a file, one line, as typed)";

/// An IPMI password (IPMI 2.0: up to 20 bytes), with the same characters as the user name.
pub fn bmc_password(password: &str) -> Result<(), Broken> {
    ipmi_text(password, 20, "password", BMC_PASSWORD_ALLOWED)
}

fn ipmi_text(text: &str, max: usize, what: &str, allowed: &str) -> Result<(), Broken> {
    if text.is_empty() {
        return Err(Broken::new(format!("the BMC {what} is empty"), allowed));
    }
    if text.len() > max {
        return Err(Broken::new(
            format!("the BMC {what} is longer than IPMI's {max} bytes"),
            allowed,
        ));
    }
    match text
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '"' | '\'' | '\\' | '#' | '`'))
    {
        Some(c) => Err(Broken::new(
            format!("the BMC {what} contains {}", describe(c)),
            allowed,
        )),
        None => Ok(()),
    }
}

const NODE_PATH_ALLOWED: &str = "write an absolute path on the nodes made of letters, digits and \
     '_', '.', '-', '+' between single '/' (e.g. /var/lib/tandem/iso/install.iso): it is \
     written into the Xen configs (where ',', '=', quotes and spaces end a field) and into \
     shell commands";

const SBD_DEVICE_ALLOWED: &str = "name the shared disk by a stable link under /dev/disk/by-id/ \
     (or /dev/disk/by-path/ or /dev/mapper/), of letters, digits and '_', '.', '-', '+', ':' \
     (e.g. /dev/disk/by-id/wwn-0x5000c500a1b2c3d4): a kernel name such as /dev/sdb can name \
     another disk on the other node or after a reboot, and SBD on the wrong disk destroys it";

/// The shared SBD disk: a stable name under `/dev/disk/by-id/`, `/dev/disk/by-path/` or
/// `/dev/mapper/` (multipath), of plain characters plus `+` and `:` (by-path names have them),
/// so that it names the same disk on both nodes and needs no quoting beyond the shell's.
pub fn sbd_device(path: &str) -> Result<(), Broken> {
    let name = ["/dev/disk/by-id/", "/dev/disk/by-path/", "/dev/mapper/"]
        .iter()
        .find_map(|directory| path.strip_prefix(directory));
    match name {
        Some(name)
            if !name.is_empty()
                && !name.starts_with('.')
                && name.len() <= 200
                && name.chars().all(|c| is_plain(c) || matches!(c, '+' | ':')) =>
        {
            Ok(())
        }
        _ => Err(Broken::new(
            format!("\"{path}\" is not a stable name of a shared disk"),
            SBD_DEVICE_ALLOWED,
        )),
    }
}

/// An absolute path on the nodes: components of `[A-Za-z0-9_.+-]`, separated by single `/`,
/// no `.` or `..` components. xl's disk spec would read `,` and `=` as its own syntax, its
/// config strings end at quotes, and such a path needs no quoting anywhere.
pub fn node_path(path: &str) -> Result<(), Broken> {
    let broken = |problem: String| Broken::new(problem, NODE_PATH_ALLOWED);
    if !path.starts_with('/') || path.len() < 2 {
        return Err(broken(format!(
            "\"{path}\" is not an absolute path on the nodes"
        )));
    }
    if path.len() > 1024 {
        return Err(broken("the path is longer than 1024 characters".to_owned()));
    }
    for component in path[1..].split('/') {
        if component.is_empty() {
            return Err(broken(format!(
                "\"{path}\" has an empty part ('//' or a trailing '/')"
            )));
        }
        if component == "." || component == ".." {
            return Err(broken(format!("\"{path}\" has a '{component}' part")));
        }
        if let Some(c) = component.chars().find(|c| !is_plain(*c) && *c != '+') {
            return Err(broken(format!("\"{path}\" contains {}", describe(c))));
        }
    }
    Ok(())
}

const ISO_ALLOWED: &str = "name an install image ending in .iso: Xen attaches it as the VM's \
     CD drive, and Tandem uploads nothing else";

/// An install ISO on the nodes: a [`node_path`] whose name ends in `.iso` (any case).
pub fn iso_path(path: &str) -> Result<(), Broken> {
    node_path(path)?;
    if has_iso_extension(path) {
        Ok(())
    } else {
        Err(Broken::new(
            format!("\"{path}\" is not an .iso file"),
            ISO_ALLOWED,
        ))
    }
}

/// An ISO on this workstation to upload to the nodes: a named file ending in `.iso` (so a
/// profile from elsewhere cannot make Tandem copy, say, an SSH key to the nodes).
pub fn iso_source(path: &str) -> Result<(), Broken> {
    if path.trim().is_empty() {
        return Err(Broken::new(
            "the ISO to upload is not named",
            "choose the ISO file on this workstation, or leave the upload out",
        ));
    }
    if has_iso_extension(path) {
        Ok(())
    } else {
        Err(Broken::new(
            format!("\"{path}\" is not an .iso file"),
            "choose an install image ending in .iso: Tandem uploads only install images to \
             the nodes, never other files of this workstation",
        ))
    }
}

fn has_iso_extension(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.len() > 4 && name.to_ascii_lowercase().ends_with(".iso")
}

const CONFIG_TEXT_ALLOWED: &str = "leave out quotes, backslashes and control characters: the text \
     is written inside a double-quoted string of the VM's Xen config";

/// Free text written inside a double-quoted xl config string (kernel arguments): no quotes,
/// backslashes or control characters, at most `max` characters.
pub fn config_text(text: &str, max: usize) -> Result<(), Broken> {
    if text.chars().count() > max {
        return Err(Broken::new(
            format!("the text is longer than {max} characters"),
            CONFIG_TEXT_ALLOWED,
        ));
    }
    match text
        .chars()
        .find(|c| matches!(c, '"' | '\'' | '\\') || c.is_control())
    {
        Some(c) => Err(Broken::new(
            format!("the text contains {}", describe(c)),
            CONFIG_TEXT_ALLOWED,
        )),
        None => Ok(()),
    }
}

/// A VNC password: 1 to 8 characters (VNC's limit) of [`config_text`].
pub fn vnc_password(password: &str) -> Result<(), Broken> {
    const ALLOWED: &str = "choose 1 to 8 characters (VNC's limit) without quotes, backslashes \
         or control characters: it is written inside a double-quoted string of the Xen config";
    if password.is_empty() || password.chars().count() > 8 {
        return Err(Broken::new("a VNC password has 1 to 8 characters", ALLOWED));
    }
    config_text(password, 8).map_err(|broken| Broken::new(broken.message, ALLOWED))
}

/// A character as a person reads it in an error message.
fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '\t' => "a tab".to_owned(),
        '\n' | '\r' => "a line break".to_owned(),
        c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
        c => format!("'{c}'"),
    }
}

#[cfg(test)]
mod tests;
