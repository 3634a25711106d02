//! Tandem's UI-free core. Plain data and pure functions in the middle — the cluster
//! [`profile`], its [`validate`]ion and the [`render`]ed node files — with I/O only at the edges.
//! No GUI toolkit is imported here: the wizard and the CLI both drive this library.

pub mod access;
pub mod cluster_state;
pub mod corosync;
pub mod design;
pub mod drbd;
pub mod facts;
pub mod field;
pub mod journal;
pub mod manage;
pub mod observe;
pub mod pages;
pub mod plan;
pub mod profile;
pub mod protection;
pub mod remote;
pub mod render;
pub mod report;
pub mod run;
pub mod split_brain;
pub mod utc;
pub mod validate;

pub use profile::{Profile, ProfileError};
pub use render::{Platform, Rendered, render};
pub use validate::{Design, Problem, Problems, validate};
