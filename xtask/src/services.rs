//! Throwaway servers the tests and benchmarks run against: a PostgreSQL
//! instance from the distribution's packages, on a private port, with its
//! data under target/, stopped and deleted when dropped. Nothing is assumed
//! to be running, and nothing running is touched.

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
        };
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
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=400"
        );
        if !durable {
            options.push_str(" -c fsync=off -c full_page_writes=off -c synchronous_commit=off");
        }
        let log = server.data.join("server.log");
        let started = server
            .pg("pg_ctl")
            .args(&["-w", "-t", "60", "-D"])
            .args(&[&server.data])
            .args(&["-l"])
            .args(&[&log])
            .args(&["-o", &options, "start"])
            .run();
        if let Err(e) = started {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            server.data = PathBuf::new();
            bail!("PostgreSQL did not start: {e:#}\n{log}");
        }
        println!(
            "xtask: PostgreSQL on 127.0.0.1:{port} ({})",
            server.data.display()
        );
        Ok(server)
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
        let stopped = self
            .pg("pg_ctl")
            .args(&["-w", "-m", "fast", "-D"])
            .args(&[&self.data])
            .args(&["stop"])
            .succeeds();
        if !stopped {
            eprintln!("xtask: PostgreSQL in {} did not stop", self.data.display());
        }
        let _ = std::fs::remove_dir_all(&self.data);
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
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    if let Some(user) = run_as {
        Cmd::new("chown")
            .args(&[&format!("{user}:{user}")])
            .args(&[&dir])
            .output()?;
    }
    Ok(dir)
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
