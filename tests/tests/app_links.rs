//! Links in messages, in the real app: an https link in Maya's message is a
//! link whose hover shows the address; clicking it asks the browser (the
//! harness's `$BROWSER` records it) and the window stays on Candor's page;
//! `javascript:` and `file:` addresses are never links; and the window refuses
//! to be taken to another page even when a script asks.

use std::time::Duration;

use anyhow::Result;
use candor_e2e::World;
use candor_e2e::sync::eventually;
use chrono::Utc;

const TEXT: &str = "the menu: https://example.com/menu?day=fri (not javascript:alert(1) \
                    nor javascript://x.example/%0Aalert(2) nor file:///etc/passwd)";

#[tokio::test]
async fn an_https_link_opens_in_the_browser_and_nothing_else_is_a_link() -> Result<()> {
    let w = World::new()?;
    w.long_chat(
        "links",
        1,
        Utc::now() - chrono::Duration::minutes(5),
        1,
        |_| TEXT.to_owned(),
    )?;
    let app = w.launch("links").await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.wait_for_text("[data-testid=message] .text", TEXT)
        .await?;
    let page = app.driver.current_url().await?;

    // The words are all there, as written; one part of them is a link.
    let shown = app.texts("[data-testid=message] .text").await?;
    assert_eq!(shown, vec![TEXT.to_owned()]);
    let links = app
        .driver
        .find_all(thirtyfour::By::Css("[data-testid=message-link]"))
        .await?;
    assert_eq!(links.len(), 1, "only the https address is a link");
    let link = &links[0];
    assert_eq!(link.text().await?, "https://example.com/menu?day=fri");
    assert_eq!(
        link.attr("title").await?.as_deref(),
        Some("https://example.com/menu?day=fri"),
        "hovering shows the full address"
    );
    let other_schemes = app
        .driver
        .execute(
            "return [...document.querySelectorAll('a[href]')]
                 .map(a => a.getAttribute('href'))
                 .filter(h => !/^https?:/.test(h));",
            vec![],
        )
        .await?;
    assert_eq!(other_schemes.json(), &serde_json::json!([]));
    app.driver
        .action_chain()
        .move_to_element_center(link)
        .perform()
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.screenshot("message-link").await?;

    link.click().await?;
    eventually(Duration::from_secs(10), "the browser was asked", || {
        app.browser_opened() == ["https://example.com/menu?day=fri"]
    })
    .await?;
    assert_eq!(app.driver.current_url().await?, page, "Candor stays put");

    // A script that tries to take the window elsewhere is refused below the
    // page: a real page on loopback is never even asked for.
    let away = loopback_page()?;
    app.driver
        .execute(&format!("window.location.href = '{}';", away.url), vec![])
        .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(app.driver.current_url().await?, page);
    assert_eq!(away.requests(), 0, "the window never asked for the page");
    app.wait_for_text("[data-testid=message] .text", TEXT)
        .await?;
    app.quit().await
}

/// A web page on loopback that counts the requests it gets.
struct LoopbackPage {
    url: String,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl LoopbackPage {
    fn requests(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

fn loopback_page() -> Result<LoopbackPage> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/elsewhere", listener.local_addr()?);
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 20\r\n\r\n<h1>elsewhere</h1>\r\n",
            );
        }
    });
    Ok(LoopbackPage { url, hits })
}
