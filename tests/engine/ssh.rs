//! The SSH engine against a real OpenSSH server on 127.0.0.1 (tests/common/sshd.rs): host-key
//! trust, every authentication method and its failures, sudo, streamed output, cancellation on
//! the node, and atomic uploads.

use crate::common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::sshd::{self, Sshd};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;
use wizard_steps::remote::{
    Auth, ConnectError, ConnectOptions, Endpoint, ExecError, Existing, HostKeyTrust, OutputLine,
    Payload, Secret, Session, Sudo, UploadError, UploadOutcome,
};

fn target(sshd: &Sshd) -> Endpoint {
    Endpoint {
        host: "127.0.0.1".to_owned(),
        port: sshd.port,
        user: sshd::USER.to_owned(),
    }
}

/// A trust store of the test's own: an empty pinned file, no user known_hosts.
fn fresh_trust(dir: &Path) -> HostKeyTrust {
    HostKeyTrust {
        pinned: dir.join("known_hosts"),
        user_known_hosts: None,
        accept: None,
    }
}

fn key_auth(sshd: &Sshd) -> Auth {
    Auth::KeyFile {
        path: sshd.client_key(),
        passphrase: None,
    }
}

/// Connects with the client key, the host key already confirmed.
async fn connect(sshd: &Sshd, options: ConnectOptions) -> Session {
    let dir = TempDir::new().expect("temporary directory");
    let trust = fresh_trust(dir.path()).accepting(sshd.host_fingerprint());
    Session::connect(target(sshd), key_auth(sshd), trust, options)
        .await
        .unwrap_or_else(|error| panic!("connect: {error}\n{}", sshd.log()))
}

#[tokio::test]
async fn an_unknown_host_key_is_refused_until_confirmed_then_pinned() {
    let sshd = Sshd::start();
    let dir = TempDir::new().expect("temporary directory");
    let trust = fresh_trust(dir.path());
    let refused = Session::connect(
        target(&sshd),
        key_auth(&sshd),
        trust.clone(),
        ConnectOptions::default(),
    )
    .await
    .expect_err("an unknown key must not be accepted");
    assert_eq!(
        refused,
        ConnectError::UnknownHostKey {
            host: "127.0.0.1".to_owned(),
            port: sshd.port,
            fingerprint: sshd.host_fingerprint(),
        }
    );
    assert!(
        !trust.pinned.exists(),
        "nothing is pinned before the administrator confirms"
    );

    // A different fingerprint than the server's is not a confirmation.
    let wrong = trust.accepting("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert!(matches!(
        Session::connect(
            target(&sshd),
            key_auth(&sshd),
            wrong,
            ConnectOptions::default()
        )
        .await,
        Err(ConnectError::UnknownHostKey { .. })
    ));

    let confirmed = trust.accepting(sshd.host_fingerprint());
    let session = Session::connect(
        target(&sshd),
        key_auth(&sshd),
        confirmed,
        ConnectOptions::default(),
    )
    .await
    .expect("connects once confirmed");
    session.close().await;
    let pinned = fs::read_to_string(&trust.pinned).expect("the key is pinned");
    assert!(
        pinned.contains(&format!("[127.0.0.1]:{}", sshd.port)),
        "{pinned}"
    );
    let key_body = sshd.host_public_key();
    assert!(pinned.contains(key_body.split_whitespace().nth(1).expect("key body")));

    // Pinned: later connections need no confirmation.
    Session::connect(
        target(&sshd),
        key_auth(&sshd),
        trust,
        ConnectOptions::default(),
    )
    .await
    .expect("a pinned key is trusted")
    .close()
    .await;
}

