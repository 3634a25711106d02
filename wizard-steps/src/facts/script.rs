//! The read-only scripts that ask a node what it is and has, and the parser of their output.

use std::collections::BTreeMap;

use super::*;
use crate::profile::Boot;
use crate::remote::quote;
use crate::validate::Design;

/// Shell (POSIX sh) that defines `volume_probe DEVICE [RESOURCE MINOR]`, which prints what the
/// device holds as words for [`VolumeContent::from_probe`]: `blank`, or `signature:TYPE` for
/// every signature wipefs lists (filesystems, partition tables, LVM, swap, RAID, DRBD), and
/// `data-at-start` / `data-at-end` when the first or last MiB is not all zero. With DRBD
/// metadata of a configured resource it adds `drbd-fresh` (never synced: its current
/// generation UUID is "just created") or `drbd-used`, and the last MiB checked is the last of
/// the data, before the metadata. Read-only: wipefs without -a only lists, drbdadm only
/// reads the metadata.
pub const VOLUME_PROBE: &str = r#"volume_probe() {
  dev=$1 res=$2 minor=$3 found="" gi=""
  for sig in $(wipefs --noheadings --output TYPE "$dev" 2>/dev/null); do found="$found signature:$sig"; done
  cmp -s -n 1048576 "$dev" /dev/zero || found="$found data-at-start"
  end=$(blockdev --getsize64 "$dev" 2>/dev/null || stat -L -c %s "$dev")
  case "$found" in *signature:drbd*)
    end=""
    if [ -n "$res" ] && [ -e "/etc/drbd.d/$res.res" ]; then
      gi=$(drbdadm get-gi "$res" 2>/dev/null | tail -n 1)
      if drbdsetup status "$res" >/dev/null 2>&1; then end=$(( $(cat "/sys/block/drbd$minor/size" 2>/dev/null || echo 0) * 512 ))
      else end=$(drbdadm -- --force dump-md "$res" 2>/dev/null | sed -n 's/^# bm_offset //p'); fi
    fi
    case "$gi" in 0000000000000004:*) found="$found drbd-fresh" ;; ?*) found="$found drbd-used" ;; esac ;;
  esac
  if [ "${end:-0}" -gt 1048576 ] 2>/dev/null; then
    dd if="$dev" bs=1048576 skip=$((end - 1048576)) count=1 iflag=skip_bytes 2>/dev/null | cmp -s -n 1048576 - /dev/zero || found="$found data-at-end"
  fi
  found=${found# }
  echo "${found:-blank}"
}
"#;

/// Who and what the node is: the part of every look at a node that needs no profile.
const IDENTITY_SCRIPT: &str = r#"export LC_ALL=C
echo "uid=$(id -u)"
echo "hostname=$(uname -n)"
echo "machine_id=$(cat /etc/machine-id 2>/dev/null)"
. /etc/os-release 2>/dev/null && echo "os_id=$ID" && echo "os_version_id=$VERSION_ID"
echo "cpus=$(nproc)"
if command -v xl >/dev/null 2>&1 && xl_info=$(xl info 2>/dev/null); then
  echo dom0=yes
  echo "memory_mib=$(printf '%s\n' "$xl_info" | awk -F': *' '/^total_memory/ {print $2}')"
  printf '%s\n' "$xl_info" | grep -q 'virt_caps.*hvm' && echo hvm=yes || echo hvm=no
  echo "xen_commandline=$(printf '%s\n' "$xl_info" | awk -F': *' '/^xen_commandline/ {print $2}')"
else
  echo dom0=no
  echo "memory_mib=$(( $(awk '/^MemTotal/ {print $2}' /proc/meminfo) / 1024 ))"
  grep -qwE 'vmx|svm' /proc/cpuinfo && echo hvm=yes || echo hvm=no
fi
"#;

