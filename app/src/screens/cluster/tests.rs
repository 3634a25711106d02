use super::*;
use crate::screens::testing;
use iced_test::Error;
use iced_test::selector::id;
use wizard_steps::pages::cluster::NO_FENCING_WARNING;

const NO_ACKNOWLEDGEMENT: &str = "without fencing, a two-node cluster can end in a split brain \
    that needs manual recovery — choose IPMI or SBD fencing, or acknowledge the split-brain risk";

type Screen = ClusterPage;

impl testing::Tall for ClusterPage {
    const HEIGHT: f32 = 2400.0;
}

type Page = testing::Harness<Screen>;

impl Page {
    fn has(&self, input: &'static str) -> bool {
        self.ui().find(id(input)).is_ok()
    }

    fn problem_fields(&self) -> Vec<String> {
        wizard_steps::pages::problems_of(&self.problems, wizard_steps::pages::Page::Cluster)
            .into_iter()
            .map(|problem| problem.field.path())
            .collect()
    }
}

#[test]
fn typing_the_resync_rate_changes_the_profile() -> Result<(), Error> {
    let mut page = Page::seed();
    page.type_into("resync-rate", 4, "250M")?;
    assert_eq!(page.profile.cluster.drbd.resync_rate, "250M");
    assert!(page.problem_fields().is_empty());
    Ok(())
}

#[test]
fn a_rate_that_is_not_a_rate_shows_the_validators_message_until_fixed() -> Result<(), Error> {
    let mut page = Page::seed();
    page.type_into("resync-rate", 4, "fast")?;
    assert_eq!(page.problem_fields(), ["cluster.drbd.resync_rate"]);
    let message = "\"fast\" is not a DRBD rate — write a positive number with an optional \
                   unit K, M or G (bytes per second), e.g. \"100M\"";
    assert!(page.shows(message));
    page.type_into("resync-rate", 4, "40M")?;
    assert!(page.problem_fields().is_empty());
    assert!(!page.shows(message));
    Ok(())
}

#[test]
fn switching_to_ipmi_adds_the_bmc_fields_to_fill_in() -> Result<(), Error> {
    let mut page = Page::seed();
    assert!(!page.has("bmc-address-0"));
    assert!(page.shows(NO_FENCING_WARNING));
    page.click(id("fencing-ipmi"))?;
    assert_eq!(page.profile.cluster.fencing, Fencing::Ipmi {});
    assert!(page.has("bmc-address-0") && page.has("bmc-user-1"));
    assert!(!page.shows(NO_FENCING_WARNING));
    assert_eq!(
        page.problem_fields(),
        [
            "nodes[0].bmc.address",
            "nodes[0].bmc.user",
            "nodes[1].bmc.address",
            "nodes[1].bmc.user",
            // Two empty addresses are also the same address.
            "nodes[1].bmc.address",
        ]
    );
    assert!(page.shows("\"\" is not an address — write the BMC's IP address or DNS name"));
    page.type_into("bmc-address-0", 0, "192.168.1.201")?;
    page.type_into("bmc-user-0", 0, "ADMIN")?;
    page.type_into("bmc-address-1", 0, "192.168.1.201")?;
    page.type_into("bmc-user-1", 0, "ADMIN")?;
    // Both BMCs at one address: the validator says so under node 2's.
    assert_eq!(page.problem_fields(), ["nodes[1].bmc.address"]);
    page.type_into("bmc-address-1", 1, "2")?;
    assert!(page.problem_fields().is_empty(), "{:?}", page.problems);
    page.click(id("lanplus-1"))?;
    let bmc = page.profile.nodes[1].bmc.as_ref().expect("a BMC");
    assert_eq!(
        (bmc.address.as_str(), bmc.user.as_str(), bmc.lanplus),
        ("192.168.1.202", "ADMIN", false)
    );
    Ok(())
}