#[tokio::test]
async fn a_key_in_the_users_known_hosts_is_trusted() {
    let sshd = Sshd::start();
    let dir = TempDir::new().expect("temporary directory");
    let user_file = dir.path().join("user_known_hosts");
    fs::write(
        &user_file,
        format!("[127.0.0.1]:{} {}", sshd.port, sshd.host_public_key()),
    )
    .expect("write");
    let trust = HostKeyTrust {
        user_known_hosts: Some(user_file),
        ..fresh_trust(dir.path())
    };
    Session::connect(
        target(&sshd),
        key_auth(&sshd),
        trust,
        ConnectOptions::default(),
    )
    .await
    .expect("known through ~/.ssh/known_hosts")
    .close()
    .await;
}

#[tokio::test]
async fn a_changed_host_key_is_a_hard_error_naming_both_fingerprints() {
    let sshd = Sshd::start();
    let dir = TempDir::new().expect("temporary directory");
    let other = dir.path().join("other_host_key");
    sshd::keygen(&other, "");
    let other_public = fs::read_to_string(other.with_extension("pub")).expect("public key");
    let trust = fresh_trust(dir.path());
    fs::write(
        &trust.pinned,
        format!("[127.0.0.1]:{} {other_public}", sshd.port),
    )
    .expect("pin the old key");
    // Even a confirmation of the new key does not override a changed one.
    let error = Session::connect(
        target(&sshd),
        key_auth(&sshd),
        trust.accepting(sshd.host_fingerprint()),
        ConnectOptions::default(),
    )
    .await
    .expect_err("a changed key must be refused");
    let ConnectError::HostKeyChanged {
        recorded,
        presented,
        line,
        ..
    } = &error
    else {
        panic!("expected HostKeyChanged, got {error:?}");
    };
    assert_eq!(recorded, &sshd::fingerprint(&other.with_extension("pub")));
    assert_eq!(presented, &sshd.host_fingerprint());
    assert_eq!(*line, 1);
    let message = error.to_string();
    assert!(
        message.contains(recorded.as_str()) && message.contains(presented.as_str()),
        "{message}"
    );
}

/// security.md finding 12: a key the user revoked in ~/.ssh/known_hosts looked merely unknown,
/// so one "trust it" pinned it.
#[tokio::test]
async fn a_revoked_host_key_is_refused_even_when_confirmed() {
    let sshd = Sshd::start();
    let dir = TempDir::new().expect("temporary directory");
    let user_file = dir.path().join("user_known_hosts");
    fs::write(
        &user_file,
        format!("# old servers\n@revoked * {}", sshd.host_public_key()),
    )
    .expect("write");
    let trust = HostKeyTrust {
        user_known_hosts: Some(user_file.clone()),
        ..fresh_trust(dir.path())
    };
    let error = Session::connect(
        target(&sshd),
        key_auth(&sshd),
        trust.accepting(sshd.host_fingerprint()),
        ConnectOptions::default(),
    )
    .await
    .expect_err("a revoked key must be refused");
    let ConnectError::HostKeyRevoked {
        presented,
        file,
        line,
        ..
    } = &error
    else {
        panic!("expected HostKeyRevoked, got {error:?}");
    };
    assert_eq!(presented, &sshd.host_fingerprint());
    assert_eq!(
        (file.as_str(), *line),
        (user_file.to_str().expect("utf-8"), 2)
    );
    assert!(
        !trust.pinned.exists()
            || !fs::read_to_string(&trust.pinned).expect("read").contains(
                sshd.host_public_key()
                    .split_whitespace()
                    .nth(1)
                    .expect("key")
            ),
        "the revoked key was pinned"
    );
}

