//! Throwaway servers the tests and benchmarks run against: a PostgreSQL
//! instance from the distribution's packages, on a private port, with its
//! data under target/, stopped and deleted when dropped; a nats-server; and
//! where the packages put nats-server and haproxy, which tests start for
//! themselves. Nothing
//! is assumed to be running, and nothing running is touched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cmd::{self, Cmd};

/// A PostgreSQL server of our own.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    /// Who runs it: PostgreSQL refuses to run as root, so as root it runs as
    /// the `postgres` user the package made.
    run_as: Option<&'static str>,
    /// postgres://… of its `postgres` database, as the `candor` superuser.
    pub url: String,
    /// The authority (PEM) that signed the certificate the server offers TLS
    /// with, made for this server: `sslmode=require` with it trusted is a
    /// checked TLS link, as to a database on another machine.
    pub ca: PathBuf,
}

impl Postgres {
    /// Initializes and starts a server on a free loopback port. `durable`:
    /// fsync as in service (benchmarks); otherwise off (tests, whose data
    /// is thrown away).
    pub fn start(name: &str, durable: bool) -> Result<Self> {
        let bin = bin_dir()?;
        let run_as = is_root().then_some("postgres");
        let data = data_dir(name, run_as)?;
        let port = free_port()?;
        let mut server = Self {
            bin,
            data,
            run_as,
            url: format!("postgres://candor@127.0.0.1:{port}/postgres"),
            ca: PathBuf::new(),
        };
        // One left running by a run that was interrupted (Ctrl-C reaches
        // no Drop): stopped before its files go.
        if server.data.join("postmaster.pid").exists() {
            let _ = server
                .pg("pg_ctl")
                .args(&["stop", "-m", "immediate", "-D"])
                .args(&[&server.data])
                .output();
        }
        wipe(&server.data, run_as)?;
        server
            .pg("initdb")
            .args(&[
                "--username=candor",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .args(&[&server.data])
            .output()
            .context("initdb")?;
        // In its configuration file, so that a plain `pg_ctl start` (a test
        // restarting it, see `control_script`) starts it the same way.
        let mut settings = format!(
            "\n# cargo xtask: a throwaway server on a private port, TCP only\n\
             port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
             max_connections = 400\n"
        );
        if !durable {
            settings.push_str("fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n");
        }
        server.ca = server.data.with_extension("ca.pem");
        server.make_certificate()?;
        settings.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        std::fs::OpenOptions::new()
            .append(true)
            .open(server.data.join("postgresql.conf"))
            .and_then(|mut f| std::io::Write::write_all(&mut f, settings.as_bytes()))
            .context("configuring the server")?;
        if let Err(e) = server.control(&["start"]).run() {
            let log = std::fs::read_to_string(server.data.join("server.log")).unwrap_or_default();
            let _ = std::fs::remove_file(&server.ca);
            server.data = PathBuf::new();
            bail!("PostgreSQL did not start: {e:#}\n{log}");
        }
        println!(
            "xtask: PostgreSQL on 127.0.0.1:{port} ({})",
            server.data.display()
        );
        Ok(server)
    }

    /// An authority of its own (`ca`) and the server's certificate for
    /// 127.0.0.1 and localhost, signed by it, in the data directory, owned by
    /// the server's user (PostgreSQL refuses a key others may read).
    fn make_certificate(&self) -> Result<()> {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // Names of their own: OpenSSL (libpq, psql) takes a certificate
        // whose subject is its issuer's name for a self-signed one.
        params
            .distinguished_name
            .push(DnType::CommonName, "cargo xtask test authority");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        let key = KeyPair::generate()?;
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&key, &issuer)?;
        std::fs::write(&self.ca, issuer.pem())?;
        let (cert_file, key_file) = (self.data.join("server.crt"), self.data.join("server.key"));
        std::fs::write(&cert_file, cert.pem())?;
        std::fs::write(&key_file, key.serialize_pem())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))?;
        }
        if let Some(user) = self.run_as {
            Cmd::new("chown")
                .args(&[format!("{user}:{user}")])
                .args(&[&cert_file, &key_file])
                .output()
                .context("giving the server its certificate")?;
        }
        Ok(())
    }

    /// `pg_ctl` on this server (`start`, `stop`), waiting until it is done.
    fn control(&self, args: &[&str]) -> Cmd {
        self.pg("pg_ctl")
            .args(&["-w", "-t", "60", "-m", "fast", "-D"])
            .args(&[&self.data])
            .args(&["-l"])
            .args(&[self.data.join("server.log")])
            .args(args)
    }

    /// A script that stops or starts this server (`SCRIPT stop`, `SCRIPT
    /// start`): for the tests of what the relay does while its database
    /// is down.
    pub fn control_script(&self) -> Result<PathBuf> {
        let script = self.data.with_extension("ctl");
        let runner = match self.run_as {
            Some(user) => format!("runuser -u {user} -- "),
            None => String::new(),
        };
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\ncd / && exec {runner}'{}' -w -t 60 -m fast -D '{}' -l '{}' \"$1\"\n",
                self.bin.join("pg_ctl").display(),
                self.data.display(),
                self.data.join("server.log").display()
            ),
        )?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(script)
    }

    /// One of the server's programs, as the user it runs as.
    fn pg(&self, program: &str) -> Cmd {
        let program = self.bin.join(program);
        // From `/`: initdb reads its working directory, which the server's
        // user may not be allowed to.
        match self.run_as {
            Some(user) => Cmd::new("runuser")
                .args(&["-u", user, "--"])
                .args(&[program])
                .dir("/"),
            None => Cmd::new(&program.to_string_lossy()).dir("/"),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.data.as_os_str().is_empty() {
            return;
        }
        // A test may have left it stopped: then there is nothing to stop.
        let _ = self.control(&["stop"]).succeeds();
        let _ = std::fs::remove_dir_all(&self.data);
        let _ = std::fs::remove_file(self.data.with_extension("ctl"));
        let _ = std::fs::remove_file(&self.ca);
    }
}

