//! The storage section: the volume group, the volumes and their sizes, the ISO directory.

use std::collections::BTreeMap;

use crate::field::{Field, StorageField, VolumeField};
use crate::profile::Profile;

use super::syntax::{is_lvm_name, parse_size_mib};
use super::{Checker, kinds};

impl Checker {
    /// Checks the volume group and volumes; returns each valid volume's size in MiB.
    pub(super) fn storage(&mut self, profile: &Profile) -> BTreeMap<String, u64> {
        let storage = &profile.storage;
        if !is_lvm_name(&storage.volume_group) {
            self.report(
                Field::Storage(StorageField::VolumeGroup),
                format!(
                    "\"{}\" is not an LVM volume group name",
                    storage.volume_group
                ),
                "use letters, digits and + _ . - (not starting with '-'), e.g. virtuals",
            );
        }
        if let Err(broken) = kinds::node_path(&storage.iso_directory) {
            self.broken(Field::Storage(StorageField::IsoDirectory), broken);
        }
        let mut sizes = BTreeMap::new();
        for (index, volume) in storage.volumes.iter().enumerate() {
            let at = |field: VolumeField| Field::Volume(index, field);
            if !is_lvm_name(&volume.name) {
                self.report(
                    at(VolumeField::Name),
                    format!("\"{}\" is not an LVM logical volume name", volume.name),
                    "use letters, digits and + _ . - (not starting with '-'), without LVM's reserved words",
                );
            }
            if sizes.contains_key(&volume.name) {
                self.report(
                    at(VolumeField::Name),
                    format!("the volume \"{}\" is listed twice", volume.name),
                    "give each volume its own name",
                );
            }
            match parse_size_mib(&volume.size) {
                Some(mib) if mib >= 8 => {
                    sizes.insert(volume.name.clone(), mib);
                }
                _ => self.report(
                    at(VolumeField::Size),
                    format!("\"{}\" is not a volume size", volume.size),
                    "write a size of at least 8M with a unit M, G or T, e.g. \"50G\"",
                ),
            }
        }
        sizes
    }
}