/// The node's network interfaces and IPv4 addresses.
const INTERFACES_SCRIPT: &str = r#"for dev in /sys/class/net/*; do
  name=${dev##*/}
  master=$(basename "$(readlink "$dev/master" 2>/dev/null)" 2>/dev/null)
  [ -d "$dev/bridge" ] && kind=bridge || kind=link
  echo "nic=$name $kind $master"
done
ip -o -4 addr show 2>/dev/null | awk '{print "address=" $2 " " $4}'
"#;

/// The read-only script that tells what a node is and has before there is a profile to check it
/// against: identity, memory, interfaces, every volume group and logical volume (with what blkid
/// finds on it). The wizard runs it when the administrator connects to a node.
pub fn discovery_script() -> String {
    format!(
        r#"{IDENTITY_SCRIPT}{INTERFACES_SCRIPT}vgs --noheadings --units m --nosuffix -o vg_name,vg_size,vg_free 2>/dev/null | awk '{{print "group=" $1 " " int($2) " " int($3)}}'
{VOLUME_PROBE}lvs --noheadings --units m --nosuffix -o vg_name,lv_name,lv_size 2>/dev/null | while read -r vg lv size; do
  echo "group_volume=$vg $lv ${{size%%.*}} $(volume_probe "/dev/$vg/$lv")"
done
"#
    )
}

/// The read-only script that reports a node's facts, for node `index` of the design.
pub fn gather_script(design: &Design, index: usize) -> String {
    let peer = design.nodes[1 - index].replication_address;
    let vg = quote(&design.storage.volume_group);
    // Each VM's volume: its size, and what it holds (probed with its DRBD resource, whose
    // metadata may be Tandem's own from an earlier, interrupted run).
    let volumes: String = design
        .vms
        .iter()
        .map(|vm| {
            let disk = quote(&vm.backing_disk);
            let name = quote(&vm.volume);
            format!(
                "if [ -b {disk} ]; then\n  echo \"lv={name} $(lvs --noheadings --units m --nosuffix -o lv_size {disk} 2>/dev/null | awk '{{print int($1)}}')\"\n  echo \"content={name} $(volume_probe {disk} {resource} {minor})\"\nfi\n",
                resource = quote(&vm.name),
                minor = vm.drbd_minor,
            )
        })
        .collect();
    let files: Vec<String> = design
        .vms
        .iter()
        .flat_map(|vm| match &vm.boot {
            Boot::Hvm { iso, .. } => vec![quote(iso)],
            Boot::Pv {
                kernel, ramdisk, ..
            } => std::iter::once(quote(kernel))
                .chain(ramdisk.as_deref().map(quote))
                .collect(),
        })
        .collect();
    let packages = design.packages().join(" ");
    let sbd = match &design.cluster.fencing {
        crate::profile::Fencing::Sbd { device, .. } => format!(
            "sbd_dev={}\nif [ -b \"$sbd_dev\" ]; then\n  [ \"$(head -c 8 \"$sbd_dev\" 2>/dev/null)\" = SBD_SBD_ ] && initialised=yes || initialised=no\n  echo \"sbd_disk=present $(blockdev --getsize64 \"$sbd_dev\") $initialised $(volume_probe \"$sbd_dev\")\"\nelse echo sbd_disk=missing; fi\n[ -c /dev/watchdog ] && echo watchdog=yes\nmodinfo softdog >/dev/null 2>&1 && echo softdog=available\n",
            quote(device)
        ),
        _ => String::new(),
    };
    // The BMC this node fences the other with: an RMCP presence ping (ASF, UDP 623), which a
    // BMC answers without a password, and no IPMI client is needed for it before Tandem
    // installs one. The pong's message type is 0x40.
    let peer_bmc = match (&design.cluster.fencing, &design.nodes[1 - index].bmc) {
        (crate::profile::Fencing::Ipmi {}, Some(bmc)) => format!(
            "pong=$(timeout 3 bash -c 'exec 3<>/dev/udp/'{}'/623 && printf \"\\006\\000\\377\\006\\000\\000\\021\\276\\200\\000\\000\\000\" >&3 && head -c 12 <&3 | od -An -tx1' 2>/dev/null)\ncase \"$pong\" in *\"11 be 40\"*) echo peer_bmc=answers ;; *) echo peer_bmc=silent ;; esac\n",
            quote(&bmc.address)
        ),
        _ => String::new(),
    };
    // bash's /dev/tcp tells a refusal (the machine is there, qnetd not yet) from silence.
    let qnetd = match &design.cluster.quorum_device {
        Some(device) => format!(
            "reach=$({} 2>&1) && echo qnetd=open || case \"$reach\" in *refused*) echo qnetd=refused ;; *) echo qnetd=unreachable ;; esac\n",
            crate::remote::tcp_probe(&device.address, device.port, 5)
        ),
        None => String::new(),
    };
    format!(
        r#"{IDENTITY_SCRIPT}echo "drbd_module=$(modinfo -F version drbd 2>/dev/null)"
for package in {packages}; do
  installed=$(dpkg-query -W -f='${{Status}} ${{Version}}' "$package" 2>/dev/null | awk '/install ok installed/ {{print $4}}')
  if [ -n "$installed" ]; then echo "installed=$package $installed"
  elif ! apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [0-9]'; then echo "unavailable=$package"; fi
done
{INTERFACES_SCRIPT}vgs --noheadings --units m --nosuffix -o vg_size,vg_free {vg} 2>/dev/null | awk '{{print "vg=" int($1) " " int($2)}}'
{VOLUME_PROBE}{volumes}{sbd}{qnetd}{peer_bmc}ss -Htln 2>/dev/null | awk '{{n = split($4, part, ":"); print "listening=" part[n]}}'
for unit in sbd corosync-qdevice; do systemctl is-enabled --quiet "$unit" 2>/dev/null && echo "enabled=$unit"; done
command -v drbdsetup >/dev/null 2>&1 && drbdsetup status 2>/dev/null | awk '/^[^ ]/ {{print "drbd_up=" $1}}'
for file in {files}; do [ -e "$file" ] && echo "file=$file"; done
for res in /etc/drbd.d/*.res; do
  [ -f "$res" ] && head -n 1 "$res" | grep -qF {marker} && echo "tandem_vm=$(basename "$res" .res)"
done
if [ -e {migration_config} ] || grep -qsF {migration_comment} {authorized_keys}; then echo migration_access=yes; fi
ping -c 1 -W 2 {peer} >/dev/null 2>&1 && echo reaches_peer=yes || echo reaches_peer=no
if systemctl is-active --quiet corosync 2>/dev/null; then
  corosync-cmapctl 2>/dev/null | grep -E '^(totem|nodelist|quorum|logging)\.' | sed 's/^/corosync_running=/'
fi
[ -r {corosync_conf} ] && sed 's/^/corosync_conf=/' {corosync_conf}
"#,
        corosync_conf = crate::render::paths::COROSYNC_CONF,
        migration_config = crate::render::paths::MIGRATION_SSH_CONFIG,
        migration_comment = quote(&format!(
            " {}",
            crate::render::migration_key_comment(
                &design.nodes[1 - index].hostname,
                &design.cluster.name
            )
        )),
        authorized_keys = crate::render::paths::ROOT_AUTHORIZED_KEYS,
        files = files.join(" "),
        marker = quote(&crate::render::rendered_marker(&design.cluster.name)),
    )
}

/// Parses the gather script's output.
pub fn parse(output: &str) -> NodeFacts {
    let mut facts = NodeFacts::default();
    for line in output.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let mut words = value.split_whitespace();
        match key {
            "uid" => facts.uid = value.trim().parse().ok(),
            "hostname" => facts.hostname = value.trim().to_owned(),
            "machine_id" => facts.machine_id = value.trim().to_owned(),
            "os_id" => facts.os_id = value.trim().to_owned(),
            "os_version_id" => facts.os_version_id = value.trim().trim_matches('"').to_owned(),
            "cpus" => facts.cpus = value.trim().parse().unwrap_or(0),
            "dom0" => facts.dom0 = value.trim() == "yes",
            "memory_mib" => facts.memory_mib = value.trim().parse().unwrap_or(0),
            "hvm" => facts.hvm_capable = value.trim() == "yes",
            "xen_commandline" => facts.xen_commandline = value.trim().to_owned(),
            "drbd_module" => {
                facts.drbd_module =
                    Some(value.trim().to_owned()).filter(|version| !version.is_empty())
            }
            "installed" => {
                if let (Some(package), Some(version)) = (words.next(), words.next()) {
                    facts
                        .installed
                        .insert(package.to_owned(), version.to_owned());
                }
            }
            "unavailable" => facts.unavailable.push(value.trim().to_owned()),
            "nic" => {
                if let (Some(name), Some(kind)) = (words.next(), words.next()) {
                    facts.nics.push(Nic {
                        name: name.to_owned(),
                        is_bridge: kind == "bridge",
                        master: words.next().map(str::to_owned),
                    });
                }
            }
            "address" => {
                if let (Some(interface), Some(address)) = (words.next(), words.next()) {
                    facts
                        .addresses
                        .push((interface.to_owned(), address.to_owned()));
                }
            }
            "vg" => {
                if let (Some(size), Some(free)) = (words.next(), words.next()) {
                    facts.volume_group = Some(VolumeGroup {
                        size_mib: size.parse().unwrap_or(0),
                        free_mib: free.parse().unwrap_or(0),
                    });
                }
            }
            "lv" => {
                if let (Some(name), Some(size)) = (words.next(), words.next()) {
                    let content = facts.volumes.remove(name).map(|lv| lv.content);
                    facts.volumes.insert(
                        name.to_owned(),
                        LogicalVolume {
                            size_mib: size.parse().unwrap_or(0),
                            // Not probed is not proven blank.
                            content: content.unwrap_or_else(unprobed),
                        },
                    );
                }
            }
            "content" => {
                if let Some(name) = words.next() {
                    let content = VolumeContent::from_probe(&words.collect::<Vec<_>>().join(" "));
                    facts
                        .volumes
                        .entry(name.to_owned())
                        .or_insert_with(|| LogicalVolume {
                            size_mib: 0,
                            content: unprobed(),
                        })
                        .content = content;
                }
            }
            "listening" => {
                if let Ok(port) = value.trim().parse()
                    && !facts.listening.contains(&port)
                {
                    facts.listening.push(port);
                }
            }
            "drbd_up" => facts.drbd_up.push(value.trim().to_owned()),
            "file" => facts.present_files.push(value.trim().to_owned()),
            "tandem_vm" => facts.tandem_vms.push(value.trim().to_owned()),
            "reaches_peer" => facts.reaches_peer = Some(value.trim() == "yes"),
            "corosync_conf" => {
                facts.corosync_conf.push_str(value);
                facts.corosync_conf.push('\n');
            }
            // "totem.cluster_name (str) = lab"
            "corosync_running" => {
                if let Some((key, value)) = value.split_once(" = ")
                    && let Some((key, _type)) = key.split_once(" (")
                {
                    facts
                        .corosync_running
                        .insert(key.to_owned(), value.to_owned());
                }
            }
            "migration_access" => facts.migration_access = value.trim() == "yes",
            "sbd_disk" => {
                facts.sbd_disk = match (words.next(), words.next(), words.next()) {
                    (Some("present"), Some(size), Some(initialised)) => Some(SbdDisk::Present {
                        size_bytes: size.parse().unwrap_or(0),
                        initialised: initialised == "yes",
                        content: VolumeContent::from_probe(&words.collect::<Vec<_>>().join(" ")),
                    }),
                    _ => Some(SbdDisk::Missing),
                }
            }
            "watchdog" => facts.watchdog = value.trim() == "yes",
            "enabled" => facts.enabled_services.push(value.trim().to_owned()),
            "peer_bmc" => facts.peer_bmc_answers = Some(value.trim() == "answers"),
            "qnetd" => {
                facts.qnetd = Some(match value.trim() {
                    "open" => Reach::Open,
                    "refused" => Reach::Refused,
                    _ => Reach::Unreachable,
                })
            }
            "softdog" => facts.softdog_available = value.trim() == "available",
            "group" => {
                if let (Some(name), Some(size), Some(free)) =
                    (words.next(), words.next(), words.next())
                {
                    facts.volume_groups.push(NamedVolumeGroup {
                        name: name.to_owned(),
                        size_mib: size.parse().unwrap_or(0),
                        free_mib: free.parse().unwrap_or(0),
                        volumes: BTreeMap::new(),
                    });
                }
            }
            "group_volume" => {
                if let (Some(group), Some(name), Some(size)) =
                    (words.next(), words.next(), words.next())
                    && let Some(found) = facts
                        .volume_groups
                        .iter_mut()
                        .find(|found| found.name == group)
                {
                    found.volumes.insert(
                        name.to_owned(),
                        LogicalVolume {
                            size_mib: size.parse().unwrap_or(0),
                            content: VolumeContent::from_probe(
                                &words.collect::<Vec<_>>().join(" "),
                            ),
                        },
                    );
                }
            }
            _ => {}
        }
    }
    facts
}

/// A volume the node listed but whose content it did not report: treated as data.
fn unprobed() -> VolumeContent {
    VolumeContent::Data(vec!["contents not probed".to_owned()])
}
