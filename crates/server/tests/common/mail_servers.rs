//! Real mail servers for the e-mail tests, started per test on free loopback ports: a
//! Dovecot IMAP server (Debian's `dovecot-imapd`, installed by `.ci/run`) with a
//! passwd-file user and a maildir the test fills, and an SMTP receiver (Python's
//! `aiosmtpd`, also installed by `.ci/run`) that writes what it receives to a maildir.
//! Either can run over TLS with a certificate from a CA the test makes ([`TestCa`]).

use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `.ci/run` sets it to `required`: a missing mail server then fails the test instead of
/// skipping it, as PostgreSQL and Chromium are optional elsewhere but never in CI.
const REQUIRED_VAR: &str = "KEFU_TEST_MAIL_SERVERS";

/// Whether `program args…` runs. When it does not, the test that needs it is skipped
/// with a note saying so (or fails, when CI requires the servers).
fn installed(what: &str, hint: &str, program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var(REQUIRED_VAR).is_ok_and(|v| v == "required") {
            panic!("{what} is required ({REQUIRED_VAR}=required) but missing: {hint}");
        }
        println!("NOTE: a test that needs {what} did not run: {hint}");
    }
    ok
}

/// A free loopback port (bound and released; the server binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until something accepts connections on `port` (the server's start-up), or
/// panics with the server's log.
fn wait_for(port: u16, child: &mut Child, log: &Path) {
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the server exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "the server did not listen on {port}: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn id_of(flag: &str, name: &str) -> u32 {
    let out = Command::new("id")
        .args([flag, name])
        .output()
        .expect("run id");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no system user {name}: install dovecot-imapd"))
}

/// A CA of the test's own and a certificate it signed for `localhost`, made with the
/// `openssl` command line: what a mail server inside a company looks like.
pub struct TestCa {
    _dir: tempfile::TempDir,
    /// The CA's certificate (what `mail_ca_file` names).
    pub ca_pem: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
    pub fn generate_if_installed() -> Option<TestCa> {
        installed(
            "openssl (test certificates)",
            "apt-get install openssl",
            "openssl",
            &["version"],
        )
        .then(TestCa::generate)
    }

