//! The HTTP client webhooks go out through: every address a host name resolves to is checked
//! as it is resolved (so a name that points at loopback, a private network or the cloud's
//! metadata service today cannot be used to reach it), and redirects are not followed (a
//! redirect could lead anywhere). Address literals are checked before the request, by the
//! caller, with the same rule.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::net::{self, IpRange};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Resolves with the system's resolver and keeps only the addresses webhooks may reach.
struct Guarded {
    allowed: Arc<Vec<IpRange>>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to internal addresses, which webhooks may not reach")]
struct Internal(String);

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| net::may_call(a.ip(), &allowed))
                .collect();
            if found.is_empty() {
                return Err(Box::new(Internal(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// The client for webhook deliveries.
pub(crate) fn webhook_client(
    timeout: Duration,
    allowed: Vec<IpRange>,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(Guarded {
            allowed: Arc::new(allowed),
        }))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A receiver on loopback that answers every request with 200.
    async fn receiver() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            }
        });
        port
    }

    /// A host name that resolves to loopback is refused where it is resolved, unless the
    /// operator allowed loopback.
    #[tokio::test]
    async fn names_that_resolve_to_internal_addresses_are_not_reached() {
        let port = receiver().await;
        let url = format!("http://localhost:{port}/hook");
        let timeout = Duration::from_secs(5);
        let guarded = webhook_client(timeout, Vec::new()).unwrap();
        let err = guarded.post(&url).send().await.unwrap_err();
        let mut chain = Vec::new();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(c) = cause {
            chain.push(c.to_string());
            cause = c.source();
        }
        assert!(
            chain
                .iter()
                .any(|m| m.contains("only to internal addresses")),
            "{chain:?}"
        );
        let allowed = vec!["127.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
        let open = webhook_client(timeout, allowed).unwrap();
        assert_eq!(open.post(&url).send().await.unwrap().status(), 200);
    }
}
