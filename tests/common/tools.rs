//! The real Debian tools per release: Debian 12's are this machine's own, Debian 13's live in
//! the cached tool root `tests/toolroot` builds (tests/run builds it first). A tool of the root
//! runs in a private mount namespace where the root has this machine's temporary directory (the
//! tests' files, wherever TMPDIR puts them), /tmp and the repository at the same paths,
//! chrooted, in the directory the command was given.

use std::path::{Path, PathBuf};
use std::process::Command;

use wizard_steps::profile::DebianRelease;

/// One release's tools.
#[derive(Debug, Clone)]
pub struct Tools {
    pub release: DebianRelease,
    /// The release's root; None for this machine's own (Debian 12).
    root: Option<PathBuf>,
}

impl Tools {
    /// Every release Tandem supports, each with its own tools.
    pub fn every_release() -> Vec<Tools> {
        vec![Tools::this_machine(), Tools::trixie()]
    }

    /// This machine's tools: Debian 12's (tests/run installs them).
    pub fn this_machine() -> Tools {
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        assert!(
            os_release.lines().any(|line| line == "VERSION_ID=\"12\""),
            "the suite takes Debian 12's tools from this machine, which is not Debian 12:\n\
             {os_release}"
        );
        Tools {
            release: DebianRelease::Bookworm,
            root: None,
        }
    }

    /// Debian 13's tools, from the tool root for this recipe.
    pub fn trixie() -> Tools {
        let root = std::env::var_os("TANDEM_TOOLROOT_TRIXIE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let output = Command::new(super::repo_root().join("tests/toolroot"))
                    .args(["path", "trixie"])
                    .output()
                    .expect("tests/toolroot runs");
                assert!(
                    output.status.success(),
                    "Debian 13's tools are not built: run the README's test command (tests/run), \
                     which builds them with `tests/toolroot build trixie`.\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
            });
        assert!(
            root.join("usr/sbin/drbdadm").exists(),
            "{} is not a Debian 13 tool root",
            root.display()
        );
        Tools {
            release: DebianRelease::Trixie,
            root: Some(root),
        }
    }

    /// The command that runs `tool` of this release (add its arguments, environment and
    /// directory as for any command; paths under /tmp and the repository mean the same files).
    pub fn command(&self, tool: &str) -> Command {
        let program = self.path(tool);
        let Some(root) = &self.root else {
            return Command::new(program);
        };
        // The outer shell runs in the command's directory; the chroot goes back to it. The root
        // is bound onto itself so that it is a mount point: a tool that sets up a namespace of
        // its own (unshare --propagation) needs its `/` to be one.
        const ENTER: &str = r#"root=$1; repo=$2; temp=$3; shift 3
mount --make-rprivate / &&
mount --bind "$root" "$root" &&
mount --rbind /tmp "$root/tmp" &&
{ [ "$temp" = /tmp ] || { mkdir -p "$root$temp" && mount --rbind "$temp" "$root$temp"; }; } &&
mkdir -p "$root$repo" && mount --bind "$repo" "$root$repo" &&
mount -t proc proc "$root/proc" &&
mount --rbind /dev "$root/dev" || exit 125
exec chroot "$root" /bin/sh -c 'cd "$1" || exit 125; shift; exec "$@"' sh "$PWD" "$@""#;
        let mut command = Command::new("unshare");
        command
            .args(["--mount", "--", "/bin/sh", "-c", ENTER, "sh"])
            .arg(root)
            .arg(super::repo_root())
            .arg(
                std::env::temp_dir()
                    .canonicalize()
                    .expect("the temporary directory"),
            )
            .arg(program);
        command
    }

    /// Where `tool` is in this release, as the commands of [`Tools::command`] see it; fails
    /// the test with the fix when the release lacks it. A path (a program the test built in
    /// its temporary directory) stays as it is.
    pub fn path(&self, tool: &str) -> PathBuf {
        if tool.contains('/') {
            return PathBuf::from(tool);
        }
        let Some(root) = &self.root else {
            return super::require_tool(tool);
        };
        ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(tool))
            .find(|path| self.file(&path.to_string_lossy()).exists())
            .unwrap_or_else(|| {
                panic!(
                    "`{tool}` is not in Debian 13's tool root {}: add its package to \
                     tests/toolroot's recipe",
                    root.display()
                )
            })
    }

    /// `profile` as a user of this release has it: a copy whose `debian` is this release, so
    /// that the files checked by these tools are the ones rendered for their release.
    pub fn profile(&self, profile: &Path) -> ReleaseProfile {
        let text = std::fs::read_to_string(profile)
            .unwrap_or_else(|error| panic!("{}: {error}", profile.display()));
        let mut found = false;
        let text: String = text
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("debian =") {
                    found = true;
                    format!("debian = {}\n", self.release.number())
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        assert!(found, "{} names no Debian release", profile.display());
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let path = dir
            .path()
            .join(profile.file_name().expect("a profile file"));
        std::fs::write(&path, text).expect("write the profile");
        ReleaseProfile { _dir: dir, path }
    }

    /// A file of this release's packages (a handler script, an agent), as this machine sees it.
    pub fn file(&self, path: &str) -> PathBuf {
        match &self.root {
            Some(root) => root.join(path.trim_start_matches('/')),
            None => Path::new(path).to_path_buf(),
        }
    }
}

impl std::fmt::Display for Tools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}'s tools", self.release)
    }
}

/// A profile copied for one release (see [`Tools::profile`]); the copy lives as long as this.
pub struct ReleaseProfile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl std::ops::Deref for ReleaseProfile {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

/// Every profile the real-tool tests check, rendered for each release, with that release's
/// tools.
pub fn every_release_and_profile() -> Vec<(Tools, ReleaseProfile)> {
    Tools::every_release()
        .into_iter()
        .flat_map(|tools| {
            super::all_profiles().map(|profile| (tools.clone(), tools.profile(&profile)))
        })
        .collect()
}