#[tokio::test]
async fn authentication_failures_are_clear() {
    let sshd = Sshd::start();
    let dir = TempDir::new().expect("temporary directory");
    let trust = fresh_trust(dir.path()).accepting(sshd.host_fingerprint());

    let wrong_key = dir.path().join("stranger");
    sshd::keygen(&wrong_key, "");
    let error = Session::connect(
        target(&sshd),
        Auth::KeyFile {
            path: wrong_key,
            passphrase: None,
        },
        trust.clone(),
        ConnectOptions::default(),
    )
    .await
    .expect_err("an unauthorised key");
    assert!(
        matches!(&error, ConnectError::AuthFailed { method, .. } if method.starts_with("public key")),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("password"),
        "says what the server accepts: {error}"
    );

    let error = Session::connect(
        target(&sshd),
        Auth::Password(Secret::new("not the password")),
        trust.clone(),
        ConnectOptions::default(),
    )
    .await
    .expect_err("a wrong password");
    assert!(
        matches!(&error, ConnectError::AuthFailed { method, .. } if method == "password"),
        "{error:?}"
    );
    assert!(
        !format!("{error:?}{error}").contains("not the password"),
        "the password leaked: {error}"
    );

    let error = Session::connect(
        target(&sshd),
        Auth::KeyFile {
            path: sshd.locked_client_key(),
            passphrase: None,
        },
        trust.clone(),
        ConnectOptions::default(),
    )
    .await
    .expect_err("a locked key without its passphrase");
    assert!(
        matches!(error, ConnectError::PassphraseNeeded { .. }),
        "{error:?}"
    );

    let mut closed = target(&sshd);
    closed.port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let error = Session::connect(closed, key_auth(&sshd), trust, ConnectOptions::default())
        .await
        .expect_err("nothing listens there");
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("refused"), "{error}");
}