    fn generate() -> TestCa {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        std::fs::write(
            d.join("ca.cnf"),
            "[req]\ndistinguished_name = dn\nx509_extensions = v3_ca\nprompt = no\n\
             [dn]\nCN = kefu test CA\n\
             [v3_ca]\nbasicConstraints = critical,CA:TRUE\n\
             keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n",
        )
        .unwrap();
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName = DNS:localhost\nbasicConstraints = CA:FALSE\n\
             keyUsage = digitalSignature,keyEncipherment\nextendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .expect("run openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-config", "ca.cnf",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        TestCa {
            ca_pem: d.join("ca.pem"),
            cert: d.join("server.pem"),
            key: d.join("server.key"),
            _dir: dir,
        }
    }
}

pub struct Dovecot {
    _dir: tempfile::TempDir,
    child: Child,
    /// The OAuth2 token endpoint Dovecot asks about tokens (see `start_oauth2`).
    token_endpoint: Option<Child>,
    pub port: u16,
    maildir: PathBuf,
    uid: u32,
    gid: u32,
    delivered: usize,
}

pub const IMAP_USER: &str = "support";
pub const IMAP_PASSWORD: &str = "imap-secret-1";
/// The one access token the OAuth2 token endpoint accepts (for [`IMAP_USER`]).
pub const IMAP_TOKEN: &str = "ya29.kefu-test-token";

/// The token endpoint of an OAuth2 provider, as Dovecot's `oauth2` passdb asks it
/// (`tokeninfo_url`): [`IMAP_TOKEN`] is the user's, anything else is refused.
const TOKEN_ENDPOINT: &str = r#"
import http.server, json, sys
class Tokens(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path.split("access_token=")[-1] == sys.argv[2]
        body = json.dumps({"username": sys.argv[3], "active": "true"} if ok
                          else {"error": "invalid_token"}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Tokens).serve_forever()
"#;

impl Dovecot {
    /// Starts Dovecot, or `None` (with a note) when it is not installed.
    pub fn start_if_installed() -> Option<Dovecot> {
        installed(
            "Dovecot (IMAP)",
            "apt-get install dovecot-imapd",
            "dovecot",
            &["--version"],
        )
        .then(Dovecot::start)
    }

    /// Dovecot taking only IMAP over TLS (port 993 style) with `ca`'s certificate, or
    /// `None` (with a note) when it is not installed.
    pub fn start_tls_if_installed(ca: &TestCa) -> Option<Dovecot> {
        installed(
            "Dovecot (IMAP)",
            "apt-get install dovecot-imapd",
            "dovecot",
            &["--version"],
        )
        .then(|| Dovecot::start_with(Some(ca), false))
    }

    /// Dovecot that also takes OAuth2 access tokens (XOAUTH2), checked with a local
    /// token endpoint, or `None` (with a note) when it is not installed.
    pub fn start_oauth2_if_installed() -> Option<Dovecot> {
        installed(
            "Dovecot (IMAP)",
            "apt-get install dovecot-imapd",
            "dovecot",
            &["--version"],
        )
        .then(|| Dovecot::start_with(None, true))
    }

    pub fn start() -> Dovecot {
        Dovecot::start_with(None, false)
    }

    fn start_with(tls: Option<&TestCa>, oauth2: bool) -> Dovecot {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (uid, gid) = (id_of("-u", "dovecot"), id_of("-g", "dovecot"));
        let home = root.join("home");
        let maildir = home.join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        for p in [
            &home,
            &maildir,
            &maildir.join("cur"),
            &maildir.join("new"),
            &maildir.join("tmp"),
        ] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
        }
        std::fs::write(
            root.join("passwd"),
            format!(
                "{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{uid}:{gid}::{}::\n",
                home.display()
            ),
        )
        .unwrap();
        let port = free_port();
        let log = root.join("dovecot.log");
        let r = root.display();
        let mut token_endpoint = None;
        let oauth2_passdb = if oauth2 {
            let token_port = free_port();
            let log = root.join("tokens.log");
            let mut child = Command::new("python3")
                .args(["-c", TOKEN_ENDPOINT])
                .arg(token_port.to_string())
                .arg(IMAP_TOKEN)
                .arg(IMAP_USER)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("start the token endpoint");
            wait_for(token_port, &mut child, &log);
            token_endpoint = Some(child);
            std::fs::write(
                root.join("oauth2.conf.ext"),
                format!(
                    "tokeninfo_url = http://127.0.0.1:{token_port}/tokeninfo?access_token=\n\
                     username_attribute = username\nactive_attribute = active\n\
                     active_value = true\n"
                ),
            )
            .unwrap();
            format!(
                "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  \
                 args = {}/oauth2.conf.ext\n}}\n",
                root.display()
            )
        } else {
            String::new()
        };
        let oauth2_mechanisms = if oauth2 { " xoauth2 oauthbearer" } else { "" };
        let (ssl, plain_port, tls_port) = match tls {
            None => ("ssl = no".to_string(), port, 0),
            Some(ca) => (
                format!(
                    "ssl = required\nssl_cert = <{}\nssl_key = <{}",
                    ca.cert.display(),
                    ca.key.display()
                ),
                0,
                port,
            ),
        };
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {r}/run\nstate_dir = {r}/state\n\
             log_path = {r}/dovecot.log\n{ssl}\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login{oauth2_mechanisms}\nmail_location = maildir:~/Maildir\n\
             default_internal_user = dovecot\ndefault_internal_group = dovecot\n\
             default_login_user = dovenull\nfirst_valid_uid = 1\n\
             {oauth2_passdb}passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {r}/passwd\n}}\n\
             userdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    \
             port = {plain_port}\n  }}\n  inet_listener imaps {{\n    address = 127.0.0.1\n    \
             port = {tls_port}\n  }}\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), conf).unwrap();
        std::fs::create_dir_all(root.join("state")).unwrap();
        let mut child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot (apt-get install dovecot-imapd)");
        wait_for(port, &mut child, &log);
        Dovecot {
            _dir: dir,
            child,
            token_endpoint,
            port,
            maildir,
            uid,
            gid,
            delivered: 0,
        }
    }

    /// Puts a message in the inbox, as a mail server delivering it would.
    pub fn deliver(&mut self, raw: &[u8]) {
        self.delivered += 1;
        let name = format!(
            "{}.M{}P1.kefu-test",
            1_700_000_000 + self.delivered,
            self.delivered
        );
        let tmp = self.maildir.join("tmp").join(&name);
        let mut f = std::fs::File::create(&tmp).unwrap();
        f.write_all(raw).unwrap();
        drop(f);
        std::os::unix::fs::chown(&tmp, Some(self.uid), Some(self.gid)).unwrap();
        std::fs::rename(&tmp, self.maildir.join("new").join(&name)).unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // TERM, so the master takes its login and auth processes down with it.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        if let Some(mut tokens) = self.token_endpoint.take() {
            let _ = tokens.kill();
            let _ = tokens.wait();
        }
    }
}

/// An SMTP receiver (aiosmtpd) that writes every message it accepts into a maildir.
pub struct SmtpSink {
    dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
}

impl SmtpSink {
    /// Starts the SMTP receiver, or `None` (with a note) when aiosmtpd is not installed.
    pub fn start_if_installed() -> Option<SmtpSink> {
        installed(
            "aiosmtpd (SMTP)",
            "pip install aiosmtpd",
            "python3",
            &["-c", "import aiosmtpd"],
        )
        .then(SmtpSink::start)
    }

    /// The SMTP receiver requiring STARTTLS with `ca`'s certificate, or `None` (with a
    /// note) when aiosmtpd is not installed.
    pub fn start_tls_if_installed(ca: &TestCa) -> Option<SmtpSink> {
        installed(
            "aiosmtpd (SMTP)",
            "pip install aiosmtpd",
            "python3",
            &["-c", "import aiosmtpd"],
        )
        .then(|| SmtpSink::start_with(Some(ca)))
    }

    pub fn start() -> SmtpSink {
        SmtpSink::start_with(None)
    }

    fn start_with(tls: Option<&TestCa>) -> SmtpSink {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = dir.path().join("smtp.log");
        let mut command = Command::new("python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"));
        if let Some(ca) = tls {
            command
                .arg("--tlscert")
                .arg(&ca.cert)
                .arg("--tlskey")
                .arg(&ca.key);
        }
        let mut child = command
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start aiosmtpd (pip install aiosmtpd)");
        wait_for(port, &mut child, &log);
        SmtpSink { dir, child, port }
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.path().join("maildir").join(sub)) {
                for e in entries.flatten() {
                    let modified = e.metadata().and_then(|m| m.modified()).ok();
                    files.push((modified, e.path()));
                }
            }
        }
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read(p).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
