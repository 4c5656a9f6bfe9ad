//! `GET /metrics` in Prometheus text format: open connections, messages stored,
//! and how long a send takes from frame to durable acknowledgement.

use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::RelayState;

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub connections: Gauge,
    pub messages_stored: Counter,
    pub send_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
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
        Self {
            registry,
            connections,
            messages_stored,
            send_latency,
        }
    }
}

impl Metrics {
    pub fn observe_send(&self, took: Duration) {
        self.send_latency.observe(took.as_secs_f64());
    }
}

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
