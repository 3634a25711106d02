//! DRBD: the kernel module and its settings, the VMs' logical volumes, the resource files and
//! their adjustment on a running resource, the metadata (guarded against existing data), the
//! resources up and the initial sync.

use crate::facts::{VOLUME_PROBE, VolumeContent};
use crate::remote::quote;
use crate::render::{DrbdGeneration, paths};
use crate::validate::VmDesign;

use super::builder::{BOTH, Builder};
use super::{Operation, Phase, PhaseKind, Step, phase};

impl Builder<'_> {
    pub(super) fn drbd_module(&self) -> Phase {
        let steps = BOTH
            .iter()
            .flat_map(|&node| {
                [
                    self.file_step(node, paths::DRBD_MODPROBE),
                    self.file_step(node, paths::DRBD_MODULES_LOAD),
                    self.step(
                        "drbd-module".into(),
                        node,
                        "load DRBD with disable_sendpage".into(),
                        Operation::Command {
                            check: Some(SENDPAGE_DISABLED.into()),
                            // The parameter is writable at run time, so a module loaded earlier
                            // (with resources up) need not be reloaded.
                            apply: "modprobe drbd && echo Y > /sys/module/drbd/parameters/disable_sendpage".into(),
                            verify: Some(SENDPAGE_DISABLED.into()),
                        },
                    ),
                ]
            })
            .collect();
        phase(PhaseKind::DrbdModule, "DRBD module", false, steps)
    }

    pub(super) fn keeps_data(&self, vm: &VmDesign) -> bool {
        vm.keep_data_on.is_some()
    }

    pub(super) fn volumes(&self) -> Phase {
        let group = &self.design.storage.volume_group;
        let mut steps = Vec::new();
        for &node in &BOTH {
            for vm in &self.design.vms {
                let volume = &vm.volume;
                let size = vm.lv_size_mib();
                let lv = quote(&format!("{group}/{volume}"));
                let has_size = format!(
                    "[ \"$(lvs --noheadings --units m --nosuffix -o lv_size {lv} 2>/dev/null | awk '{{print int($1)}}')\" -ge {size} ]"
                );
                let exists = format!("lvs {lv} >/dev/null 2>&1");
                let operation = if vm.creates_volume {
                    Operation::Command {
                        check: Some(exists.clone()),
                        // -Wy: a new LV may show a stale signature from an old one; it is not
                        // data. Its first and last MiB zeroed make it blank by construction
                        // (what the metadata step's probe asks of a volume it may write to).
                        apply: format!(
                            "lvcreate --yes -Wy -L {size}m -n {} {} && dd if=/dev/zero of={disk} bs=1M count=1 conv=fsync status=none && dd if=/dev/zero of={disk} bs=1M seek={last} count=1 conv=fsync status=none",
                            quote(volume),
                            quote(group),
                            disk = quote(&vm.backing_disk),
                            last = size - 1,
                        ),
                        verify: Some(exists),
                    }
                } else {
                    Operation::Require {
                        check: exists,
                        failure: format!(
                            "{} is missing and the profile does not create it",
                            vm.backing_disk
                        ),
                    }
                };
                steps.push(self.step(
                    format!("volume:{}", vm.name),
                    node,
                    format!("logical volume {} ({size} MiB)", vm.backing_disk),
                    operation,
                ));
                if self.keeps_data(vm) {
                    steps.push(self.step(
                        format!("volume-room:{}", vm.name),
                        node,
                        format!(
                            "room for DRBD metadata after the data on {}",
                            vm.backing_disk
                        ),
                        Operation::Command {
                            check: Some(has_size.clone()),
                            apply: format!("lvextend -L {size}m {lv}"),
                            verify: Some(has_size),
                        },
                    ));
                }
            }
        }
        phase(PhaseKind::Volumes, "Volumes", false, steps)
    }

    pub(super) fn drbd_config(&self) -> Phase {
        // Dual-primary cannot be switched off while both sides are Primary: then the running
        // resources follow their files after the cluster has demoted one side (the live
        // migration switch-off phase, after Pacemaker's).
        let until_one_primary = self.switching_live_migration_off();
        let mut steps = Vec::new();
        for &node in &BOTH {
            steps.push(self.fence_peer_handler(node));
            steps.push(self.file_step(node, paths::DRBD_GLOBAL_COMMON));
            for vm in &self.design.vms {
                steps.push(self.file_step(node, &paths::drbd_resource(&vm.name)));
                steps.push(self.drbd_adjusted(node, vm, "drbd-adjusted", until_one_primary));
            }
        }
        phase(PhaseKind::DrbdConfig, "DRBD configuration", false, steps)
    }

    /// The fence-peer handler the resource files name: the distribution's script with
    /// [`FENCE_PEER_HANDLER_FIX`], made anew from it when the package changes it.
    fn fence_peer_handler(&self, node: usize) -> Step {
        let (handler, source) = paths::fence_peer_handler(self.platform.drbd);
        let derived = fence_peer_handler_from(source);
        let same = format!(
            "t=$(mktemp) && {derived} > \"$t\" && cmp -s \"$t\" {handler}; rc=$?; rm -f \"$t\"; exit $rc"
        );
        self.step(
            "fence-peer-handler".into(),
            node,
            format!("DRBD's fence-peer handler {handler} reads Pacemaker 3's node states"),
            Operation::Command {
                check: Some(same.clone()),
                apply: format!(
                    "mkdir -p \"$(dirname {handler})\" && {{ {derived} > {handler}.new || {{ rm -f {handler}.new; echo \"{source} has changed: Tandem cannot adapt it to Pacemaker 3's node states\" >&2; exit 1; }}; }} && chmod 755 {handler}.new && mv {handler}.new {handler}"
                ),
                verify: Some(same),
            },
        )
    }

    /// A resource that is up runs with the options it was started with: a changed file (a
    /// resync rate, live migration's dual-primary) reaches the kernel only through `drbdadm
    /// adjust`, which applies the difference online. Its dry run prints nothing when the kernel
    /// already matches the files. `unless_both_primary`: left for later while both sides are
    /// Primary.
    pub(super) fn drbd_adjusted(
        &self,
        node: usize,
        vm: &VmDesign,
        id: &str,
        unless_both_primary: bool,
    ) -> Step {
        let resource = quote(&vm.name);
        let adjusted = format!(
            "! drbdsetup status {resource} >/dev/null 2>&1 || [ -z \"$(drbdadm -d adjust {resource} 2>&1)\" ]"
        );
        let (check, title) = if unless_both_primary {
            (
                format!(
                    "{adjusted} || [ \"$(drbdsetup status {resource} 2>/dev/null | grep -c 'role:Primary')\" -ge 2 ]"
                ),
                format!(
                    "the running DRBD resource {} follows its files (unless both sides are Primary)",
                    vm.name
                ),
            )
        } else {
            (
                adjusted.clone(),
                format!("the running DRBD resource {} follows its files", vm.name),
            )
        };
        self.step(
            format!("{id}:{}", vm.name),
            node,
            title,
            Operation::Command {
                check: Some(check.clone()),
                apply: format!("drbdadm adjust {resource}"),
                verify: Some(check),
            },
        )
    }

    pub(super) fn drbd_metadata(&self) -> Phase {
        let metadata_format = match self.platform.drbd {
            DrbdGeneration::V84 => "v08",
            DrbdGeneration::V9 => "v09",
        };
        let mut steps = Vec::new();
        for &node in &BOTH {
            for vm in &self.design.vms {
                let disk = quote(&vm.backing_disk);
                let resource = quote(&vm.name);
                let check = format!(
                    "drbdadm status {resource} >/dev/null 2>&1 || drbdmeta --force {minor} {metadata_format} {disk} internal dump-md >/dev/null 2>&1",
                    minor = vm.drbd_minor
                );
                let holds = self.data_under_metadata(node, vm);
                let (guard, destructive) = match vm.keep_data_on {
                    // This node's data is the original: DRBD's metadata goes into the room
                    // added after it (the data stays, but the administrator confirms that it
                    // is this volume's data that is kept).
                    Some(keeper) if keeper == node => (
                        String::new(),
                        holds.map(|found| {
                            format!(
                                "{} on {} holds {found}: DRBD metadata is written into the room added after it, and this data is then copied over the other node's volume",
                                vm.backing_disk,
                                self.hostname(node)
                            )
                        }),
                    ),
                    // The peer's data wins: this node's old contents go.
                    Some(keeper) => (
                        format!("wipefs -a {disk} && "),
                        holds.map(|found| {
                            format!(
                                "{} on {} holds {found}: its contents are erased and replaced by {}'s",
                                vm.backing_disk,
                                self.hostname(node),
                                self.hostname(keeper)
                            )
                        }),
                    ),
                    // Nobody said whose data to keep: only a volume proven blank on the node,
                    // right now, gets metadata.
                    None => (
                        format!(
                            "{VOLUME_PROBE}found=$(volume_probe {disk}); if [ \"$found\" != blank ]; then echo \"{} holds data ($found): Tandem does not overwrite data unless the profile says whose to keep (keep_data_on)\" >&2; exit 1; fi\n",
                            vm.backing_disk
                        ),
                        None,
                    ),
                };
                let mut step = self.step(
                    format!("create-md:{}", vm.name),
                    node,
                    format!("DRBD metadata for {}", vm.name),
                    Operation::Command {
                        check: Some(check.clone()),
                        apply: format!("{guard}drbdadm -- --force create-md {resource}"),
                        verify: Some(check),
                    },
                );
                step.destructive = destructive;
                steps.push(step);
            }
        }
        phase(PhaseKind::DrbdMetadata, "DRBD metadata", false, steps)
    }

    pub(super) fn drbd_up(&self) -> Phase {
        let mut steps = Vec::new();
        for &node in &BOTH {
            for vm in &self.design.vms {
                let resource = quote(&vm.name);
                let up = format!("drbdadm status {resource} >/dev/null 2>&1");
                steps.push(self.step(
                    format!("drbd-up:{}", vm.name),
                    node,
                    format!("bring {} up", vm.name),
                    Operation::Command {
                        check: Some(up.clone()),
                        apply: format!("drbdadm up {resource}"),
                        verify: Some(up),
                    },
                ));
            }
        }
        for &node in &BOTH {
            for vm in &self.design.vms {
                steps.push(self.step(
                    format!("drbd-connected:{}", vm.name),
                    node,
                    format!("{} connected to the peer", vm.name),
                    Operation::WaitUntil {
                        condition: format!(
                            "drbdadm cstate {} 2>/dev/null | grep -qE '^(Connected|Sync|PausedSync|Verify|Established)'",
                            quote(&vm.name)
                        ),
                        timeout_secs: 180,
                    },
                ));
            }
        }
        phase(PhaseKind::DrbdUp, "DRBD up and connected", false, steps)
    }

    /// The data on `node`'s volume of `vm` that the metadata step would write to (a
    /// description): none on a volume that already has DRBD metadata (the step is done).
    pub(super) fn data_under_metadata(&self, node: usize, vm: &VmDesign) -> Option<String> {
        self.facts[node]
            .volume(&vm.volume)
            .filter(|lv| lv.content.holds_data() && !lv.content.has_drbd_metadata())
            .map(|lv| lv.content.describe())
    }

    /// What `node`'s volume of `vm` is before this run: None when it is missing (this run
    /// creates it, blank by construction).
    pub(super) fn content(&self, node: usize, vm: &VmDesign) -> Option<&VolumeContent> {
        self.facts[node].volume(&vm.volume).map(|lv| &lv.content)
    }

    /// Whether both nodes probed a VM's existing volume blank (before any DRBD metadata), so
    /// the initial sync may be skipped.
    pub(super) fn both_blank(&self, vm: &VmDesign) -> bool {
        self.design.cluster.drbd.skip_initial_sync_when_blank
            && !self.keeps_data(vm)
            && BOTH
                .iter()
                .all(|&node| self.content(node, vm) == Some(&VolumeContent::Blank))
    }

    /// What the initial sync from `source` destroys on the other node, when that side is not
    /// proven blank. Both sides with DRBD metadata of a resource that has run have synced
    /// before (the step's check skips it, and its guard refuses to force such a resource).
    pub(super) fn sync_overwrites(&self, source: usize, vm: &VmDesign) -> Option<String> {
        let peer = 1 - source;
        let overwritten = match self.content(peer, vm)? {
            VolumeContent::Blank | VolumeContent::FreshDrbd => return None,
            VolumeContent::Drbd if self.content(source, vm) == Some(&VolumeContent::Drbd) => {
                return None;
            }
            content => content.describe(),
        };
        Some(format!(
            "{} on {} ({overwritten}) is overwritten with {}'s by the initial sync",
            vm.backing_disk,
            self.hostname(peer),
            self.hostname(source)
        ))
    }

    pub(super) fn initial_sync(&self) -> Phase {
        let mut steps = Vec::new();
        for vm in &self.design.vms {
            let source = vm.keep_data_on.unwrap_or(vm.home);
            let resource = quote(&vm.name);
            // Only the very first sync: once either side is not Inconsistent, it has happened.
            let started =
                format!("! drbdadm dstate {resource} | grep -q '^Inconsistent/Inconsistent$'");
            let (title, apply) = if self.both_blank(vm) {
                (
                    format!("mark {} in sync (both volumes are blank)", vm.name),
                    match self.platform.drbd {
                        DrbdGeneration::V84 => {
                            format!("drbdadm -- --clear-bitmap new-current-uuid {resource}")
                        }
                        DrbdGeneration::V9 => {
                            format!("drbdadm --clear-bitmap new-current-uuid {resource}")
                        }
                    },
                )
            } else {
                (
                    format!(
                        "start the initial sync of {} from {}",
                        vm.name,
                        self.hostname(source)
                    ),
                    // Primary only to become the sync source; the cluster promotes later.
                    // Only a resource whose metadata was never synced is forced: one that has
                    // run holds the cluster's data.
                    format!(
                        "case \"$(drbdadm get-gi {resource} 2>/dev/null | tail -n 1)\" in 0000000000000004:*) ;; *) echo \"{name} has been synced or used before: Tandem does not force it\" >&2; exit 1 ;; esac; drbdadm primary --force {resource} && drbdadm secondary {resource}",
                        name = vm.name
                    ),
                )
            };
            let destructive = if self.both_blank(vm) {
                None
            } else {
                self.sync_overwrites(source, vm)
            };
            steps.push(Step {
                destructive,
                ..self.step(
                    format!("initial-sync:{}", vm.name),
                    source,
                    title,
                    Operation::Command {
                        check: Some(started.clone()),
                        apply,
                        verify: Some(started),
                    },
                )
            });
            steps.push(self.step(
                format!("synced:{}", vm.name),
                source,
                format!("{} UpToDate on both nodes", vm.name),
                Operation::WaitForSync {
                    resource: vm.name.clone(),
                    minor: vm.drbd_minor,
                    drbd: self.platform.drbd,
                },
            ));
        }
        phase(PhaseKind::InitialSync, "Initial DRBD sync", false, steps)
    }
}

