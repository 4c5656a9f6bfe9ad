//! `GET /metrics` in Prometheus text format: open connections, messages stored,
//! and how long a send takes from frame to durable acknowledgement. Each node
//! of a relay of several counts its own; a node also says whether it hears
//! the others, and how long after its commit it delivered each batch.
//!
//! Served on an address of the operator's own (`serve_metrics`), or on the main
//! address to a bearer of the metrics token; never to anyone who asks.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::{RelayError, RelayState};

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub connections: Gauge,
    pub messages_stored: Counter,
    pub send_latency: Histogram,
    /// On a relay of several nodes.
    pub doorbell: Option<Doorbell>,
    /// With a bus: 1 while connected to it.
    pub bus: Option<Gauge>,
}

/// A node's view of the doorbell (see `crate::cluster`).
#[derive(Debug, Clone)]
pub struct Doorbell {
    /// 1 while the node hears the others, else 0.
    pub hearing: Gauge,
    /// From the commit of a batch another node stored, to its delivery
    /// here on being rung (not on being found at the stream's head).
    pub lag: Histogram,
}

impl Default for Doorbell {
    fn default() -> Self {
        Self {
            hearing: Gauge::default(),
            // 0.25 ms to about 4 s.
            lag: Histogram::new(exponential_buckets(0.000_25, 2.0, 15)),
        }
    }
}

impl Metrics {
    /// The metrics of a relay; `cluster`: one of several nodes; `bus`:
    /// whether its connection to a bus is up (see `crate::bus`).
    pub fn new(cluster: bool, bus: Option<Gauge>) -> Self {
        let mut registry = Registry::with_prefix("candor_relay");
        let connections = Gauge::default();
        let messages_stored = Counter::default();
        // 0.25 ms to about 4 s.
        let send_latency = Histogram::new(exponential_buckets(0.000_25, 2.0, 15));
        registry.register(
            "connections",
            "Open WebSocket connections",
            connections.clone(),
        );
        registry.register(
            "messages_stored",
            "Messages stored durably",
            messages_stored.clone(),
        );
        registry.register(
            "send_latency_seconds",
            "Time from a send frame to its durable acknowledgement",
            send_latency.clone(),
        );
        let doorbell = cluster.then(|| {
            let doorbell = Doorbell::default();
            registry.register(
                "doorbell_hearing",
                "1 while this node hears what the other nodes store, else 0",
                doorbell.hearing.clone(),
            );
            registry.register(
                "doorbell_lag_seconds",
                "Time from another node's commit of a batch to its delivery on this one, when rung",
                doorbell.lag.clone(),
            );
            doorbell
        });
        if let Some(bus) = &bus {
            registry.register(
                "bus_connected",
                "1 while this node is connected to the bus (NATS), else 0",
                bus.clone(),
            );
        }
        Self {
            registry,
            connections,
            messages_stored,
            send_latency,
            doorbell,
            bus,
        }
    }

    pub fn observe_send(&self, took: Duration) {
        self.send_latency.observe(took.as_secs_f64());
    }
}

/// `GET /metrics` on the main address: only with the configured token.
pub async fn render_with_token(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<Response, RelayError> {
    let Some(expected) = &state.inner.config.metrics_token else {
        return Err(RelayError::NotFound(
            "metrics are served on the metrics address only".into(),
        ));
    };
    // Digests compared, so that the time taken says nothing about the token.
    let given = crate::auth::bearer(&headers).map(crate::auth::token_hash);
    if given.as_deref() != Some(crate::auth::token_hash(expected).as_slice()) {
        return Err(RelayError::Unauthorized);
    }
    Ok(render(State(state)).await.into_response())
}

/// `GET /metrics` on the metrics address, which is the operator's own.
pub async fn render(State(state): State<RelayState>) -> impl IntoResponse {
    let mut body = String::new();
    if let Err(e) = encode(&mut body, &state.inner.metrics.registry) {
        tracing::error!(error = %e, "could not encode metrics");
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}
