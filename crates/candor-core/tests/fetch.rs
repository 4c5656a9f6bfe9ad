//! The card fetcher against a local HTTP server on loopback standing in for a
//! video platform: a good answer, a slow one, a huge one, non-JSON, HTML, and
//! redirects to private addresses or too many of them; and for platforms with
//! no oEmbed, the video page's Open Graph tags.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use candor_core::links::fetch::{CardFetcher, FetchError, FetchPolicy, is_public};
use candor_core::links::{Provider, VideoLink, recognise};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// What the stand-in answers for a path.
struct Answer {
    status: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Sent without a Content-Length, in pieces (chunked).
    chunked: bool,
    delay: Duration,
}

impl Answer {
    fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: "200 OK",
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            chunked: false,
            delay: Duration::ZERO,
        }
    }

    fn redirect(to: &str) -> Self {
        Self {
            status: "302 Found",
            headers: vec![("Location".into(), to.into())],
            body: Vec::new(),
            chunked: false,
            delay: Duration::ZERO,
        }
    }
}

type Routes = Arc<dyn Fn(&str, SocketAddr) -> Answer + Send + Sync>;

/// Serves `routes` on a loopback port until the test ends.
async fn stand_in(
    routes: impl Fn(&str, SocketAddr) -> Answer + Send + Sync + 'static,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let routes: Routes = Arc::new(routes);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let answer = routes(&path, addr);
                tokio::time::sleep(answer.delay).await;
                let mut head = format!("HTTP/1.1 {}\r\nConnection: close\r\n", answer.status);
                for (k, v) in &answer.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                if answer.chunked {
                    head.push_str("Transfer-Encoding: chunked\r\n\r\n");
                    let _ = socket.write_all(head.as_bytes()).await;
                    for piece in answer.body.chunks(16 * 1024) {
                        let frame = format!("{:x}\r\n", piece.len());
                        if socket.write_all(frame.as_bytes()).await.is_err()
                            || socket.write_all(piece).await.is_err()
                            || socket.write_all(b"\r\n").await.is_err()
                        {
                            return;
                        }
                    }
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                } else {
                    head.push_str(&format!("Content-Length: {}\r\n\r\n", answer.body.len()));
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&answer.body).await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

fn fetcher(addr: SocketAddr, read_timeout: Duration) -> CardFetcher {
    let policy = FetchPolicy {
        connect_timeout: Duration::from_secs(5),
        read_timeout,
        test_origin: Some(addr),
    };
    let endpoint = Url::parse(&format!("http://{addr}/oembed")).expect("endpoint");
    CardFetcher::new(policy)
        .expect("client")
        .with_endpoint(Provider::YouTube, endpoint)
}

fn video() -> VideoLink {
    recognise("https://youtu.be/dQw4w9WgXcQ?si=abc").expect("video")
}

/// A 640×480 PNG (a gradient: well under the 512 KiB a body may weigh).
fn big_png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 2) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn oembed(addr: SocketAddr) -> String {
    format!(
        r#"{{"type":"video","title":"Never <b>Gonna</b> Give You Up","author_name":"Rick Astley","thumbnail_url":"http://{addr}/thumb.png"}}"#
    )
}

