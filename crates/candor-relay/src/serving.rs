//! Serving the router over hyper, with two limits `axum::serve` has no
//! setting for:
//!
//! - a request's headers must arrive within [`HEADER_READ_WITHIN`]: a
//!   slowloris client, which opens a connection and sends a header a byte at
//!   a time, is dropped instead of holding the connection for ever;
//! - one address holds at most `RelayConfig::tcp_per_address` TCP
//!   connections at once, counted before a byte is read, so one host cannot
//!   use up the relay's file descriptors. A trusted proxy is not counted (its
//!   clients are, by the limits that read `X-Forwarded-For`).
//!
//! Shutdown is as with `axum::serve`: stop accepting, tell the WebSockets to
//! close, and let each HTTP connection finish what it is doing.

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

use crate::RelayState;
use crate::client_addr::limit_key;
use crate::limits::ConnectionSlots;

/// How long a client may take to send a request's headers.
pub const HEADER_READ_WITHIN: Duration = Duration::from_secs(10);

pub(crate) async fn run<L>(
    mut listener: L,
    router: Router,
    state: RelayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    let config = &state.inner.config;
    let slots = ConnectionSlots::new(config.tcp_per_address);
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_WITHIN);
    // The CONNECT protocol carries WebSockets over HTTP/2.
    builder.http2().enable_connect_protocol();
    let mut shutdown = pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let slot = if config.trusted_proxies.contains(&peer.ip()) {
            None
        } else {
            match slots.take(&limit_key(peer.ip())) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(%peer, "too many connections from this address");
                    continue;
                }
            }
        };
        let service =
            router
                .clone()
                .map_request(move |mut request: axum::http::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request.map(Body::new)
                });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(%peer, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    let _ = state.inner.shutdown_tx.send(true);
    graceful.shutdown().await;
    Ok(())
}
