//! `tandem`: the wizard (no arguments) or the headless command line, both over the
//! wizard-steps library.

use std::process::ExitCode;

use clap::Parser;
use tandem::{cli, gui};

fn main() -> ExitCode {
    let command = cli::Cli::parse();
    if command.command.is_none() {
        if let Some(why) = gui::no_display() {
            eprintln!("tandem: {why}");
            return ExitCode::from(2);
        }
        return match gui::run(None) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("tandem: the window could not open: {error}");
                ExitCode::from(2)
            }
        };
    }
    match cli::run(command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tandem: {error:#}");
            ExitCode::from(2)
        }
    }
}
