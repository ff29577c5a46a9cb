//! Debian's OpenLDAP server (`slapd`) on loopback with a directory of the test's own: the
//! suffix [`SUFFIX`], its manager [`MANAGER`], and whatever entries the test seeds.

use std::io::{Error, ErrorKind, Result, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::net::TcpStream;

/// The directory's suffix.
pub const SUFFIX: &str = "dc=loopdesk,dc=test";
/// The directory manager's name (it may read and write everything).
pub const MANAGER: &str = "cn=manager,dc=loopdesk,dc=test";
/// Its password.
pub const MANAGER_PASSWORD: &str = "manager-Pa55";

/// A slapd on 127.0.0.1, stopped when dropped.
pub struct Slapd {
    /// `ldap://127.0.0.1:<port>`.
    pub url: String,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Slapd {
    /// Where Debian keeps the binary; `None` where slapd (or ldap-utils) is not installed.
    pub fn binary() -> Option<&'static str> {
        let tools = ["/usr/bin/ldapmodify", "/usr/sbin/slapadd"];
        Some("/usr/sbin/slapd")
            .filter(|p| Path::new(p).exists())
            .filter(|_| tools.iter().all(|t| Path::new(t).exists()))
    }

    /// Starts one whose directory holds the suffix's entry and `seed` (LDIF entries under
    /// it). Passwords are checked by binding; everyone may read everything else.
    pub async fn start(seed: &str) -> Result<Slapd> {
        let binary = Slapd::binary()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "slapd is not installed"))?;
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("db"))?;
        let r = root.display();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\ninclude /etc/ldap/schema/nis.schema\n\
             modulepath /usr/lib/ldap\nmoduleload back_mdb\npidfile {r}/slapd.pid\n\
             database mdb\nmaxsize 10485760\nsuffix \"{SUFFIX}\"\nrootdn \"{MANAGER}\"\n\
             rootpw {MANAGER_PASSWORD}\ndirectory {r}/db\n\
             access to attrs=userPassword by self =xw by anonymous auth by * none\n\
             access to * by * read\n"
        );
        std::fs::write(root.join("slapd.conf"), conf)?;
        let ldif = format!(
            "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: loopdesk\n\
             o: Loopdesk Test\n\n{seed}"
        );
        std::fs::write(root.join("seed.ldif"), ldif)?;
        let added = Command::new("/usr/sbin/slapadd")
            .arg("-f")
            .arg(root.join("slapd.conf"))
            .arg("-l")
            .arg(root.join("seed.ldif"))
            .output()?;
        if !added.status.success() {
            return Err(Error::other(format!(
                "slapadd: {}",
                String::from_utf8_lossy(&added.stderr)
            )));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let url = format!("ldap://127.0.0.1:{port}");
        let mut child = Command::new(binary)
            .arg("-f")
            .arg(root.join("slapd.conf"))
            .arg("-h")
            .arg(format!("{url}/"))
            .arg("-d")
            .arg("0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(Slapd {
                    url,
                    child: Some(child),
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(Error::other("slapd did not start"))
    }

    /// Changes the directory as its manager (`ldapmodify` with LDIF change records).
    pub fn modify(&self, ldif: &str) -> Result<()> {
        let mut child = Command::new("/usr/bin/ldapmodify")
            .args(["-x", "-H", &self.url, "-D", MANAGER, "-w", MANAGER_PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .ok_or_else(|| Error::other("ldapmodify's input"))?
            .write_all(ldif.as_bytes())?;
        let out = child.wait_with_output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::other(format!(
                "ldapmodify: {}",
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// Stops the server (the directory is then out of reach).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
