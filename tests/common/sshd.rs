//! A real OpenSSH server for the tests, on 127.0.0.1 with its own host key, test user, password
//! and sudo rights. It runs in a private mount namespace where copies of /etc/passwd, shadow,
//! group and sudoers (with the test user added) are bound over the real ones, so nothing on the
//! machine running the tests changes outside the test's own directory.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const USER: &str = "tandemtest";
pub const PASSWORD: &str = "correct horse battery staple";
pub const KEY_PASSPHRASE: &str = "open sesame";
const UID: u32 = 47321;

pub struct Sshd {
    dir: TempDir,
    pub port: u16,
    /// None once stopped: a reaped PID must never be signalled (it may belong to another
    /// process by then).
    child: Option<Child>,
}

impl Sshd {
    pub fn start() -> Sshd {
        Sshd::launch(false, &[])
    }

    /// A server whose home directory is a tmpfs of its own, invisible outside its namespace: two
    /// of them stand in for two nodes with separate disks (inspect their files over SSH).
    pub fn start_private() -> Sshd {
        Sshd::launch(true, &[])
    }

    /// Like [`Sshd::start_private`], and each of `directories` (system directories such as
    /// /etc/corosync, which must exist here) is an empty one of this server's own: a machine
    /// whose configuration there starts blank, and nothing written there reaches this one.
    pub fn start_with_private(directories: &[&str]) -> Sshd {
        Sshd::launch(true, directories)
    }

    fn launch(private_home: bool, private_dirs: &[&str]) -> Sshd {
        let dir = TempDir::new().expect("temporary directory");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let path = dir.path();
        for tool in ["sshd", "ssh-keygen", "unshare", "openssl", "sudo"] {
            super::require_tool(tool);
        }
        keygen(&path.join("host_ed25519"), "");
        keygen(&path.join("client_ed25519"), "");
        keygen(&path.join("client_locked_ed25519"), KEY_PASSPHRASE);
        let authorized: String = ["client_ed25519.pub", "client_locked_ed25519.pub"]
            .iter()
            .map(|name| fs::read_to_string(path.join(name)).expect("public key"))
            .collect();
        fs::write(path.join("authorized_keys"), authorized).expect("authorized_keys");

        let home = path.join("home");
        fs::create_dir(&home).expect("home");
        chown(&home, UID);
        write_accounts(path, &home);

        // A port that was free a moment ago may be taken by the time sshd binds it (other
        // tests pick ports too): try again with another one.
        for _attempt in 0..5 {
            let port = free_port();
            let mut child = start_on(path, port, private_home, private_dirs);
            if wait_until_listening(&mut child, path, port) {
                return Sshd {
                    dir,
                    port,
                    child: Some(child),
                };
            }
        }
        panic!(
            "sshd would not start:\n{}",
            fs::read_to_string(path.join("sshd.log")).unwrap_or_default()
        );
    }
}

fn start_on(path: &Path, port: u16, private_home: bool, private_dirs: &[&str]) -> Child {
    {
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_ed25519\nPidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\nUsePAM no\nPasswordAuthentication yes\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin no\nAllowUsers {USER}\n\
             LogLevel VERBOSE\n",
            dir = path.display()
        );
        fs::write(path.join("sshd_config"), config).expect("sshd_config");
    }
    spawn(path, private_home, private_dirs)
}