#[tokio::test]
async fn password_passphrase_and_agent_authentication_work() {
    let sshd = Sshd::start();
    let dir = TempDir::new().expect("temporary directory");
    let trust = fresh_trust(dir.path()).accepting(sshd.host_fingerprint());
    let whoami = |session: Session| async move {
        let output = session.output("id -un").await.expect("runs");
        session.close().await;
        output.stdout.trim().to_owned()
    };

    let by_password = Session::connect(
        target(&sshd),
        Auth::Password(Secret::new(sshd::PASSWORD)),
        trust.clone(),
        ConnectOptions::default(),
    )
    .await
    .expect("password authentication");
    assert_eq!(whoami(by_password).await, sshd::USER);

    let by_passphrase = Session::connect(
        target(&sshd),
        Auth::KeyFile {
            path: sshd.locked_client_key(),
            passphrase: Some(Secret::new(sshd::KEY_PASSPHRASE)),
        },
        trust.clone(),
        ConnectOptions::default(),
    )
    .await
    .expect("key with passphrase");
    assert_eq!(whoami(by_passphrase).await, sshd::USER);

    // An agent of the test's own, holding the client key.
    let socket = dir.path().join("agent.sock");
    let agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .spawn()
        .expect("ssh-agent starts");
    let _agent = KillOnDrop(agent);
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg(sshd.client_key())
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .expect("ssh-add runs");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let by_agent = Session::connect(
        target(&sshd),
        Auth::Agent {
            socket: Some(socket.clone()),
        },
        trust,
        ConnectOptions::default(),
    )
    .await
    .expect("agent authentication");
    assert_eq!(whoami(by_agent).await, sshd::USER);
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn output_streams_line_by_line_in_order_with_the_exit_status() {
    let sshd = Sshd::start();
    let session = connect(&sshd, ConnectOptions::default()).await;
    let gate = sshd.home().join("gate");
    // The command waits for a file that the test creates only after it saw the first line:
    // that line must have arrived while the command was still running.
    let command = format!(
        "echo first; echo warn1 >&2; while [ ! -e {gate} ]; do sleep 0.05; done; echo second; echo warn2 >&2; printf 'no newline'; exit 7",
        gate = gate.display()
    );
    let (lines_tx, mut lines_rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let mut forward = |line| lines_tx.send(line).expect("send");
    let running = session.exec(&command, None, &mut forward, &cancel);
    let opener = async {
        while let Some(line) = lines_rx.recv().await {
            if line == OutputLine::Stdout("first".to_owned()) {
                fs::write(&gate, "").expect("open the gate");
                break;
            }
        }
    };
    let (status, ()) = tokio::join!(running, opener);
    let status = status.expect("the command ran");
    assert_eq!(status.code, Some(7));
    assert!(!status.success());
    let mut rest = Vec::new();
    while let Ok(line) = lines_rx.try_recv() {
        rest.push(line);
    }
    let stdout: Vec<&OutputLine> = rest
        .iter()
        .filter(|line| matches!(line, OutputLine::Stdout(_)))
        .collect();
    assert_eq!(
        stdout,
        [
            &OutputLine::Stdout("second".into()),
            &OutputLine::Stdout("no newline".into())
        ]
    );
    assert!(rest.contains(&OutputLine::Stderr("warn2".into())));
    session.close().await;
}

#[tokio::test]
async fn a_cancelled_command_is_stopped_on_the_node() {
    let sshd = Sshd::start();
    let session = connect(&sshd, ConnectOptions::default()).await;
    let pids = sshd.home().join("pids");
    // The shell and a child it waits for record their PIDs (the sandbox shares this machine's
    // PID namespace), then the test cancels.
    let command = format!(
        "sleep 600 & echo \"$$ $!\" > {pids}; echo started; wait; echo never",
        pids = pids.display()
    );
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let mut lines = Vec::new();
    let result = session
        .exec(
            &command,
            None,
            &mut |line| {
                if line == OutputLine::Stdout("started".into()) {
                    trigger.cancel();
                }
                lines.push(line);
            },
            &cancel,
        )
        .await;
    assert_eq!(result, Err(ExecError::Cancelled));
    assert!(!lines.contains(&OutputLine::Stdout("never".into())));
    let recorded = fs::read_to_string(&pids).expect("the command recorded its PIDs");
    for pid in recorded.split_whitespace() {
        assert!(
            !Path::new("/proc").join(pid).exists(),
            "process {pid} of the cancelled command still runs"
        );
    }
    // The connection is still usable.
    assert!(session.output("true").await.expect("runs").status.success());
    session.close().await;
}

#[tokio::test]
async fn sudo_runs_commands_as_root_and_a_wrong_password_is_refused() {
    let sshd = Sshd::start();
    let root = connect(
        &sshd,
        ConnectOptions {
            sudo: Some(Sudo::Password(Secret::new(sshd::PASSWORD))),
            ..ConnectOptions::default()
        },
    )
    .await;
    let output = root.output("id -u; cat").await.expect("runs");
    assert_eq!(
        output.stdout, "0\n",
        "the password line must not reach the command's stdin"
    );
    assert!(output.status.success(), "{output:?}");
    // The next command asks again (sudo -k): the password line is never left for the command.
    assert_eq!(
        root.output("id -un").await.expect("runs").stdout.trim(),
        "root"
    );
    root.close().await;

    let refused = connect(
        &sshd,
        ConnectOptions {
            sudo: Some(Sudo::Password(Secret::new("wrong"))),
            ..ConnectOptions::default()
        },
    )
    .await;
    let error = refused.output("id -u").await.expect_err("sudo must refuse");
    assert!(matches!(error, ExecError::Sudo(_)), "{error:?}");
    assert!(!error.to_string().contains("wrong"), "{error}");
    refused.close().await;
}

#[tokio::test]
async fn upload_is_atomic_backs_up_a_differing_file_and_skips_an_identical_one() {
    let sshd = Sshd::start();
    let session = connect(&sshd, ConnectOptions::default()).await;
    let cancel = CancellationToken::new();
    let path = sshd.home().join("etc/app.conf");
    let remote = path.to_str().expect("utf-8 path");
    let owner = format!("{0}:{0}", sshd::USER);
    let mut progress = Vec::new();

    let outcome = session
        .upload(
            Payload::Bytes(b"first version\n"),
            remote,
            0o640,
            &owner,
            Existing::Replace,
            &mut |sent| progress.push(sent),
            &cancel,
        )
        .await
        .expect("upload");
    assert_eq!(outcome, UploadOutcome::Created);
    assert_eq!(
        fs::read_to_string(&path).expect("written"),
        "first version\n"
    );
    let metadata = fs::metadata(&path).expect("metadata");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o640);
    assert_eq!(metadata.uid(), 47321);
    assert_eq!(progress.last(), Some(&14));

    let again = session
        .upload(
            Payload::Bytes(b"first version\n"),
            remote,
            0o640,
            &owner,
            Existing::Replace,
            &mut |_| {},
            &cancel,
        )
        .await
        .expect("upload");
    assert_eq!(again, UploadOutcome::Unchanged);
    assert_eq!(
        fs::metadata(&path).expect("metadata").ino(),
        metadata.ino(),
        "an identical file is not rewritten"
    );

    // A held-open handle on the old file proves the new one was renamed into place.
    let mut old = fs::File::open(&path).expect("open");
    let replaced = session
        .upload(
            Payload::Bytes(b"second version\n"),
            remote,
            0o640,
            &owner,
            Existing::Replace,
            &mut |_| {},
            &cancel,
        )
        .await
        .expect("upload");
    let UploadOutcome::Replaced { backup } = replaced else {
        panic!("expected a replacement, got {replaced:?}");
    };
    // security.md finding 4: the backup is kept outside the file's directory (a tool that
    // reads every file there, like ifupdown's interfaces.d, would read it too).
    assert!(
        backup.starts_with(&format!("/var/backups/tandem{remote}.")),
        "{backup}"
    );
    assert_eq!(
        fs::read_to_string(sshd.local_path(&backup)).expect("backup"),
        "first version\n"
    );
    let siblings: Vec<_> = fs::read_dir(path.parent().expect("parent"))
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(siblings, ["app.conf"], "nothing beside the file");
    assert_eq!(
        fs::read_to_string(&path).expect("written"),
        "second version\n"
    );
    let mut held = String::new();
    std::io::Read::read_to_string(&mut old, &mut held).expect("read");
    assert_eq!(
        held, "first version\n",
        "the old file was rewritten in place"
    );
    let leftovers: Vec<_> = fs::read_dir(path.parent().expect("parent"))
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("tandem-new"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A mode change alone is a change.
    let chmodded = session
        .upload(
            Payload::Bytes(b"second version\n"),
            remote,
            0o600,
            &owner,
            Existing::Replace,
            &mut |_| {},
            &cancel,
        )
        .await
        .expect("upload");
    assert!(matches!(chmodded, UploadOutcome::Replaced { .. }));
    assert_eq!(
        fs::metadata(&path).expect("metadata").permissions().mode() & 0o777,
        0o600
    );
    session.close().await;
}

/// security.md finding 6: the ISO upload replaced any file that differed. An upload that keeps
/// what is there creates a missing file, leaves an identical one, and refuses a different one.
#[tokio::test]
async fn an_upload_that_keeps_existing_files_never_replaces_one() {
    let sshd = Sshd::start();
    let session = connect(&sshd, ConnectOptions::default()).await;
    let cancel = CancellationToken::new();
    let local_dir = TempDir::new().expect("temporary directory");
    let local = local_dir.path().join("install.iso");
    fs::write(&local, b"the installer\n").expect("write");
    let path = sshd.home().join("iso/install.iso");
    let remote = path.to_str().expect("utf-8 path");
    let owner = format!("{0}:{0}", sshd::USER);
    let upload = || async {
        session
            .upload(
                Payload::File(&local),
                remote,
                0o644,
                &owner,
                Existing::Keep,
                &mut |_| {},
                &cancel,
            )
            .await
    };
    assert_eq!(upload().await.expect("created"), UploadOutcome::Created);
    assert_eq!(upload().await.expect("identical"), UploadOutcome::Unchanged);
    fs::write(&path, b"the user's own file\n").expect("write");
    let error = upload().await.expect_err("a different file is kept");
    assert_eq!(
        error,
        UploadError::Differs {
            path: remote.to_owned(),
            local: format!("{} on this workstation", local.display()),
        }
    );
    let message = error.to_string();
    assert!(
        message.contains(remote) && message.contains(local.to_str().expect("utf-8")),
        "the error names both files: {message}"
    );
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        "the user's own file\n"
    );
    assert!(
        fs::read_dir(sshd.backups()).expect("list").next().is_none(),
        "no backup of a file that was not replaced"
    );
    session.close().await;
}

#[tokio::test]
async fn a_large_upload_through_sudo_reports_progress_and_lands_as_root() {
    let sshd = Sshd::start();
    let session = connect(
        &sshd,
        ConnectOptions {
            sudo: Some(Sudo::Password(Secret::new(sshd::PASSWORD))),
            ..ConnectOptions::default()
        },
    )
    .await;
    let contents: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let local_dir = TempDir::new().expect("temporary directory");
    let local = local_dir.path().join("install.iso");
    fs::write(&local, &contents).expect("write the local ISO");
    let path = sshd.home().join("iso/install.iso");
    let mut progress = Vec::new();
    let outcome = session
        .upload(
            Payload::File(&local),
            path.to_str().expect("utf-8"),
            0o644,
            "root:root",
            Existing::Replace,
            &mut |sent| progress.push(sent),
            &CancellationToken::new(),
        )
        .await
        .expect("upload");
    assert_eq!(outcome, UploadOutcome::Created);
    assert_eq!(fs::read(&path).expect("written"), contents);
    assert_eq!(fs::metadata(&path).expect("metadata").uid(), 0);
    assert!(progress.len() >= 12, "progress in steps: {progress:?}");
    assert!(progress.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(progress.last().copied(), Some(contents.len() as u64));
    session.close().await;
}

#[tokio::test]
async fn the_read_only_gather_script_runs_through_sudo_and_parses() {
    let sshd = Sshd::start();
    let session = connect(
        &sshd,
        ConnectOptions {
            sudo: Some(Sudo::Password(Secret::new(sshd::PASSWORD))),
            ..ConnectOptions::default()
        },
    )
    .await;
    let design = common::design(&common::example_profile("seed"));
    let output = session
        .output(&wizard_steps::facts::gather_script(&design, 0))
        .await
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let facts = wizard_steps::facts::parse(&output.stdout);
    assert_eq!(facts.uid, Some(0), "sudo made it root");
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    assert_eq!(facts.hostname, hostname.trim());
    assert_eq!(facts.os_id, "debian");
    assert!(facts.memory_mib > 0 && facts.cpus > 0);
    assert!(facts.nics.iter().any(|nic| nic.name == "lo"));
    assert!(
        facts.listening.contains(&sshd.port),
        "{:?}",
        facts.listening
    );
    assert!(facts.reaches_peer.is_some());
    session.close().await;
}

#[tokio::test]
async fn a_session_reconnects_when_the_node_comes_back_and_insists_on_a_new_boot() {
    let mut sshd = Sshd::start();
    let mut session = connect(&sshd, ConnectOptions::default()).await;
    let boot_id = session.boot_id().await.expect("boot id");
    assert_eq!(boot_id.len(), 36, "{boot_id}");
    sshd.stop();
    assert!(
        session.output("true").await.is_err(),
        "the old connection is gone"
    );
    // The node comes back a little later; the session waits for it and uses a new connection.
    let restarter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        sshd.restart();
        sshd
    });
    session
        .reconnect(Duration::from_secs(60), None)
        .await
        .expect("reconnects once the node answers");
    let sshd = restarter.join().expect("restarted");
    assert!(session.output("true").await.expect("runs").status.success());
    // A reboot that never happened (same boot id) is not taken for one.
    let error = session
        .reconnect_after_reboot(&boot_id, Duration::from_secs(4))
        .await
        .expect_err("the boot id did not change");
    assert!(matches!(error, ConnectError::TimedOut { .. }), "{error:?}");
    session.close().await;
    drop(sshd);
}
