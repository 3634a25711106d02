//! The VMs page driven as an administrator drives it: typing, choosing, the capacity meter.

use super::*;
use crate::screens::testing;
use iced_test::Error;
use iced_test::selector::id;
use wizard_steps::facts::NodeFacts;

/// A discovery like the one in wizard-steps' tests, with the node's memory and volumes.
fn discovery(hostname: &str, memory_mib: u64, volumes: &str) -> NodeFacts {
    wizard_steps::facts::parse(&format!(
        "uid=0\nhostname={hostname}\nmachine_id=6d2a1c0e9b8f4a7d9e3c2b1a0f9e8d7c\n\
         os_id=debian\nos_version_id=12\ncpus=4\ndom0=no\nmemory_mib={memory_mib}\n\
         hvm=yes\nnic=lo link \nnic=eth0 link \naddress=eth0 192.168.1.1/24\n\
         group=virtuals 200000 119000\n{volumes}"
    ))
}

type Screen = VmsPage;

impl testing::Tall for VmsPage {
    const HEIGHT: f32 = 3000.0;
}

type Page = testing::Harness<Screen>;

impl Page {
    fn can_continue(&self) -> bool {
        self.state.can_continue(self.context())
    }
}

#[test]
fn typing_memory_and_vcpus_changes_the_profile() -> Result<(), Error> {
    let mut page = Page::with_facts([None, None]);
    page.type_into("vm-memory-0", 4, "3072")?;
    assert_eq!(page.profile.vms[0].memory_mib, 3072);
    page.type_into("vm-vcpus-1", 1, "2")?;
    assert_eq!(page.profile.vms[1].vcpus, 2);
    page.type_into("vm-name-1", 0, "b")?;
    assert_eq!(page.profile.vms[1].name, "Win2012-2b");
    page.type_into("dom0-1", 4, "1024")?;
    assert_eq!(page.profile.nodes[1].dom0_memory_mib, 1024);
    assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
    assert!(page.can_continue());
    Ok(())
}

#[test]
fn too_little_memory_shows_the_validators_message_until_fixed() -> Result<(), Error> {
    let mut page = Page::with_facts([None, None]);
    page.type_into("vm-memory-1", 4, "16")?;
    assert_eq!(page.profile.vms[1].memory_mib, 16);
    assert_eq!(page.page_problems(), 1, "{:?}", page.problems);
    let message = "16 MiB is not enough memory for a VM — give the VM at least 32 MiB (an HVM \
                   guest needs a few hundred)";
    assert!(page.shows(message));
    page.type_into("vm-memory-1", 2, "1024")?;
    assert_eq!(page.profile.vms[1].memory_mib, 1024);
    assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
    assert!(!page.shows(message));
    Ok(())
}

#[test]
fn a_number_that_does_not_parse_is_kept_as_typed_and_holds_next() -> Result<(), Error> {
    let mut page = Page::with_facts([None, None]);
    page.type_into("vm-memory-0", 0, "x")?;
    // The profile keeps the last number; the field keeps the text, even after leaving
    // the page (a new view of the same state).
    assert_eq!(page.profile.vms[0].memory_mib, 2048);
    assert!(page.shows("2048x"));
    assert!(page.shows("\"2048x\" is not a whole number of MiB"));
    assert!(!page.can_continue());
    page.type_into("vm-memory-0", 1, "")?;
    assert!(page.shows("2048"));
    assert!(!page.shows("\"2048x\" is not a whole number of MiB"));
    assert!(page.can_continue());
    // Blank DRBD numbers mean "assign one".
    page.type_into("vm-port-1", 4, "")?;
    assert_eq!(page.profile.vms[1].drbd_port, None);
    assert!(page.can_continue());
    // Another profile opened under the page: its value wins over an old draft.
    page.type_into("vm-vcpus-0", 0, "z")?;
    assert!(!page.can_continue());
    page.profile.vms[0].vcpus = 4;
    page.validate();
    assert!(page.shows("4") && !page.shows("1z"));
    assert!(page.can_continue());
    Ok(())
}