#[tokio::test]
async fn a_good_answer_gives_title_author_and_a_small_thumbnail() {
    let png = big_png();
    let addr = stand_in(move |path, addr| match path.split('?').next() {
        Some("/oembed") => {
            assert!(path.contains("format=json"), "{path}");
            assert!(
                path.contains("url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3DdQw4w9WgXcQ"),
                "{path}"
            );
            Answer::ok("application/json", oembed(addr))
        }
        Some("/thumb.png") => Answer::ok("image/png", png.clone()),
        _ => Answer::ok("text/plain", "?"),
    })
    .await;
    let card = fetcher(addr, Duration::from_secs(5))
        .fetch(&video())
        .await
        .expect("card");
    assert_eq!(card.provider, "youtube");
    assert_eq!(card.url, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
    assert_eq!(
        card.title.as_deref(),
        Some("Never <b>Gonna</b> Give You Up")
    );
    assert_eq!(card.author.as_deref(), Some("Rick Astley"));
    let jpeg = base64::engine::general_purpose::STANDARD
        .decode(card.thumbnail_jpeg.as_deref().expect("thumbnail"))
        .expect("base64");
    assert!(jpeg.len() <= 32 * 1024, "{} bytes", jpeg.len());
    let thumb =
        image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).expect("a jpeg");
    assert_eq!((thumb.width(), thumb.height()), (160, 120));
    candor_core::links::check_card(&card).expect("the card can be sent");
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_card_stays_plain() {
    let addr = stand_in(|_, addr| Answer {
        delay: Duration::from_secs(3),
        ..Answer::ok("application/json", oembed(addr))
    })
    .await;
    let f = fetcher(addr, Duration::from_millis(500));
    let result = f.fetch(&video()).await;
    assert!(matches!(result, Err(FetchError::Timeout)), "{result:?}");
    let card = f.card(&video()).await;
    assert_eq!(card.title, None);
    assert_eq!(card.url, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
}

#[tokio::test]
async fn a_huge_answer_is_refused_with_or_without_its_length() {
    for chunked in [false, true] {
        let addr = stand_in(move |_, _| Answer {
            chunked,
            ..Answer::ok("application/json", vec![b' '; 600 * 1024])
        })
        .await;
        let result = fetcher(addr, Duration::from_secs(5)).fetch(&video()).await;
        assert!(
            matches!(result, Err(FetchError::TooLarge)),
            "chunked {chunked}: {result:?}"
        );
    }
}

#[tokio::test]
async fn text_and_html_are_not_oembed() {
    for (kind, body) in [
        ("text/plain", "hello there"),
        (
            "text/html",
            "<!doctype html><html><head><title>YouTube</title></head></html>",
        ),
        ("application/json", "[1, 2"),
    ] {
        let addr = stand_in(move |_, _| Answer::ok(kind, body)).await;
        let result = fetcher(addr, Duration::from_secs(5)).fetch(&video()).await;
        assert!(
            matches!(result, Err(FetchError::NotJson(_))),
            "{kind}: {result:?}"
        );
    }
}

#[tokio::test]
async fn redirects_to_private_addresses_are_refused() {
    for target in [
        "https://10.0.0.1/oembed".to_owned(),
        "https://192.168.1.1/oembed".to_owned(),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://[::1]/oembed".to_owned(),
        "https://[fd00::1]/oembed".to_owned(),
    ] {
        let to = target.clone();
        let addr = stand_in(move |_, _| Answer::redirect(&to)).await;
        let result = fetcher(addr, Duration::from_secs(5)).fetch(&video()).await;
        assert!(
            matches!(result, Err(FetchError::ForbiddenAddress(_))),
            "{target}: {result:?}"
        );
    }
    // A name that resolves to loopback is refused by the resolver.
    let addr =
        stand_in(|_, addr| Answer::redirect(&format!("https://localhost:{}/oembed", addr.port())))
            .await;
    let result = fetcher(addr, Duration::from_secs(5)).fetch(&video()).await;
    assert!(
        matches!(result, Err(FetchError::ForbiddenAddress(ip)) if ip.is_loopback()),
        "{result:?}"
    );
    // Plain http anywhere but the test origin is refused.
    let addr = stand_in(|_, _| Answer::redirect("http://example.com/oembed")).await;
    let result = fetcher(addr, Duration::from_secs(5)).fetch(&video()).await;
    assert!(matches!(result, Err(FetchError::NotHttps(_))), "{result:?}");
}

#[tokio::test]
async fn more_than_three_redirects_are_refused() {
    let addr = stand_in(|path, addr| {
        let hop: u32 = path
            .trim_start_matches("/hop")
            .split('?')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if hop < 4 {
            Answer::redirect(&format!("http://{addr}/hop{}", hop + 1))
        } else {
            Answer::ok("application/json", oembed(addr))
        }
    })
    .await;
    let f = CardFetcher::new(FetchPolicy {
        test_origin: Some(addr),
        ..FetchPolicy::default()
    })
    .expect("client")
    .with_endpoint(
        Provider::YouTube,
        Url::parse(&format!("http://{addr}/hop0")).expect("url"),
    );
    let result = f.fetch(&video()).await;
    assert!(
        matches!(result, Err(FetchError::TooManyRedirects)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_thumbnail_that_is_not_an_image_leaves_the_card_without_one() {
    let addr = stand_in(|path, addr| match path.split('?').next() {
        Some("/oembed") => Answer::ok("application/json", oembed(addr)),
        _ => Answer::ok("image/png", "<svg onload=alert(1)>"),
    })
    .await;
    let card = fetcher(addr, Duration::from_secs(5))
        .fetch(&video())
        .await
        .expect("card");
    assert_eq!(card.author.as_deref(), Some("Rick Astley"));
    assert_eq!(card.thumbnail_jpeg, None);
}

#[tokio::test]
async fn the_apps_policy_fetches_only_https_on_public_addresses() {
    // The app's fetcher (no test origin) pointed at the loopback stand-in.
    let addr = stand_in(|_, addr| Answer::ok("application/json", oembed(addr))).await;
    let f = CardFetcher::new(FetchPolicy::default())
        .expect("client")
        .with_endpoint(
            Provider::YouTube,
            Url::parse(&format!("http://{addr}/oembed")).expect("url"),
        );
    assert!(matches!(
        f.fetch(&video()).await,
        Err(FetchError::NotHttps(_))
    ));
    let f = CardFetcher::new(FetchPolicy::default())
        .expect("client")
        .with_endpoint(
            Provider::YouTube,
            Url::parse(&format!("https://127.0.0.1:{}/oembed", addr.port())).expect("url"),
        );
    assert!(matches!(
        f.fetch(&video()).await,
        Err(FetchError::ForbiddenAddress(_))
    ));
    // A video page is held to the same rules.
    let f = CardFetcher::new(FetchPolicy::default())
        .expect("client")
        .with_page_origin(Url::parse(&format!("http://{addr}/")).expect("url"));
    let reel = recognise("https://www.instagram.com/reel/C1aBcDeFgHi/").expect("reel");
    assert!(matches!(f.fetch(&reel).await, Err(FetchError::NotHttps(_))));
}

#[tokio::test]
async fn a_platform_without_oembed_gets_its_details_from_the_page() {
    let png = big_png();
    let addr = stand_in(move |path, _| match path {
        "/reel/C1aBcDeFgHi/" => Answer::ok(
            "text/html",
            r#"<!doctype html><html><head>
                 <meta name="description" content="not this">
                 <meta property="og:title" content="Maya &amp; the &lt;best&gt; reel">
                 <meta property="og:image" content="/img.png">
               </head><body>…</body></html>"#,
        ),
        "/img.png" => Answer::ok("image/png", png.clone()),
        "/reel/NoTags/" => Answer::ok("text/html", "<html><head><title>x</title></head></html>"),
        _ => Answer::ok("text/plain", "?"),
    })
    .await;
    let f = CardFetcher::new(FetchPolicy {
        test_origin: Some(addr),
        ..FetchPolicy::default()
    })
    .expect("client")
    .with_page_origin(Url::parse(&format!("http://{addr}/")).expect("url"));
    let reel = recognise("https://www.instagram.com/reel/C1aBcDeFgHi/?igsh=x").expect("reel");
    let card = f.fetch(&reel).await.expect("card");
    assert_eq!(card.provider, "instagram");
    assert_eq!(card.title.as_deref(), Some("Maya & the <best> reel"));
    assert!(card.thumbnail_jpeg.is_some());
    candor_core::links::check_card(&card).expect("the card can be sent");

    let bare = recognise("https://www.instagram.com/reel/NoTags/").expect("reel");
    assert!(matches!(f.fetch(&bare).await, Err(FetchError::NoDetails)));
    assert_eq!(f.card(&bare).await.title, None);
}

#[test]
fn open_graph_tags_are_read_as_a_browser_reads_them() {
    use candor_core::links::fetch::open_graph;
    let tags = open_graph(
        r#"<meta property=og:title content="A &quot;clip&quot;"><meta name="og:image" content=" https://x.example/i.jpg ">
           <meta property="og:title" content="second title is ignored">"#,
    );
    assert_eq!(tags.title.as_deref(), Some("A \"clip\""));
    assert_eq!(tags.image.as_deref(), Some("https://x.example/i.jpg"));
    assert_eq!(
        open_graph("<p>no tags</p><meta property='og:title' content=''>").title,
        None
    );
}

#[test]
fn public_addresses_are_told_from_the_rest() {
    for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "151.101.1.69"] {
        assert!(is_public(ip.parse::<IpAddr>().expect("ip")), "{ip}");
    }
    for ip in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd12::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ] {
        assert!(!is_public(ip.parse::<IpAddr>().expect("ip")), "{ip}");
    }
}
