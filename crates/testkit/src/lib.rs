//! Real servers for Loopdesk's tests and benchmarks, started on loopback by whoever needs
//! them: Debian's Dovecot as an IMAP server with one mailbox of its own, and Debian's slapd
//! as an LDAP directory, and an OpenID provider and an S3-compatible store (Node.js).

pub mod oidc;
pub mod s3;
pub mod slapd;
pub use oidc::OidcProvider;
pub use s3::S3Server;
pub use slapd::Slapd;

use std::io::{Error, ErrorKind, Result};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The mailbox's user.
pub const USER: &str = "support@loopdesk.test";
/// Its password.
pub const PASSWORD: &str = "mailbox-Pa55";

/// A Dovecot IMAP server on 127.0.0.1 with the mailbox of [`USER`], stopped when dropped.
pub struct Dovecot {
    /// Its IMAP port.
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn failed(what: String) -> Error {
    Error::other(what)
}

/// What `id` prints with `flag`.
fn id(flag: &str) -> Result<String> {
    let out = Command::new("id").arg(flag).output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Dovecot {
    /// Where Debian (or a local build) keeps the binary; `None` where Dovecot is not
    /// installed.
    pub fn binary() -> Option<&'static str> {
        ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| Path::new(p).exists())
    }

    /// Starts one in a temporary directory; an error where Dovecot is not installed or does
    /// not come up.
    pub async fn start() -> Result<Dovecot> {
        let binary = Dovecot::binary()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "Dovecot is not installed"))?;
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for d in ["run", "state", "mail"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        // The mail is kept by an ordinary user: this one, or `nobody` when run as root
        // (Dovecot will not keep mail as root).
        let me = id("-u")?;
        let (uid, users) = if me == "0" {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root.join("mail"), std::fs::Permissions::from_mode(0o777))?;
            ("65534".to_owned(), String::new())
        } else {
            let name = id("-un")?;
            (
                me,
                format!("default_internal_user = {name}\ndefault_login_user = {name}\n"),
            )
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let r = root.display();
        let conf = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/log\n{users}\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nauth_failure_delay = 0\nlogin_trusted_networks = 127.0.0.0/8\nmail_location = maildir:{r}/mail/%u\nfirst_valid_uid = 0\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={uid} home={r}/mail/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n\
               inet_listener imaps {{\n    port = 0\n  }}\n}}\nservice anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), conf)?;
        std::fs::write(root.join("users"), format!("{USER}:{{PLAIN}}{PASSWORD}\n"))?;
        let mut child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(Dovecot {
                    port,
                    child,
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(failed(format!(
            "Dovecot did not start: {}",
            std::fs::read_to_string(root.join("log")).unwrap_or_default()
        )))
    }

    /// Puts a message into the mailbox (IMAP APPEND).
    pub async fn deliver(&self, raw: &[u8]) -> Result<()> {
        self.deliver_all(&[raw]).await
    }

    /// Puts messages into the mailbox, in order, over one connection (IMAP APPEND), as a
    /// mail server delivering them would leave them.
    pub async fn deliver_all(&self, raws: &[&[u8]]) -> Result<()> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let (r, mut w) = stream.into_split();
        let mut lines = BufReader::new(r).lines();
        let mut until = async |prefix: &str| loop {
            let Some(line) = lines.next_line().await? else {
                return Err(failed("the server hung up".into()));
            };
            if line.starts_with("a NO") || line.starts_with("a BAD") {
                return Err(failed(line));
            }
            if line.starts_with(prefix) {
                return Ok(());
            }
        };
        until("* OK").await?;
        w.write_all(format!("a LOGIN {USER} {PASSWORD}\r\n").as_bytes())
            .await?;
        until("a OK").await?;
        for raw in raws {
            let raw = crlf(raw);
            w.write_all(format!("a APPEND INBOX {{{}}}\r\n", raw.len()).as_bytes())
                .await?;
            until("+").await?;
            w.write_all(&raw).await?;
            w.write_all(b"\r\n").await?;
            until("a OK").await?;
        }
        w.write_all(b"a LOGOUT\r\n").await?;
        Ok(())
    }
}

impl Dovecot {
    /// Reads every message of the mailbox as a mail client would (`UID FETCH 1:*
    /// (BODY.PEEK[])`, nothing marked read); answers the bytes the server sent. A
    /// benchmark's anchor: how fast the server hands the mail out.
    pub async fn fetch_all(&self) -> Result<usize> {
        use tokio::io::AsyncReadExt;
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        stream
            .write_all(
                format!(
                    "a LOGIN {USER} {PASSWORD}\r\nb SELECT INBOX\r\nf UID FETCH 1:* (BODY.PEEK[])\r\n"
                )
                .as_bytes(),
            )
            .await?;
        let mut total = 0;
        let mut buf = vec![0u8; 64 * 1024];
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Err(failed("the server hung up".into()));
            }
            total += n;
            tail.extend_from_slice(&buf[..n]);
            let keep = tail.len().saturating_sub(256);
            tail.drain(..keep);
            let text = String::from_utf8_lossy(&tail);
            if text.contains("\r\nf OK") {
                break;
            }
            if text.contains("\r\nf NO") || text.contains("\r\nf BAD") {
                return Err(failed(text.into_owned()));
            }
        }
        stream.write_all(b"z LOGOUT\r\n").await?;
        Ok(total)
    }
}

/// A message's lines ended with CRLF, as IMAP wants them.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    for (i, b) in raw.iter().enumerate() {
        if *b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*b);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_end_with_crlf_once() {
        assert_eq!(super::crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n".to_vec());
        assert_eq!(super::crlf(b"\n"), b"\r\n".to_vec());
    }
}