/// Waits for sshd's own "Server listening" line; false when it exited (the port was taken).
fn wait_until_listening(child: &mut Child, dir: &Path, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    let listening = format!("Server listening on 127.0.0.1 port {port}");
    while Instant::now() < deadline {
        if fs::read_to_string(dir.join("sshd.log")).is_ok_and(|log| log.contains(&listening)) {
            return true;
        }
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

impl Sshd {
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where the "node"'s /var/backups is, seen from outside its namespace.
    pub fn backups(&self) -> PathBuf {
        self.dir.path().join("backups")
    }

    /// A path on the "node" as the test sees it (its /var/backups is private).
    pub fn local_path(&self, node_path: &str) -> PathBuf {
        match node_path.strip_prefix("/var/backups/") {
            Some(rest) => self.backups().join(rest),
            None => PathBuf::from(node_path),
        }
    }

    /// A directory the test user owns, for files the tests write on the "node".
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn client_key(&self) -> PathBuf {
        self.dir.path().join("client_ed25519")
    }

    pub fn locked_client_key(&self) -> PathBuf {
        self.dir.path().join("client_locked_ed25519")
    }

    /// The server's host key fingerprint as `ssh-keygen -l` prints it (`SHA256:...`).
    pub fn host_fingerprint(&self) -> String {
        fingerprint(&self.dir.path().join("host_ed25519.pub"))
    }

    pub fn host_public_key(&self) -> String {
        fs::read_to_string(self.dir.path().join("host_ed25519.pub")).expect("host key")
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Sshd {
    /// Stops the server and every session it serves, as a node going down would: every
    /// process in the sandbox's mount namespace (sshd gives each connection a session of its
    /// own, so a process group would miss them), and nothing else.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let namespace = fs::read_link(format!("/proc/{}/ns/mnt", child.id())).ok();
        let own = fs::read_link("/proc/self/ns/mnt").ok();
        if let Some(namespace) = namespace.filter(|namespace| Some(namespace) != own.as_ref()) {
            for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                if fs::read_link(format!("/proc/{pid}/ns/mnt")).ok().as_ref() == Some(&namespace) {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }
            }
        }
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", child.id())])
            .status();
        let _ = child.wait();
    }

    /// Starts the stopped server again on the same port with the same keys (a node coming back).
    pub fn restart(&mut self) {
        let _ = fs::remove_file(self.dir.path().join("sshd.log"));
        for _ in 0..50 {
            let mut child = start_on(self.dir.path(), self.port, false, &[]);
            if wait_until_listening(&mut child, self.dir.path(), self.port) {
                self.child = Some(child);
                return;
            }
            // The old listener's port may linger for a moment.
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("sshd did not come back on port {}", self.port);
    }
}

/// Generates an ed25519 key pair (`passphrase` empty for none).
pub fn keygen(path: &Path, passphrase: &str) {
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            "tandem-test",
            "-f",
        ])
        .arg(path)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen failed");
    fs::set_permissions(
        path.with_extension("pub"),
        fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
}

pub fn fingerprint(public_key: &Path) -> String {
    let output = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public_key)
        .output()
        .expect("ssh-keygen -l runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .nth(1)
        .expect("a fingerprint")
        .to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).expect("chown");
}

/// Copies of the account files with the test user, for binding over the real ones.
fn write_accounts(dir: &Path, home: &Path) {
    let hash = Command::new("openssl")
        .args(["passwd", "-6", PASSWORD])
        .output()
        .expect("openssl passwd runs");
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_owned();
    let read = |file: &str| fs::read_to_string(file).unwrap_or_default();
    fs::write(
        dir.join("passwd"),
        format!(
            "{}{USER}:x:{UID}:{UID}:Tandem test:{}:/bin/sh\n",
            read("/etc/passwd"),
            home.display()
        ),
    )
    .expect("passwd");
    fs::write(
        dir.join("group"),
        format!("{}{USER}:x:{UID}:\n", read("/etc/group")),
    )
    .expect("group");
    let shadow = dir.join("shadow");
    fs::write(
        &shadow,
        format!("{}{USER}:{hash}:19000:0:99999:7:::\n", read("/etc/shadow")),
    )
    .expect("shadow");
    fs::set_permissions(&shadow, fs::Permissions::from_mode(0o640)).expect("chmod");
    let sudoers = dir.join("sudoers");
    fs::write(
        &sudoers,
        // Debian's own sudoers sets secure_path: root's commands find /usr/sbin's tools.
        format!("Defaults env_reset\nDefaults lecture=never\nDefaults secure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nroot ALL=(ALL:ALL) ALL\n{USER} ALL=(ALL:ALL) ALL\n"),
    )
    .expect("sudoers");
    fs::set_permissions(&sudoers, fs::Permissions::from_mode(0o440)).expect("chmod");
}

fn spawn(dir: &Path, private_home: bool, private_dirs: &[&str]) -> Child {
    use std::os::unix::process::CommandExt;
    let d = dir.display();
    let binds: String = ["passwd", "group", "shadow", "sudoers"]
        .iter()
        .map(|file| format!("mount --bind {d}/{file} /etc/{file} && "))
        .collect();
    let home = if private_home {
        format!("mount -t tmpfs -o mode=0755,uid={UID},gid={UID} tmpfs {d}/home && ")
    } else {
        String::new()
    };
    let private: String = private_dirs
        .iter()
        .map(|system| {
            assert!(
                Path::new(system).is_dir(),
                "{system} must exist here to be made private"
            );
            format!("mkdir -p {d}/private{system} && mount --bind {d}/private{system} {system} && ")
        })
        .collect();
    // A private /run holds sshd's privilege-separation directory and sudo's state; the
    // node's /var/backups (where Tandem keeps the files it replaces) is the test's own.
    let script = format!(
        "set -e; {binds} {home} {private} mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd && \
         mkdir -p -m 1777 {d}/backups && chmod 1777 {d}/backups && mount --bind {d}/backups /var/backups && \
         exec /usr/sbin/sshd -D -e -f {d}/sshd_config"
    );
    let log = fs::File::create(dir.join("sshd.log")).expect("sshd.log");
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .expect("unshare sshd starts")
}

/// The seed profile, re-pointed at two sandboxes as its two nodes (key-file auth, sudo), written
/// to `dir/sandbox.toml`.
pub fn seed_profile_for(servers: &[Sshd; 2], dir: &Path) -> PathBuf {
    let mut text = fs::read_to_string(super::example_profile("seed")).expect("seed profile");
    for (index, server) in servers.iter().enumerate() {
        let node = index + 1;
        text = text.replacen(
            &format!("host = \"192.168.1.{node}\"\nport = 22\nuser = \"root\"\nauth = {{ method = \"agent\" }}"),
            &format!(
                "host = \"127.0.0.1\"\nport = {}\nuser = \"{}\"\nsudo = true\nauth = {{ method = \"key-file\", path = \"{}\" }}",
                server.port,
                USER,
                server.client_key().display()
            ),
            1,
        );
    }
    assert!(
        !text.contains("method = \"agent\""),
        "both nodes re-pointed:\n{text}"
    );
    let path = dir.join("sandbox.toml");
    fs::write(&path, text).expect("write the profile");
    path
}

/// The host keys pinned in `dir`'s known_hosts (the file Tandem writes when a key is confirmed),
/// with the file's text for a failure message.
pub fn pinned_keys(dir: &Path) -> (usize, String) {
    let text = std::fs::read_to_string(dir.join("known_hosts")).expect("confirmed keys are pinned");
    let count = text.lines().filter(|line| !line.trim().is_empty()).count();
    (count, text)
}
