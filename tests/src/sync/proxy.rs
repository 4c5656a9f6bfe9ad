//! A WebSocket proxy between a device and the relay that records every frame the
//! device sends, so a test can prove what did (and did not) leave the device.
//! It counts the device's connections and can cut each one a while after it
//! opens (a link that fails every session it starts), stall the open ones
//! (they stay connected and nothing moves either way: a half-open link), cut
//! them now, and delay or throttle every frame (a slow or congested link).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

#[derive(Debug, Clone)]
pub struct RecordingProxy {
    pub addr: SocketAddr,
    sent: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
    cut_after: Arc<Mutex<Option<Duration>>>,
    stall: Arc<tokio::sync::watch::Sender<u64>>,
    cut: Arc<tokio::sync::watch::Sender<u64>>,
    shape: Arc<Mutex<Shape>>,
}

/// How every frame is slowed on its way, in both directions.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    /// Waited before each frame is passed on.
    delay: Duration,
    /// Bytes a second; each frame waits for its share.
    bytes_per_sec: Option<u64>,
}

impl Shape {
    fn wait_for(&self, len: usize) -> Duration {
        let throttle = self.bytes_per_sec.map_or(Duration::ZERO, |rate| {
            Duration::from_secs_f64(len as f64 / rate.max(1) as f64)
        });
        self.delay + throttle
    }
}

impl RecordingProxy {
    /// Listens on a loopback port and forwards to the relay at `relay`.
    pub async fn start(relay: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let proxy = Self {
            addr,
            sent: Arc::default(),
            connections: Arc::default(),
            cut_after: Arc::default(),
            stall: Arc::new(tokio::sync::watch::channel(0).0),
            cut: Arc::new(tokio::sync::watch::channel(0).0),
            shape: Arc::default(),
        };
        let this = proxy.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                this.connections.fetch_add(1, Ordering::SeqCst);
                let cut_after = *this.cut_after.lock().unwrap_or_else(|e| e.into_inner());
                let log = this.sent.clone();
                let link = Link {
                    stall: this.stall.subscribe(),
                    cut: this.cut.subscribe(),
                    shape: this.shape.clone(),
                };
                tokio::spawn(async move {
                    let _ = forward(stream, relay, log, cut_after, link).await;
                });
            }
        });
        Ok(proxy)
    }

    /// How many connections the device has opened through the proxy.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every connection open now stops moving, in both directions, and stays
    /// connected: what either end writes goes nowhere, and nothing is closed.
    pub fn stall_open_connections(&self) {
        self.stall.send_modify(|generation| *generation += 1);
    }

    /// Every connection open now is dropped, as a link that goes down does.
    pub fn cut_open_connections(&self) {
        self.cut.send_modify(|generation| *generation += 1);
    }

    /// Every frame from now on waits `delay` before it is passed on.
    pub fn delay(&self, delay: Duration) {
        self.shape.lock().unwrap_or_else(|e| e.into_inner()).delay = delay;
    }

    /// Every frame from now on waits for its share of `bytes_per_sec` (None:
    /// no limit).
    pub fn throttle(&self, bytes_per_sec: Option<u64>) {
        self.shape
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .bytes_per_sec = bytes_per_sec;
    }

    /// No delay, no throttle, no cutting: a healthy link for new connections
    /// (stalled ones stay stalled until the device gives up on them).
    pub fn heal(&self) {
        *self.shape.lock().unwrap_or_else(|e| e.into_inner()) = Shape::default();
        self.cut_each_connection_after(None);
    }

    /// From the next connection on, closes each one `after` it opens (`None`:
    /// connections stay up).
    pub fn cut_each_connection_after(&self, after: Option<Duration>) {
        *self.cut_after.lock().unwrap_or_else(|e| e.into_inner()) = after;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every text frame the device has sent so far.
    pub fn sent(&self) -> Vec<String> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What one forwarded connection listens to.
struct Link {
    stall: tokio::sync::watch::Receiver<u64>,
    cut: tokio::sync::watch::Receiver<u64>,
    shape: Arc<Mutex<Shape>>,
}

impl Link {
    /// Waits as the link's shape says for a frame of `len` bytes.
    async fn pass(shape: &Mutex<Shape>, len: usize) {
        let wait = shape
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .wait_for(len);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

// The handshake callback's error type is tungstenite's, not ours to shrink.
#[allow(clippy::result_large_err)]
async fn forward(
    stream: tokio::net::TcpStream,
    relay: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    cut_after: Option<Duration>,
    link: Link,
) -> Result<()> {
    let Link {
        mut stall,
        mut cut,
        shape,
    } = link;
    let mut authorization = None;
    let device = tokio_tungstenite::accept_hdr_async(stream, |req: &Request, resp: Response| {
        authorization = req.headers().get("authorization").cloned();
        Ok(resp)
    })
    .await?;
    let mut request = format!("ws://{relay}/v1/ws").into_client_request()?;
    if let Some(a) = authorization {
        request.headers_mut().insert("authorization", a);
    }
    let (upstream, _) = tokio_tungstenite::connect_async(request).await?;
    let (mut device_tx, mut device_rx) = device.split();
    let (mut relay_tx, mut relay_rx) = upstream.split();
    let up = async {
        while let Some(Ok(msg)) = device_rx.next().await {
            if let Message::Text(t) = &msg {
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(t.to_string());
            }
            Link::pass(&shape, msg.len()).await;
            if relay_tx.send(msg).await.is_err() {
                break;
            }
        }
    };
    let down = async {
        while let Some(Ok(msg)) = relay_rx.next().await {
            Link::pass(&shape, msg.len()).await;
            if device_tx.send(msg).await.is_err() {
                break;
            }
        }
    };
    let cut_later = async {
        match cut_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = up => {},
        _ = down => {},
        _ = cut_later => {},
        _ = cut.changed() => {},
        _ = stall.changed() => {
            // Half-open: both sockets stay open, and nobody reads or writes.
            std::future::pending::<()>().await;
        }
    }
    Ok(())
}