#[test]
fn the_capacity_meter_blocks_an_overcommitted_design_until_memory_is_lowered() -> Result<(), Error>
{
    let facts = [
        Some(discovery("node1", 4096, "")),
        Some(discovery("node2", 4096, "")),
    ];
    let mut page = Page::with_facts(facts);
    // dom0 2048 + 2 × 2048 = 6144 MiB on 4096 MiB nodes.
    assert!(!page.can_continue());
    assert!(page.shows("does not fit: 2048 MiB short"));
    assert!(page.shows("dom0 2.0 GiB + all VMs 4.0 GiB = 6.0 GiB"));
    // The validator is content: only the meter holds Next.
    assert_eq!(page.page_problems(), 0);

    page.type_into("vm-memory-0", 4, "1024")?;
    assert!(!page.can_continue());
    assert!(page.shows("does not fit: 1024 MiB short"));
    page.type_into("vm-memory-1", 4, "1024")?;
    assert!(page.can_continue());
    assert!(page.shows("4.0 GiB of 4.0 GiB: fits"));
    assert!(!page.shows("does not fit: 1024 MiB short"));

    let unknown = Page::with_facts([None, None]);
    assert!(unknown.shows("memory unknown until connected"));
    assert!(unknown.can_continue());
    Ok(())
}

#[test]
fn vms_are_added_with_defaults_and_removed() -> Result<(), Error> {
    let mut page = Page::with_facts([None, None]);
    page.profile
        .storage
        .volumes
        .push(wizard_steps::profile::Volume {
            name: "spare".into(),
            size: "10G".into(),
            create: true,
        });
    let _ = page.click("Add VM")?;
    let _ = page.click("Add VM")?;
    assert_eq!(page.profile.vms.len(), 4);
    let added = &page.profile.vms[2];
    assert_eq!(
        (
            added.name.as_str(),
            added.home.as_str(),
            added.memory_mib,
            added.vcpus
        ),
        ("vm3", "node1", 1024, 1)
    );
    assert_eq!(added.volume, "spare");
    assert!(matches!(&added.boot, Boot::Hvm { iso, .. } if iso.is_empty()));
    let second = &page.profile.vms[3];
    assert_eq!(
        (second.name.as_str(), second.home.as_str()),
        ("vm4", "node2")
    );
    // No volume is free for vm4: it gets a new one, which Tandem creates.
    assert_eq!(second.volume, "vm4");
    assert_eq!(
        page.profile.volume("vm4"),
        Some(&wizard_steps::profile::Volume {
            name: "vm4".into(),
            size: "20G".into(),
            create: true,
        })
    );
    assert!(page.shows(
        "20G in virtuals, created by Tandem when missing (size and name on the Storage page)"
    ));
    assert!(page.shows("VM 4: vm4"));
    // The new VMs need an ISO: the page says so under the fields.
    assert!(page.shows(
        "\"\" is not an absolute path on the nodes — write an absolute path on the nodes \
         made of letters, digits and '_', '.', '-', '+' between single '/' (e.g. \
         /var/lib/tandem/iso/install.iso): it is written into the Xen configs (where ',', \
         '=', quotes and spaces end a field) and into shell commands"
    ));
    assert!(page.page_problems() > 0);

    // A half-typed number of vm4 moves with it when vm3 is removed.
    page.type_into("vm-memory-3", 0, "k")?;
    let _ = page.click(id("remove-vm-2"))?;
    let names: Vec<&str> = page.profile.vms.iter().map(|vm| vm.name.as_str()).collect();
    assert_eq!(names, ["Win2012", "Win2012-2", "vm4"]);
    assert!(page.shows("\"1024k\" is not a whole number of MiB"));
    let _ = page.click(id("remove-vm-2"))?;
    assert_eq!(page.profile.vms.len(), 2);
    assert!(
        page.profile.volume("vm4").is_none(),
        "vm4's new volume went with it"
    );
    assert!(page.profile.volume("spare").is_some());
    // The administrator's own volume "spare" is now no VM's disk: a problem of this page.
    assert_eq!(page.page_problems(), 1);
    assert!(page.shows(
        "no VM uses the volume \"spare\" — pick it as a VM's disk, or remove it on the Storage page"
    ));
    let _ = page.click("Add VM")?;
    assert_eq!(page.profile.vms[2].name, "vm3");
    Ok(())
}

