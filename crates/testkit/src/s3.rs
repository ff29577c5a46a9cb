//! An S3-compatible object store on loopback: `s3rver` from the npm registry, an HTTP server
//! that speaks the S3 REST API (objects kept as files in a directory of its own), run by
//! Node.js. `npm ci` in `crates/testkit/node` installs it (CI does).

use std::io::{Error, ErrorKind, Result};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::net::TcpStream;

/// The server, stopped when dropped.
pub struct S3Server {
    /// The bucket's address for `--attachments`: `s3+http://KEY:SECRET@127.0.0.1:<port>/<bucket>`.
    pub address: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node/node_modules/s3rver/bin/s3rver.js")
}

impl S3Server {
    /// True where Node.js and the installed server are at hand.
    pub fn available() -> bool {
        crate::oidc::OidcProvider::available() && script().exists()
    }

    /// Starts one with an empty `bucket`.
    pub async fn start(bucket: &str) -> Result<S3Server> {
        if !S3Server::available() {
            return Err(Error::new(
                ErrorKind::NotFound,
                "node or crates/testkit/node/node_modules (npm ci) is missing",
            ));
        }
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new("node")
            .arg(script())
            .args(["--directory", &dir.path().display().to_string()])
            .args(["--port", &port.to_string(), "--address", "127.0.0.1"])
            .args(["--configure-bucket", bucket, "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(S3Server {
                    // s3rver's own access key and secret.
                    address: format!("s3+http://S3RVER:S3RVER@127.0.0.1:{port}/{bucket}"),
                    child,
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(Error::other("the S3 server did not start"))
    }
}
