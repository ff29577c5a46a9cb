//! A real OpenID Provider on loopback: panva's `oidc-provider` (certified by the OpenID
//! Foundation) from the npm registry, run by Node.js with `node/provider.mjs`. `npm ci` in
//! `crates/testkit/node` installs it (CI does).

use std::io::{Error, ErrorKind, Result};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::net::TcpStream;

/// The client Loopdesk is at the provider.
pub const CLIENT_ID: &str = "loopdesk";
/// Its secret.
pub const CLIENT_SECRET: &str = "oidc-client-Secret-1";

/// The provider, stopped when dropped.
pub struct OidcProvider {
    /// Its issuer, `http://127.0.0.1:<port>`.
    pub issuer: String,
    child: Child,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

impl OidcProvider {
    /// True where Node.js and the installed provider are at hand.
    pub fn available() -> bool {
        let node = Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        node && dir().join("node_modules/oidc-provider").exists()
    }

    /// Starts one whose client sends people back to `redirect_uri`, and whose people are
    /// `accounts` (JSON: `{"login": {"name", "email", "groups": [...]}}`).
    pub async fn start(redirect_uri: &str, accounts: &str) -> Result<OidcProvider> {
        if !OidcProvider::available() {
            return Err(Error::new(
                ErrorKind::NotFound,
                "node or crates/testkit/node/node_modules (npm ci) is missing",
            ));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new("node")
            .arg(dir().join("provider.mjs"))
            .env("PORT", port.to_string())
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("REDIRECT_URI", redirect_uri)
            .env("ACCOUNTS", accounts)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(OidcProvider {
                    issuer: format!("http://127.0.0.1:{port}"),
                    child,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(Error::other("the OpenID provider did not start"))
    }
}