#[test]
fn choosing_an_iso_asks_the_app_and_fills_the_node_path() -> Result<(), Error> {
    let mut page = Page::with_facts([None, None]);
    let _ = page.click("Add VM")?;
    let actions = page.click(id("vm-choose-iso-2"))?;
    assert!(matches!(actions[..], [Action::BrowseIso(2)]), "{actions:?}");
    let _ = page.apply(vec![Message::IsoChosen(
        2,
        Some(PathBuf::from("/home/me/Debian 12 netinst.iso")),
    )]);
    assert_eq!(
        page.profile.vms[2].boot,
        Boot::Hvm {
            iso: "/var/lib/tandem/iso/Debian_12_netinst.iso".into(),
            iso_source: Some("/home/me/Debian 12 netinst.iso".into()),
            vnc_password: None,
        }
    );
    assert!(page.shows("Uploaded to both nodes from /home/me/Debian 12 netinst.iso"));
    // An upload goes into the ISO directory, whatever path was typed before (Tandem
    // uploads nowhere else); a cancelled dialog changes nothing.
    let _ = page.apply(vec![
        Message::IsoChosen(0, Some(PathBuf::from("/tmp/other (1).iso"))),
        Message::IsoChosen(1, None),
    ]);
    assert!(matches!(&page.profile.vms[0].boot,
        Boot::Hvm { iso, iso_source: Some(source), .. }
            if iso == "/var/lib/tandem/iso/other__1_.iso" && source == "/tmp/other (1).iso"));
    assert!(matches!(
        &page.profile.vms[1].boot,
        Boot::Hvm {
            iso_source: None,
            ..
        }
    ));
    let _ = page.click("Don't upload")?;
    assert!(matches!(
        &page.profile.vms[0].boot,
        Boot::Hvm {
            iso_source: None,
            ..
        }
    ));
    Ok(())
}

#[test]
fn switching_to_pv_and_back_keeps_what_was_entered() -> Result<(), Error> {
    let mut page = Page::with_facts([None, None]);
    let _ = page.click(id("vm-pv-1"))?;
    assert!(matches!(&page.profile.vms[1].boot, Boot::Pv { kernel, .. } if kernel.is_empty()));
    page.type_into("vm-kernel-1", 0, "/boot/vmlinuz")?;
    assert!(
        matches!(&page.profile.vms[1].boot, Boot::Pv { kernel, .. } if kernel == "/boot/vmlinuz")
    );
    let _ = page.click(id("vm-hvm-1"))?;
    assert!(matches!(&page.profile.vms[1].boot,
        Boot::Hvm { iso, vnc_password: Some(password), .. }
            if iso == "/home/WindowsServer2012_RU_STD_TRIAL.ISO" && password == "passw0rd"));
    let _ = page.click(id("vm-pv-1"))?;
    assert!(
        matches!(&page.profile.vms[1].boot, Boot::Pv { kernel, .. } if kernel == "/boot/vmlinuz")
    );
    Ok(())
}

#[test]
fn a_volume_with_data_asks_whose_data_to_keep() -> Result<(), Error> {
    let volumes = "group_volume=virtuals Win2012 40960 \n\
                   group_volume=virtuals Win2012-2 40960 signature:dos data-at-start\n";
    let mut page = Page::with_facts([
        Some(discovery("node1", 8000, volumes)),
        Some(discovery(
            "node2",
            8000,
            "group_volume=virtuals Win2012 40960 \n",
        )),
    ]);
    assert!(page.shows(
        "Win2012-2 holds data on node1 (a dos partition table). Keep one node's data: it is copied to the \
         other node, whose copy is overwritten."
    ));
    assert!(page.shows("Existing data on the volume"));
    let _ = page.apply(vec![Message::KeepDataPicked(
        1,
        KeepData::On("node1".into()),
    )]);
    assert_eq!(page.profile.vms[1].keep_data_on.as_deref(), Some("node1"));
    let _ = page.apply(vec![Message::KeepDataPicked(1, KeepData::Undecided)]);
    assert_eq!(page.profile.vms[1].keep_data_on, None);
    // Without data and without a choice, nothing is asked.
    let blank = Page::with_facts([None, None]);
    assert!(!blank.shows("Existing data on the volume"));
    Ok(())
}

#[test]
fn an_hvm_vm_on_a_node_without_vt_x_is_flagged() -> Result<(), Error> {
    let mut plain = discovery("node2", 8000, "");
    plain.hvm_capable = false;
    let mut page = Page::with_facts([Some(discovery("node1", 8000, "")), Some(plain)]);
    let flagged = "node2 has no VT-x/AMD-V: an HVM VM cannot run there, and after a \
                   failover it must. Use PV, or enable virtualisation in that node's firmware.";
    assert!(page.shows(flagged));
    let _ = page.click(id("vm-pv-0"))?;
    let _ = page.click(id("vm-pv-1"))?;
    assert!(!page.shows(flagged));
    Ok(())
}