#[test]
fn no_fencing_needs_the_acknowledgement() -> Result<(), Error> {
    let mut page = Page::seed();
    page.click(id("fencing-ipmi"))?;
    page.type_into("bmc-address-0", 0, "bmc1")?;
    page.click(id("fencing-none"))?;
    // Back to none: the risk must be acknowledged again.
    assert_eq!(
        page.profile.cluster.fencing,
        Fencing::None {
            acknowledge_split_brain_risk: false
        }
    );
    assert_eq!(
        page.problem_fields(),
        ["cluster.fencing.acknowledge_split_brain_risk"]
    );
    assert!(page.shows(NO_ACKNOWLEDGEMENT));
    assert!(page.shows(NO_FENCING_WARNING));
    page.click("I understand: without fencing, a split brain needs manual recovery")?;
    assert!(page.problem_fields().is_empty());
    assert!(!page.shows(NO_ACKNOWLEDGEMENT));
    // What was typed for the BMC is still there for a later switch to IPMI.
    page.click(id("fencing-ipmi"))?;
    assert_eq!(
        page.profile.nodes[0]
            .bmc
            .as_ref()
            .map(|bmc| bmc.address.as_str()),
        Some("bmc1")
    );
    Ok(())
}

#[test]
fn the_failback_window_keeps_its_hours_across_policies() -> Result<(), Error> {
    let mut page = Page::seed();
    assert!(!page.has("failback-start"));
    page.click(id("failback-window"))?;
    assert_eq!(
        page.profile.cluster.failback,
        Failback::Window {
            start_hour: 22,
            end_hour: 6
        }
    );
    assert!(page.shows(
        "VMs return home between 22:00 and 06:00 (past midnight); outside it they stay where they run."
    ));
    page.apply(vec![Message::EndHourPicked(Hour(22))]);
    assert_eq!(page.problem_fields(), ["cluster.failback.end_hour"]);
    assert!(page.shows(
        "the failback window is empty (it starts and ends at the same hour) — choose an end \
         hour different from the start hour, or the policy \"return-home\""
    ));
    page.apply(vec![Message::StartHourPicked(Hour(1))]);
    assert!(page.problem_fields().is_empty());
    page.click(id("failback-stay"))?;
    assert_eq!(page.profile.cluster.failback, Failback::Stay {});
    page.click(id("failback-window"))?;
    assert_eq!(
        page.profile.cluster.failback,
        Failback::Window {
            start_hour: 1,
            end_hour: 22
        }
    );
    Ok(())
}

#[test]
fn live_migration_needs_protocol_c() -> Result<(), Error> {
    let mut page = Page::seed();
    page.click(id("protocol-a"))?;
    assert_eq!(page.profile.cluster.drbd.protocol, DrbdProtocol::A);
    assert!(page.problem_fields().is_empty());
    page.click(id("live-migration"))?;
    assert!(page.profile.cluster.live_migration);
    assert!(page.shows(
        "live migration (dual-primary DRBD) needs synchronous replication — use DRBD protocol \
         C, or turn live migration off"
    ));
    page.click(id("protocol-c"))?;
    assert!(page.problem_fields().is_empty());
    page.click(id("corosync-crypto"))?;
    assert!(!page.profile.cluster.corosync_crypto);
    page.click(id("skip-initial-sync"))?;
    assert!(!page.profile.cluster.drbd.skip_initial_sync_when_blank);
    page.apply(vec![Message::VerifyAlgPicked(Alg(VerifyAlg::Sha256))]);
    assert_eq!(page.profile.cluster.drbd.verify_alg, VerifyAlg::Sha256);
    Ok(())
}

#[test]
fn switching_to_sbd_asks_for_a_stable_name_of_the_shared_disk() -> Result<(), Error> {
    let mut page = Page::seed();
    assert!(!page.has("sbd-device"));
    page.click(id("fencing-sbd"))?;
    assert!(page.has("sbd-device") && page.has("softdog"));
    assert!(!page.shows(NO_FENCING_WARNING));
    assert!(page.shows(wizard_steps::pages::cluster::SBD_EXPLAINED));
    assert_eq!(page.problem_fields(), ["cluster.fencing.device"]);
    // A kernel name can be another disk on the other node: refused, with the way out.
    page.type_into("sbd-device", 0, "/dev/sdb")?;
    assert_eq!(page.problem_fields(), ["cluster.fencing.device"]);
    assert!(page.shows(
        "\"/dev/sdb\" is not a stable name of a shared disk — name the shared disk by a stable \
         link under /dev/disk/by-id/ (or /dev/disk/by-path/ or /dev/mapper/), of letters, digits \
         and '_', '.', '-', '+', ':' (e.g. /dev/disk/by-id/wwn-0x5000c500a1b2c3d4): a kernel name \
         such as /dev/sdb can name another disk on the other node or after a reboot, and SBD on \
         the wrong disk destroys it"
    ));
    page.type_into("sbd-device", 8, "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4")?;
    assert!(page.problem_fields().is_empty(), "{:?}", page.problems);
    page.click(id("softdog"))?;
    assert_eq!(
        page.profile.cluster.fencing,
        Fencing::Sbd {
            device: "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4".into(),
            softdog: true
        }
    );
    // Another method and back: the disk and the watchdog choice are still there.
    page.click(id("fencing-ipmi"))?;
    assert!(!page.has("sbd-device"));
    page.click(id("fencing-sbd"))?;
    assert_eq!(
        page.profile.cluster.fencing,
        Fencing::Sbd {
            device: "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4".into(),
            softdog: true
        }
    );
    Ok(())
}

