//! `candor-relay`: the relay server, with its embedded SQLite store or on a
//! shared PostgreSQL database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use candor_relay::tls::Certificates;
use candor_relay::{RelayConfig, RelayState, serve, serve_metrics, serve_tls};
use clap::Parser;

/// The Candor relay: accounts, conversations and durable message delivery.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Run an operator's command against the relay running on --data,
    /// instead of serving.
    #[command(subcommand)]
    admin: Option<Admin>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878", env = "CANDOR_RELAY_LISTEN")]
    listen: SocketAddr,
    /// Directory of the relay's database (created on first start).
    #[arg(
        long,
        global = true,
        default_value = "candor-relay-data",
        env = "CANDOR_RELAY_DATA"
    )]
    data: PathBuf,
    /// Keep everything in this PostgreSQL database (postgres://user:password@host:port/db)
    /// instead of the embedded store in --data, so that several relay nodes
    /// can share it. `candor-relay migrate` brings it to the relay's schema
    /// first.
    #[arg(
        long,
        global = true,
        env = "CANDOR_RELAY_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// The authority (a PEM file) that signed the database server's
    /// certificate, when the system's do not. A database off this machine is
    /// reached only over TLS, its certificate checked against these or the
    /// system's; one on this machine as its URL says.
    #[arg(long, global = true, env = "CANDOR_RELAY_DATABASE_CA")]
    database_ca: Option<PathBuf>,
    /// Ring the other nodes over this NATS server (nats://host:port) rather
    /// than through the database's LISTEN/NOTIFY. Every node of a relay
    /// must name the same one, or none. Needs --database-url.
    #[arg(long, env = "CANDOR_RELAY_NATS_URL", hide_env_values = true)]
    nats_url: Option<String>,
    /// The authority (a PEM file) that signed the NATS server's certificate,
    /// when the system's do not. A NATS server off this machine is reached
    /// only over TLS.
    #[arg(long, env = "CANDOR_RELAY_NATS_CA")]
    nats_ca: Option<PathBuf>,
    /// A browser origin allowed to connect (repeatable). Native apps send none.
    #[arg(long = "allow-origin")]
    allowed_origins: Vec<String>,
    /// New accounts allowed per client address per hour (0: no limit).
    #[arg(
        long,
        default_value_t = candor_relay::DEFAULT_SIGN_UPS_PER_HOUR,
        env = "CANDOR_RELAY_SIGN_UPS_PER_HOUR"
    )]
    sign_ups_per_hour: usize,
    /// Seconds added to the system clock for the times the relay records
    /// (negative: behind). For fault-injection tests of a clock that jumps;
    /// no delivery decision rests on it.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, hide = true)]
    clock_offset_seconds: i64,
    /// Serve `GET /metrics`, with no token, on this address too (keep it
    /// private: a loopback or internal address).
    #[arg(long, env = "CANDOR_RELAY_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Serve `GET /metrics` on the main address to requests bearing this
    /// token (`Authorization: Bearer …`). Without it or --metrics-listen,
    /// metrics are not served.
    #[arg(long, env = "CANDOR_RELAY_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Open WebSockets allowed per account.
    #[arg(long, default_value_t = 16, env = "CANDOR_RELAY_SOCKETS_PER_ACCOUNT")]
    sockets_per_account: usize,
    /// Open WebSockets allowed per client address (0: no limit).
    #[arg(long, default_value_t = 64, env = "CANDOR_RELAY_SOCKETS_PER_ADDRESS")]
    sockets_per_address: usize,
    /// A reverse proxy in front of the relay (repeatable, or comma-separated
    /// in the variable): requests from it are counted under the client it
    /// names in X-Forwarded-For. From anyone else the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "CANDOR_RELAY_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Groups made and members added, removed or made admin, per account per
    /// hour; 0: no limit.
    #[arg(
        long,
        default_value_t = 60,
        env = "CANDOR_RELAY_GROUP_CHANGES_PER_HOUR"
    )]
    group_changes_per_hour: usize,
    /// Photos one account may upload per hour; 0: no limit.
    #[arg(long, default_value_t = 300, env = "CANDOR_RELAY_UPLOADS_PER_HOUR")]
    uploads_per_hour: usize,
    /// Messages one account may send per day (UTC); 0: no limit.
    #[arg(
        long,
        default_value_t = candor_relay::DEFAULT_QUOTAS.messages_per_day,
        env = "CANDOR_RELAY_MESSAGES_PER_DAY"
    )]
    messages_per_day: u64,
    /// MiB of messages (text, cards and photos) one account may have stored in all;
    /// 0: no limit.
    #[arg(
        long,
        default_value_t = candor_relay::DEFAULT_QUOTAS.stored_bytes / (1024 * 1024),
        env = "CANDOR_RELAY_STORAGE_PER_ACCOUNT_MIB"
    )]
    storage_per_account_mib: u64,
    /// Frames one connection may send per second (ten seconds' worth at
    /// once); past it the relay reads them more slowly. 0: no limit.
    #[arg(long, default_value_t = 200, env = "CANDOR_RELAY_FRAMES_PER_SECOND")]
    frames_per_second: u32,
    /// Where the operator's interface (`candor-relay admin`) listens: keep it
    /// private. Port 0 picks a free one; admin.json in --data names it.
    #[arg(long, default_value = "127.0.0.1:0", env = "CANDOR_RELAY_ADMIN_LISTEN")]
    admin_listen: SocketAddr,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key. Read
    /// again on SIGHUP.
    #[arg(long, env = "CANDOR_RELAY_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "CANDOR_RELAY_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(Admin::Migrate) = args.admin {
        let url = args
            .database_url
            .context("`migrate` needs --database-url (the embedded store migrates itself)")?;
        let ca = args.database_ca;
        let applied = tokio::task::spawn_blocking(move || {
            let link = candor_relay::storage::DatabaseLink::new(&url, ca.as_deref())?;
            candor_relay::storage::migrate_postgres(&link)
        })
        .await?
        .context("migrating the database")?;
        match applied.as_slice() {
            [] => println!("the database is at the relay's schema already"),
            versions => println!("applied migrations {versions:?}"),
        }
        return Ok(());
    }
    if let Some(Admin::Admin { command }) = args.admin {
        match candor_relay::admin::cli::run(&args.data, command).await {
            Ok(out) => println!("{out}"),
            Err(e) => {
                eprintln!("candor-relay admin: {e:#}");
                std::process::exit(1);
            }
        }
        return Ok(());
    }
    // Every connection is a file descriptor: take all the system allows.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) if files < 4096 => tracing::warn!(
            files,
            "this process may open only {files} files, so the relay serves only a few hundred connections; raise the hard limit (LimitNOFILE= in the systemd unit, ulimit -Hn)"
        ),
        Ok(files) => tracing::debug!(files, "open files allowed"),
        Err(e) => tracing::warn!(error = %e, "the open-files limit could not be raised"),
    }
    let mut config = RelayConfig::new(&args.data);
    config.database_url = args.database_url;
    config.database_ca = args.database_ca;
    config.nats_url = args.nats_url;
    config.nats_ca = args.nats_ca;
    config.allowed_origins = args.allowed_origins;
    config.sign_ups_per_hour = args.sign_ups_per_hour;
    config.clock_offset = chrono::Duration::seconds(args.clock_offset_seconds);
    config.metrics_token = args.metrics_token.filter(|t| !t.is_empty());
    config.trusted_proxies = args.trusted_proxies;
    config.sockets_per_account = args.sockets_per_account.max(1);
    config.sockets_per_address = args.sockets_per_address;
    config.frames_per_second = args.frames_per_second;
    config.group_changes_per_hour = args.group_changes_per_hour;
    config.uploads_per_hour = args.uploads_per_hour;
    config.quotas = candor_relay::storage::Quotas {
        messages_per_day: args.messages_per_day,
        stored_bytes: args.storage_per_account_mib.saturating_mul(1024 * 1024),
    };
    let shared = config.database_url.is_some();
    // On PostgreSQL the data directory holds only admin.json, and the store
    // does not make it: a new server's relay does, for its owner only.
    candor_private::create_dir(&args.data)
        .with_context(|| format!("making the data directory {}", args.data.display()))?;
    let state = tokio::task::spawn_blocking(move || RelayState::open(config))
        .await?
        .with_context(|| match shared {
            true => "opening the relay's PostgreSQL database".to_string(),
            false => format!("opening the relay's data in {}", args.data.display()),
        })?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    // The operator's interface is named in admin.json before the relay says
    // it listens, so `candor-relay admin` works from then on.
    let admin = tokio::net::TcpListener::bind(args.admin_listen)
        .await
        .with_context(|| format!("listening for the operator on {}", args.admin_listen))?;
    tracing::info!(address = %admin.local_addr()?, "operator's interface listening (see admin.json)");
    let (admin_stop, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let admin_task = tokio::spawn(
        candor_relay::admin::serve(
            admin,
            state.clone(),
            candor_relay::admin::new_token(),
            async move {
                let _ = admin_stopped.await;
            },
        )
        .context("naming the operator's interface in admin.json")?,
    );
    tracing::info!(address = %listener.local_addr()?, data = %args.data.display(), "relay listening");
    if let Some(at) = args.metrics_listen {
        let metrics = tokio::net::TcpListener::bind(at)
            .await
            .with_context(|| format!("listening for metrics on {at}"))?;
        tracing::info!(address = %metrics.local_addr()?, "metrics listening");
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = serve_metrics(metrics, state, std::future::pending()).await {
                tracing::error!(error = %e, "the metrics address stopped");
            }
        });
    }
    match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => {
            let certificates =
                Arc::new(Certificates::load(&cert, &key).context("loading the TLS certificate")?);
            reload_on_hangup(certificates.clone());
            tracing::info!(cert = %cert.display(), "serving TLS");
            serve_tls(listener, certificates, state, shutdown_signal()).await?;
        }
        _ => {
            if !listener.local_addr()?.ip().is_loopback() {
                tracing::warn!(
                    "serving plain HTTP on a non-loopback address: passwords and messages cross the network in clear; use --tls-cert and --tls-key, or a TLS proxy in front"
                );
            }
            serve(listener, state, shutdown_signal()).await?;
        }
    }
    // The operator's interface goes last, taking its admin.json with it.
    let _ = admin_stop.send(());
    let _ = admin_task.await;
    tracing::info!("relay stopped");
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
enum Admin {
    /// The operator's commands: accounts and their use, suspensions,
    /// invite-only sign-up and invite codes.
    Admin {
        #[command(subcommand)]
        command: candor_relay::admin::cli::Command,
    },
    /// Brings the PostgreSQL database of --database-url to this relay's
    /// schema (each node checks it at start and refuses an older one).
    Migrate,
}

/// Reads the certificate again on each SIGHUP (a renewed one takes effect for
/// new connections); a failed read keeps the one in use.
fn reload_on_hangup(certificates: Arc<Certificates>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            match certificates.reload() {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate not reloaded; the old one stays")
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = certificates;
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
