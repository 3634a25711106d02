//! What the installers carry, checked without building them: the desktop entry and the AppStream
//! metainfo pass Debian's validators, every name matches the window's application id (so the
//! dock shows Tandem's icon for its window), the icon PNGs have the sizes their folders claim,
//! and the .deb's asset list names files that exist, every icon among them. tests/install builds
//! the packages and installs them into a clean Debian root.

// Test helpers fail the test by panicking, inside and outside #[test] functions alike.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{assert_success, repo_root, require_tool, run};
use tandem::gui::APPLICATION_ID;

fn packaging() -> PathBuf {
    repo_root().join("packaging")
}

fn desktop_entry() -> PathBuf {
    packaging().join(format!("{APPLICATION_ID}.desktop"))
}

fn metainfo() -> PathBuf {
    packaging().join(format!("{APPLICATION_ID}.metainfo.xml"))
}

/// The value of `key` in the desktop entry's main group.
fn desktop_value(key: &str) -> Option<String> {
    let text = fs::read_to_string(desktop_entry()).expect("the desktop entry is readable");
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

/// The hicolor PNGs in packaging/icons, as (path below packaging/icons/hicolor, claimed size).
fn icon_pngs() -> Vec<(PathBuf, u32)> {
    let hicolor = packaging().join("icons/hicolor");
    let mut icons = Vec::new();
    for entry in fs::read_dir(&hicolor).expect("packaging/icons/hicolor exists") {
        let folder = entry.expect("directory entry").file_name();
        let folder = folder.to_string_lossy();
        let Some((width, height)) = folder.split_once('x') else {
            continue;
        };
        assert_eq!(width, height, "icon folder {folder} is not square");
        let size = width.parse().expect("icon folder named <size>x<size>");
        icons.push((
            Path::new(folder.as_ref())
                .join("apps")
                .join(format!("{APPLICATION_ID}.png")),
            size,
        ));
    }
    icons.sort_by_key(|(_, size)| *size);
    icons
}

/// A PNG's width and height, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let number = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (number(16), number(20))
}

/// The `[package.metadata.deb]` table of app/Cargo.toml.
fn deb_metadata() -> toml::Table {
    let manifest: toml::Table = fs::read_to_string(repo_root().join("app/Cargo.toml"))
        .expect("app/Cargo.toml is readable")
        .parse()
        .expect("app/Cargo.toml is TOML");
    manifest["package"]["metadata"]["deb"]
        .as_table()
        .expect("app/Cargo.toml has [package.metadata.deb]")
        .clone()
}

