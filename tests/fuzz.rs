//! A fuzz harness (proptest, on stable Rust) for everything that reads text Tandem did not
//! write itself: the profile loader (a colleague's file may hold anything; a profile that
//! validates is also rendered and planned), and each parser of node output (facts, the volume
//! probe's words, /proc/drbd, drbdsetup status and events2, crm_mon's XML, split-brain
//! evidence, corosync.conf and its runtime map). Inputs are mutations of real samples: bytes
//! flipped, cut, repeated, and spliced with hostile text (metacharacters, huge numbers, NaN,
//! Unicode, line breaks). Nothing may panic.
//!
//! `cargo test --test fuzz` runs a short pass of each target (the suite's); longer runs:
//! `TANDEM_FUZZ_SECONDS=60 cargo test --release --test fuzz -- --nocapture` gives each target
//! that many seconds and prints how many inputs it ran (BENCHMARKS.md has a recorded run).

// Test helpers fail the test by panicking, inside and outside #[test] functions alike.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Text that breaks naive parsers.
const HOSTILE: [&str; 24] = [
    "'",
    "\"",
    "\\",
    "$(id)",
    "`id`",
    ";",
    "|",
    "&",
    "\n",
    "\r\n",
    "\0",
    "#",
    "=",
    ":",
    "%",
    "nan",
    "inf",
    "-1",
    "18446744073709551616",
    "99999999999999999999999",
    "9:99:99:99",
    "ünïcödé ✓",
    "]]>",
    "<node name=\"x\" online=\"true\"/>",
];

/// A mutation of `sample`: a few edits at positions chosen by the fuzzer.
fn mutated(samples: Vec<String>) -> impl Strategy<Value = String> {
    let edits = prop::collection::vec(
        (
            0usize..6,
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            prop::sample::select(HOSTILE.to_vec()),
            any::<u8>(),
        ),
        0..8,
    );
    (prop::sample::select(samples), edits).prop_map(|(sample, edits)| {
        let mut bytes = sample.into_bytes();
        for (kind, at, other, hostile, byte) in edits {
            let len = bytes.len().max(1);
            let at = at.index(len).min(bytes.len());
            match kind {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => bytes[at] = byte,
                2 => bytes.truncate(at),
                3 => {
                    let end = other.index(len).min(bytes.len()).max(at);
                    let slice = bytes[at..end].to_vec();
                    bytes.splice(at..at, slice);
                }
                _ => {
                    bytes.splice(at..at, hostile.bytes());
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn read_dir_texts(dir: &Path) -> Vec<String> {
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .collect();
    texts.sort();
    texts
}

/// Runs `check` on mutations of `samples`: a short pass, or TANDEM_FUZZ_SECONDS per target.
fn fuzz(target: &str, samples: Vec<String>, check: impl Fn(&str)) {
    let seconds: u64 = std::env::var("TANDEM_FUZZ_SECONDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let strategy = mutated(samples);
    let mut inputs = 0u64;
    loop {
        let mut runner = TestRunner::new(Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strategy, |input| {
            check(&input);
            Ok(())
        });
        if let Err(failure) = result {
            panic!("{target}: {failure}");
        }
        inputs += 256;
        if Instant::now() >= deadline {
            break;
        }
    }
    println!("FUZZ {target}: {inputs} inputs, no panic");
}

fn profile_samples() -> Vec<String> {
    common::all_profiles()
        .iter()
        .chain([common::test_profile("seed-plus-one-vm")].iter())
        .map(|path| std::fs::read_to_string(path).expect("profile"))
        .collect()
}

#[test]
fn the_profile_loader_validation_render_and_plan_never_panic() {
    fuzz("profile", profile_samples(), |text| {
        let Ok(profile) = wizard_steps::Profile::from_toml(text, "fuzz") else {
            return;
        };
        let _ = wizard_steps::validate::Problems::of(&profile);
        if let Ok(design) = wizard_steps::validate(&profile) {
            let facts = wizard_steps::facts::NodeFacts::default();
            let plan = wizard_steps::plan::plan(&design, &[facts.clone(), facts]);
            let _ = plan.script();
            for index in 0..2 {
                let _ = wizard_steps::facts::gather_script(&design, index);
            }
        }
    });
}

#[test]
fn the_facts_and_probe_parsers_never_panic() {
    let facts = read_dir_texts(&common::repo_root().join("tests/fixtures/facts"));
    let mut samples = facts.clone();
    samples.push(
        "lv=vm 1024\ncontent=vm signature:drbd drbd-used data-at-end\ngroup=vg 2048 1024\n\
         group_volume=vg vm 1024 signature:dos\ncorosync_running=totem.token (u32) = 5000\n\
         corosync_conf=\ttoken: 5000\n"
            .to_owned(),
    );
    let design = common::design(&common::example_profile("seed"));
    fuzz("facts", samples, |text| {
        let parsed = wizard_steps::facts::parse(text);
        let _ = wizard_steps::facts::evaluate(
            &design,
            &[parsed.clone(), parsed],
            &wizard_steps::facts::LocalFacts::default(),
        );
        let _ = wizard_steps::facts::VolumeContent::from_probe(text).describe();
    });
}

#[test]
fn the_drbd_parsers_never_panic_nor_give_an_unusable_percentage() {
    let samples = read_dir_texts(&common::repo_root().join("tests/fixtures/drbd84"));
    fuzz("drbd", samples, |text| {
        for parsed in [
            wizard_steps::drbd::parse_proc_drbd(text),
            wizard_steps::drbd::parse_status(text),
            wizard_steps::drbd::parse_events2(text),
        ]
        .into_iter()
        .flatten()
        {
            for resource in parsed {
                if let Some(sync) = resource.sync {
                    assert!(
                        sync.percent.is_finite() && (0.0..=100.0).contains(&sync.percent),
                        "{sync:?} from {text:?}"
                    );
                }
            }
        }
        let mut events = wizard_steps::drbd::Events2::default();
        for line in text.lines() {
            let _ = events.apply(line);
        }
        let _ = wizard_steps::split_brain::parse_evidence("node1", text);
    });
}

#[test]
fn the_crm_mon_parser_never_panics() {
    let samples = read_dir_texts(&common::repo_root().join("tests/fixtures/crm_mon"));
    let design = common::design(&common::example_profile("seed"));
    fuzz("crm_mon", samples, |text| {
        if let Ok(state) = wizard_steps::cluster_state::parse_crm_mon(text) {
            let _ = wizard_steps::cluster_state::placements(&design, &state);
        }
    });
}

#[test]
fn the_corosync_reader_never_panics() {
    let rendered = common::render(&common::example_profile("lab"), &[]);
    let samples = vec![
        std::fs::read_to_string(rendered.path().join("lab1/etc/corosync/corosync.conf"))
            .expect("corosync.conf"),
    ];
    fuzz("corosync", samples.clone(), |text| {
        let _ = wizard_steps::corosync::flatten(text);
        let _ = wizard_steps::corosync::change(&samples[0], text);
        let _ = wizard_steps::corosync::runs_with(text);
    });
}