/// The newest installed server's programs (Debian keeps them out of PATH).
fn bin_dir() -> Result<PathBuf> {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (/usr/lib/postgresql)")?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path())))
        .max_by_key(|(version, _)| *version)
        .map(|(_, path)| path.join("bin"))
        .context("no PostgreSQL version in /usr/lib/postgresql")?;
    Ok(newest)
}

fn is_root() -> bool {
    Cmd::new("id")
        .args(&["-u"])
        .output()
        .is_ok_and(|s| s.trim() == "0")
}

/// A new, empty directory for the server's data under target/services/,
/// owned by `run_as`. When that user can't reach into the checkout (a
/// private home or temporary directory), a private directory under the
/// system's temporary directory instead.
fn data_dir(name: &str, run_as: Option<&str>) -> Result<PathBuf> {
    let services = cmd::root().join("target/services");
    std::fs::create_dir_all(&services)?;
    let under_target = services.join(name);
    let dir = match run_as {
        Some(user) if !reachable_by(user, &services) => {
            std::env::temp_dir().join(format!("candor-{name}-{}", std::process::id()))
        }
        _ => under_target,
    };
    Ok(dir)
}

/// Empties `dir` for a new server, owned by `run_as`.
fn wipe(dir: &Path, run_as: Option<&str>) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    if let Some(user) = run_as {
        Cmd::new("chown")
            .args(&[&format!("{user}:{user}")])
            .args(&[dir])
            .output()?;
    }
    Ok(())
}

/// Whether `user` may enter `dir` (every directory above it included).
fn reachable_by(user: &str, dir: &Path) -> bool {
    Cmd::new("runuser")
        .args(&["-u", user, "--", "test", "-x"])
        .args(&[dir])
        .succeeds()
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The nats-server binary of the distribution's package.
pub fn nats_server() -> Result<PathBuf> {
    installed("nats-server")
}

/// The haproxy binary of the distribution's package.
pub fn haproxy() -> Result<PathBuf> {
    installed("haproxy")
}

/// A program a package installed: on the PATH, or in /usr/sbin (which is
/// not on every user's PATH).
fn installed(program: &str) -> Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(program))
        .find(|bin| bin.is_file())
        .with_context(|| format!("{program} is not installed (the {program} package)"))
}

/// A nats-server of our own on a free loopback port, killed when dropped.
pub struct Nats {
    _server: Killed,
    /// nats://… to connect to.
    pub url: String,
}

impl Nats {
    pub fn start() -> Result<Self> {
        let port = free_port()?;
        let server = std::process::Command::new(nats_server()?)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("starting nats-server")?;
        let mut server = Killed(server);
        server.listening(&format!("127.0.0.1:{port}"), "nats-server")?;
        Ok(Self {
            _server: server,
            url: format!("nats://127.0.0.1:{port}"),
        })
    }
}

/// HAProxy on `at` in front of the relay nodes at `nodes`, from the
/// operator's template (packaging/relay/haproxy.cfg, without TLS); stopped
/// when dropped.
pub struct Balancer {
    _server: Killed,
}

impl Balancer {
    pub fn start(at: &str, nodes: &[String], dir: &Path) -> Result<Self> {
        let servers: String = nodes
            .iter()
            .enumerate()
            .map(|(i, addr)| format!("    server node{} {addr} check\n", i + 1))
            .collect();
        let config = include_str!("../../packaging/relay/haproxy.cfg")
            .replace("{{bind}}", at)
            .replace("{{check_every}}", "1s")
            .replace("{{servers}}", servers.trim_end());
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config)?;
        let server = std::process::Command::new(haproxy()?)
            .args(["-db", "-f"])
            .arg(&path)
            .spawn()
            .context("starting haproxy")?;
        let mut server = Killed(server);
        server.listening(at, "haproxy")?;
        Ok(Self { _server: server })
    }
}

/// A server process of ours, killed when dropped.
struct Killed(std::process::Child);

impl Killed {
    /// Waits until something listens at `addr`, for up to 10 s; fails at
    /// once if the process ended (its port taken, say).
    fn listening(&mut self, addr: &str, what: &str) -> Result<()> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            if let Some(status) = self.0.try_wait()? {
                bail!("{what} exited at start ({status}): is {addr} taken?");
            }
            if std::time::Instant::now() > deadline {
                bail!("{what} did not listen on {addr} within 10 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(())
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