pub(super) const SENDPAGE_DISABLED: &str =
    "[ \"$(cat /sys/module/drbd/parameters/disable_sendpage 2>/dev/null)\" = Y ]";

/// Pacemaker 2.1.7 and later (Debian 13 has 3.0) record a node's membership in the CIB as
/// timestamps, "0" when it is not a member, where drbd-utils' crm-fence-peer scripts (9.22 on
/// both releases) compare with "false" and "offline". They then take a peer that Pacemaker has
/// fenced for one still to be fenced, and poll until their timeout (90 s) while DRBD freezes
/// the resource's I/O; a promotion waiting on them times out, and the surviving node does not
/// take the VM over (measured on the testbed). These lines, put where the script has read the
/// node state, turn the timestamps back into its words; Debian 12's words pass unchanged.
pub const FENCE_PEER_HANDLER_FIX: [&str; 3] = [
    "\t# Tandem: Pacemaker >= 2.1.7 records membership as timestamps (0: not a member).",
    "\tcase \"$in_ccm\" in 0) in_ccm=false ;; [1-9]*) in_ccm=true ;; esac",
    "\tcase \"$crmd\" in 0) crmd=offline ;; [1-9]*) crmd=online ;; esac",
];

/// Where in the script the fix goes: after the node state is read, before it is reasoned on.
const FENCE_PEER_HANDLER_ANCHOR: &str = "# if it is not enabled, no point in waiting for it.";

/// Shell that prints `source` with [`FENCE_PEER_HANDLER_FIX`] in place, and fails when the
/// script no longer has the place for it.
pub fn fence_peer_handler_from(source: &str) -> String {
    let prints: String = FENCE_PEER_HANDLER_FIX
        .iter()
        .map(|line| {
            format!(
                "print \"{}\"; ",
                line.replace('\\', "\\\\").replace('"', "\\\"")
            )
        })
        .collect();
    format!(
        "awk 'index($0, \"{FENCE_PEER_HANDLER_ANCHOR}\") && !done {{ {prints}done = 1 }} {{ print }} END {{ exit !done }}' {source}"
    )
}
