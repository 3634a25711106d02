//! The syntax of single values: names (cluster, host, user, VM, LVM), sizes, rates, addresses
//! and MACs, and the MAC Tandem derives for a VM.

use std::net::Ipv4Addr;

use crate::design::Subnet;

/// Whether two node settings name the same thing: names compare without case, addresses as
/// addresses (whatever their prefix length or surrounding spaces).
pub(super) fn same_value(first: &str, second: &str) -> bool {
    let address = |text: &str| {
        let text = text.trim();
        text.split_once('/')
            .map_or(text, |(address, _)| address)
            .parse::<std::net::IpAddr>()
            .ok()
    };
    match (address(first), address(second)) {
        (Some(first), Some(second)) => first == second,
        _ => first.trim().eq_ignore_ascii_case(second.trim()),
    }
}

/// Parses "192.168.1.1/24" into the address and its subnet.
pub fn parse_interface_address(text: &str) -> Result<(Ipv4Addr, Subnet), String> {
    let (address, prefix) = text
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("\"{text}\" has no prefix length"))?;
    let address: Ipv4Addr = address
        .parse()
        .map_err(|_| format!("\"{address}\" is not an IPv4 address"))?;
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|prefix| (1..=30).contains(prefix))
        .ok_or_else(|| format!("\"/{prefix}\" is not a usable prefix length (1 to 30)"))?;
    let mask = u32::MAX << (32 - u32::from(prefix));
    let subnet = Subnet {
        network: Ipv4Addr::from(u32::from(address) & mask),
        prefix,
    };
    if !subnet.is_host(address) {
        return Err(format!(
            "{address} is the network or broadcast address of {subnet}"
        ));
    }
    Ok((address, subnet))
}

/// Parses an LVM size ("512M", "50G", "1.5T"; binary units as lvcreate reads them) into MiB.
pub fn parse_size_mib(text: &str) -> Option<u64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let factor: f64 = match unit.to_ascii_uppercase() {
        'M' => 1.0,
        'G' => 1024.0,
        'T' => 1024.0 * 1024.0,
        _ => return None,
    };
    let number = &text[..text.len() - 1];
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let mib = (value * factor).round();
    (1.0..1e15).contains(&mib).then_some(mib as u64)
}

pub(super) fn is_drbd_rate(text: &str) -> bool {
    let digits = text
        .strip_suffix(['K', 'M', 'G', 'k', 'm', 'g'])
        .unwrap_or(text);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.parse::<u64>().is_ok_and(|n| n > 0)
}

pub(super) fn is_cluster_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(super) fn is_hostname(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

pub(super) fn is_host_name_or_address(text: &str) -> bool {
    text.parse::<std::net::IpAddr>().is_ok()
        || (text.len() <= 253 && is_hostname_labels(text) && !looks_like_ipv4(text))
}

/// Whether a text that is not an address looks like an IPv4 one (`300.1.1.1`, `10.1.1`): its
/// last label is a number, which no DNS name has, so the resolver would be asked for a typo.
pub(super) fn looks_like_ipv4(text: &str) -> bool {
    text.rsplit('.')
        .next()
        .is_some_and(|last| !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()))
}

pub(super) fn is_hostname_labels(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

pub(super) fn is_user_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A name that is at once a valid Xen domain name, DRBD resource name, LVM-friendly name and
/// (with Tandem's prefixes) a Pacemaker XML id.
pub(super) fn is_vm_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.eq_ignore_ascii_case("Domain-0")
        && !name.eq_ignore_ascii_case("Domain-Unnamed")
}

/// LVM's rules for VG and LV names (lvm(8), "VALID NAMES").
pub(super) fn is_lvm_name(name: &str) -> bool {
    const RESERVED_PARTS: [&str; 13] = [
        "_cdata", "_cmeta", "_corig", "_iorig", "_mlog", "_mimage", "_pmspare", "_rimage",
        "_rmeta", "_tdata", "_tmeta", "_vorigin", "_vdata",
    ];
    (1..=127).contains(&name.len())
        && !name.starts_with('-')
        && name != "."
        && name != ".."
        && !name.starts_with("snapshot")
        && !name.starts_with("pvmove")
        && !RESERVED_PARTS.iter().any(|part| name.contains(part))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '_' | '.' | '-'))
}

/// The directory part of an absolute node path ("/a/b.iso" → "/a").
pub(super) fn parent_dir(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((parent, _)) => parent,
        None => "",
    }
}

/// The last part of a workstation path, as a node file name may carry it.
pub(super) fn file_name(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(super) fn is_unicast_mac(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_hexdigit()))
        && u8::from_str_radix(parts[0], 16).is_ok_and(|first| first & 1 == 0)
}

/// A stable MAC in Xen's OUI (00:16:3e), so the guest keeps its NIC identity on either node.
pub fn derived_mac(cluster: &str, vm: &str) -> String {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in cluster.bytes().chain([0]).chain(vm.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let [_, a, b, c] = hash.to_be_bytes();
    // Xen's OUI leaves the top bit of the fourth byte to the toolstack's random MACs.
    format!("00:16:3e:{:02x}:{b:02x}:{c:02x}", a & 0x7f)
}
