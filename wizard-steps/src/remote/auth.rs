//! Opening a connection and authenticating: agent, key file (with its passphrase) or password.

use std::sync::{Arc, Mutex};

use russh::client;
use russh::client::Handle;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};

use super::handler::ClientHandler;
use super::{Auth, ConnectError, ConnectSpec, Secret};

pub(super) async fn open(spec: &ConnectSpec) -> Result<Handle<ClientHandler>, ConnectError> {
    let target = &spec.endpoint;
    let mut config = client::Config {
        keepalive_interval: Some(spec.options.keepalive_interval),
        keepalive_max: 3,
        inactivity_timeout: None,
        ..client::Config::default()
    };
    let known = spec.trust.known_algorithms(&target.host, target.port);
    if !known.is_empty() {
        config.preferred.key = known.into();
    }
    let rejection = Arc::new(Mutex::new(None));
    let handler = ClientHandler {
        host: target.host.clone(),
        port: target.port,
        trust: spec.trust.clone(),
        rejection: rejection.clone(),
    };
    let timeout = spec.options.connect_timeout;
    let timed_out = || ConnectError::TimedOut {
        host: target.host.clone(),
        port: target.port,
        seconds: timeout.as_secs(),
    };
    let connected = tokio::time::timeout(
        timeout,
        client::connect(
            Arc::new(config),
            (target.host.as_str(), target.port),
            handler,
        ),
    )
    .await
    .map_err(|_| timed_out())?;
    let mut handle = match connected {
        Ok(handle) => handle,
        Err(error) => {
            if let Some(rejection) = rejection
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
            {
                return Err(rejection);
            }
            return Err(match error {
                russh::Error::IO(io) => ConnectError::Unreachable {
                    host: target.host.clone(),
                    port: target.port,
                    reason: io.to_string(),
                },
                other => ConnectError::Protocol {
                    host: target.host.clone(),
                    port: target.port,
                    reason: other.to_string(),
                },
            });
        }
    };
    tokio::time::timeout(timeout, authenticate(&mut handle, spec))
        .await
        .map_err(|_| timed_out())??;
    Ok(handle)
}

pub(super) async fn authenticate(
    handle: &mut Handle<ClientHandler>,
    spec: &ConnectSpec,
) -> Result<(), ConnectError> {
    let target = &spec.endpoint;
    let protocol = |error: russh::Error| ConnectError::Protocol {
        host: target.host.clone(),
        port: target.port,
        reason: error.to_string(),
    };
    let failed = |method: &str, result: &russh::client::AuthResult| {
        let remaining = match result {
            russh::client::AuthResult::Failure {
                remaining_methods, ..
            } => {
                let names: Vec<&str> = remaining_methods.iter().map(<&str>::from).collect();
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" (it accepts: {})", names.join(", "))
                }
            }
            russh::client::AuthResult::Success => String::new(),
        };
        ConnectError::AuthFailed {
            target: target.to_string(),
            method: method.to_owned(),
            remaining,
        }
    };
    match &spec.auth {
        Auth::Password(password) => {
            let result = handle
                .authenticate_password(&target.user, password.expose())
                .await
                .map_err(protocol)?;
            if !result.success() {
                return Err(failed("password", &result));
            }
        }
        Auth::KeyFile { path, passphrase } => {
            let key = russh::keys::load_secret_key(path, passphrase.as_ref().map(Secret::expose))
                .map_err(|error| match error {
                russh::keys::Error::KeyIsEncrypted => ConnectError::PassphraseNeeded {
                    path: path.display().to_string(),
                },
                other => ConnectError::BadKey {
                    path: path.display().to_string(),
                    reason: other.to_string(),
                },
            })?;
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(protocol)?
                .flatten();
            let result = handle
                .authenticate_publickey(
                    &target.user,
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
                .await
                .map_err(protocol)?;
            if !result.success() {
                return Err(failed(&format!("public key ({})", path.display()), &result));
            }
        }
        Auth::Agent { socket } => {
            let agent = match socket {
                Some(socket) => russh::keys::agent::client::AgentClient::connect_uds(socket).await,
                None => russh::keys::agent::client::AgentClient::connect_env().await,
            };
            let mut agent = agent.map_err(|error| ConnectError::NoAgent(error.to_string()))?;
            let identities = agent
                .request_identities()
                .await
                .map_err(|error| ConnectError::NoAgent(error.to_string()))?;
            if identities.is_empty() {
                return Err(ConnectError::NoAgent("the agent holds no keys".to_owned()));
            }
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(protocol)?
                .flatten();
            let mut last = None;
            for identity in identities {
                let key: PublicKey = identity.public_key().into_owned();
                match handle
                    .authenticate_publickey_with(&target.user, key, hash, &mut agent)
                    .await
                {
                    Ok(result) if result.success() => return Ok(()),
                    Ok(result) => last = Some(result),
                    Err(error) => return Err(ConnectError::NoAgent(error.to_string())),
                }
            }
            return Err(match last {
                Some(result) => failed("ssh-agent", &result),
                None => ConnectError::NoAgent("the agent holds no keys".to_owned()),
            });
        }
    }
    Ok(())
}
