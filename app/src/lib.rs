//! The `tandem` program as a library: the wizard (`gui`, `screens`) and the headless CLI, so
//! that the integration tests in tests/ drive the wizard's pages and its SSH edge the way the
//! window does.

pub mod apply;
pub mod cli;
pub mod gui;
pub mod maintain;
pub mod recover;
pub mod screens;
pub mod terminal;