#[test]
fn the_quorum_device_asks_for_a_third_machine() -> Result<(), Error> {
    let mut page = Page::seed();
    assert!(!page.has("quorum-address"));
    page.click(id("quorum-device"))?;
    assert!(page.has("quorum-address") && page.has("quorum-ssh-host"));
    assert_eq!(
        page.problem_fields(),
        [
            "cluster.quorum_device.address",
            "cluster.quorum_device.ssh.host"
        ]
    );
    // The seed's node1 is 192.168.1.1: its own address is no third vote.
    page.type_into("quorum-address", 0, "192.168.1.1")?;
    page.type_into("quorum-ssh-host", 0, "192.168.1.3")?;
    assert_eq!(page.problem_fields(), ["cluster.quorum_device.address"]);
    assert!(page.shows(
        "192.168.1.1 is node 1's own address: the quorum device must be a third machine — run \
         corosync-qnetd on a machine outside the cluster (the workstation Tandem runs on will do)"
    ));
    page.type_into("quorum-address", 11, "192.168.1.3")?;
    assert!(page.problem_fields().is_empty(), "{:?}", page.problems);
    // A port that is not one is said at once and kept out of the profile.
    page.type_into("quorum-ssh-port", 2, "22x")?;
    assert!(page.shows("a port is a number from 1 to 65535"));
    page.type_into("quorum-ssh-port", 3, "2222")?;
    assert!(!page.shows("a port is a number from 1 to 65535"));
    let device = page
        .profile
        .cluster
        .quorum_device
        .clone()
        .expect("a quorum device");
    assert_eq!(
        (
            device.address.as_str(),
            device.port,
            device.ssh.host.as_str(),
            device.ssh.port
        ),
        ("192.168.1.3", 5403, "192.168.1.3", 2222)
    );
    // Signed in as the first node is.
    assert_eq!(device.ssh.user, page.profile.nodes[0].ssh.user);
    assert_eq!(device.ssh.auth, page.profile.nodes[0].ssh.auth);
    page.click(id("quorum-device"))?;
    assert_eq!(page.profile.cluster.quorum_device, None);
    assert!(page.problem_fields().is_empty());
    Ok(())
}

#[test]
fn a_bmc_cipher_suite_is_a_number_or_left_to_the_bmc() -> Result<(), Error> {
    let mut page = Page::seed();
    page.click(id("fencing-ipmi"))?;
    let cipher = |page: &Page| {
        page.profile.nodes[1]
            .bmc
            .as_ref()
            .and_then(|bmc| bmc.cipher)
    };
    page.type_into("bmc-cipher-1", 0, "3")?;
    assert_eq!(cipher(&page), Some(3));
    let error = "a cipher suite is a number (3 or 17 on most BMCs), or empty";
    page.apply(vec![Message::BmcCipherChanged(1, "3x".into())]);
    assert!(page.shows(error));
    assert_eq!(cipher(&page), Some(3), "the last number stays until fixed");
    page.apply(vec![Message::BmcCipherChanged(1, "17".into())]);
    assert!(!page.shows(error));
    assert_eq!(cipher(&page), Some(17));
    page.apply(vec![Message::BmcCipherChanged(1, " ".into())]);
    assert_eq!(cipher(&page), None);
    Ok(())
}