/// The .deb's assets as (source relative to app/, destination).
fn deb_assets() -> Vec<(String, String)> {
    deb_metadata()["assets"]
        .as_array()
        .expect("assets is a list")
        .iter()
        .map(|asset| {
            let fields = asset
                .as_array()
                .expect("an asset is [source, destination, mode]");
            (
                fields[0].as_str().expect("source").to_owned(),
                fields[1].as_str().expect("destination").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_desktop_entry_passes_desktop_file_validate() {
    let output =
        run(std::process::Command::new(require_tool("desktop-file-validate")).arg(desktop_entry()));
    assert_success(&output, "desktop-file-validate");
    // The validator prints hints without failing: there should be none either.
    assert!(
        output.stdout.is_empty(),
        "desktop-file-validate has remarks:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn the_metainfo_passes_appstreamcli_validate() {
    let output = run(std::process::Command::new(require_tool("appstreamcli"))
        .args(["validate", "--no-net", "--explain"])
        .arg(metainfo()));
    assert_success(&output, "appstreamcli validate");
}

#[test]
fn the_desktop_entry_icon_and_metainfo_carry_the_window_application_id() {
    assert_eq!(
        desktop_value("StartupWMClass").as_deref(),
        Some(APPLICATION_ID)
    );
    assert_eq!(desktop_value("Icon").as_deref(), Some(APPLICATION_ID));
    assert_eq!(desktop_value("Exec").as_deref(), Some("tandem"));
    let metainfo = fs::read_to_string(metainfo()).expect("the metainfo is readable");
    let document = roxmltree::Document::parse(&metainfo).expect("the metainfo is XML");
    let text_of = |tag: &str| {
        document
            .descendants()
            .find(|node| node.has_tag_name(tag))
            .and_then(|node| node.text())
            .map(str::trim)
            .map(str::to_owned)
    };
    assert_eq!(text_of("id").as_deref(), Some(APPLICATION_ID));
    assert_eq!(
        text_of("launchable"),
        Some(format!("{APPLICATION_ID}.desktop"))
    );
    assert_eq!(text_of("binary").as_deref(), Some("tandem"));
    let release = document
        .descendants()
        .find(|node| node.has_tag_name("release"))
        .and_then(|node| node.attribute("version"));
    assert_eq!(
        release,
        Some(env!("CARGO_PKG_VERSION")),
        "the metainfo's newest release is the crate's version"
    );
}

#[test]
fn the_icon_pngs_have_the_sizes_their_folders_name() {
    let icons = icon_pngs();
    let sizes: Vec<u32> = icons.iter().map(|(_, size)| *size).collect();
    for needed in [16, 32, 48, 64, 128, 256] {
        assert!(
            sizes.contains(&needed),
            "no {needed}x{needed} icon: {sizes:?}"
        );
    }
    for (path, size) in icons {
        let file = packaging().join("icons/hicolor").join(&path);
        assert_eq!(png_size(&file), (size, size), "{}", file.display());
    }
    assert!(
        packaging()
            .join(format!("icons/hicolor/scalable/apps/{APPLICATION_ID}.svg"))
            .is_file()
    );
}

#[test]
fn the_deb_installs_every_icon_the_entry_and_the_metainfo_where_desktops_look() {
    let assets = deb_assets();
    let app = repo_root().join("app");
    for (source, _) in &assets {
        if source.starts_with("target/") || source.contains('*') {
            continue;
        }
        assert!(
            app.join(source).is_file(),
            "the .deb asset {source} is missing"
        );
    }
    let installs = |source: &str, destination: &str| {
        assets
            .iter()
            .any(|(from, to)| from == source && to == destination)
    };
    for (path, _) in icon_pngs().into_iter().chain([(
        PathBuf::from(format!("scalable/apps/{APPLICATION_ID}.svg")),
        0,
    )]) {
        let path = path.to_string_lossy();
        let folder = path.rsplit_once('/').expect("a folder").0;
        assert!(
            installs(
                &format!("../packaging/icons/hicolor/{path}"),
                &format!("usr/share/icons/hicolor/{folder}/")
            ),
            "the .deb does not install the icon {path}"
        );
    }
    assert!(installs(
        &format!("../packaging/{APPLICATION_ID}.desktop"),
        "usr/share/applications/"
    ));
    assert!(installs(
        &format!("../packaging/{APPLICATION_ID}.metainfo.xml"),
        "usr/share/metainfo/"
    ));
    assert!(installs("target/release/tandem", "usr/bin/"));
}

#[test]
fn the_package_synopsis_fits_one_line() {
    // cargo-deb takes the package's description as the .deb's synopsis and wraps it past 80
    // columns, which turns its tail into the first line of the extended description.
    let synopsis = env!("CARGO_PKG_DESCRIPTION");
    assert!(
        synopsis.len() < 80 && !synopsis.ends_with('.'),
        "app/Cargo.toml's description is the .deb synopsis: under 80 characters, no full stop: {synopsis:?}"
    );
}

#[test]
fn the_deb_lists_the_libraries_the_window_loads_at_run_time() {
    let depends = deb_metadata()["depends"]
        .as_str()
        .expect("depends is a string")
        .to_owned();
    let packages: Vec<&str> = depends
        .split(',')
        .flat_map(|alternatives| alternatives.split('|'))
        .map(str::trim)
        .collect();
    for library in [
        "libx11-6",
        "libx11-xcb1",
        "libxcursor1",
        "libxi6",
        "libxkbcommon-x11-0",
        "libwayland-client0",
        "fonts-dejavu-core",
        "zenity",
    ] {
        assert!(
            packages.contains(&library),
            "depends lacks {library}: {depends}"
        );
    }
}
