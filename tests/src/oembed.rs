//! A stand-in for the video platforms' oEmbed endpoints on loopback, for the
//! app's `CANDOR_OEMBED_ORIGIN`: `/oembed/<provider>` answers a title, an
//! author and a thumbnail link, `/thumb.png` an image. It counts every request,
//! so a test can show which app asked (the sender's) and which never did.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct OEmbedStandIn {
    pub addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl OEmbedStandIn {
    /// Answers every video with `title` and `author`.
    pub async fn start(title: &str, author: &str) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        let json = serde_json::json!({
            "type": "video",
            "title": title,
            "author_name": author,
            "thumbnail_url": format!("http://{addr}/thumb.png"),
        })
        .to_string();
        let png = gradient_png()?;
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let (json, png) = (json.clone(), png.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&request).into_owned();
                    let path = head.split_whitespace().nth(1).unwrap_or("/");
                    let (kind, body) = if path.starts_with("/oembed/") {
                        ("application/json", json.into_bytes())
                    } else if path.starts_with("/thumb.png") {
                        ("image/png", png)
                    } else {
                        ("text/plain", b"not here".to_vec())
                    };
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Ok(Self { addr, requests })
    }

    /// What the app's `CANDOR_OEMBED_ORIGIN` is set to.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections made to it so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn gradient_png() -> Result<Vec<u8>> {
    let image = image::RgbImage::from_fn(480, 360, |x, y| {
        image::Rgb([(x / 2) as u8, (y / 2) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}
