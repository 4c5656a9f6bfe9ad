//! Photos: uploaded as blobs by hash, named by messages, fetched only by who
//! may see them. Run on the embedded store, and on PostgreSQL by `cargo
//! xtask test` (the same tests, through `support::config`).

mod support;

use candor_protocol::api::{ErrorCode, NewGroup};
use candor_protocol::frames::{ClientFrame, ConversationInfo, Recipient, RelayFrame};
use candor_protocol::photo::MAX_PHOTO_BYTES;
use candor_protocol::{BlobId, MessageId, MessageText, PhotoKind, PhotoRef};
use sha2::{Digest, Sha256};
use support::{Client, Relay};

/// A 1 × 1 PNG, and one of another colour: what the relay checks of a photo
/// is its signature and its hash, not its pixels (the sender's device made
/// it, and each recipient's decodes it with limits).
fn png(shade: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[shade; 60]);
    bytes
}

fn id_of(bytes: &[u8]) -> BlobId {
    BlobId::of_digest(&Sha256::digest(bytes).into())
}

fn photo_of(bytes: &[u8]) -> PhotoRef {
    serde_json::from_value(serde_json::json!({
        "blob": id_of(bytes), "kind": "png", "width": 1, "height": 1,
        "bytes": bytes.len(), "preview": "AAAA",
    }))
    .expect("photo")
}

fn with_photos(to: Recipient, caption: &str, photos: Vec<PhotoRef>) -> ClientFrame {
    ClientFrame::Send {
        client_id: MessageId::new(),
        to,
        text: MessageText::caption(caption).expect("caption"),
        card: None,
        reply: None,
        reaction: None,
        photos,
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn upload(relay: &Relay, token: &str, id: &str, bytes: Vec<u8>) -> u16 {
    http()
        .put(relay.http(&format!("/v1/blobs/{id}")))
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .expect("upload")
        .status()
        .as_u16()
}

/// The status, the media type and the bytes of a fetch.
async fn fetch(relay: &Relay, token: &str, id: &BlobId) -> (u16, String, Vec<u8>) {
    let resp = http()
        .get(relay.http(&format!("/v1/blobs/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("fetch");
    let status = resp.status().as_u16();
    let media = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, media, resp.bytes().await.expect("body").to_vec())
}

async fn answer(client: &mut Client) -> Result<(), ErrorCode> {
    loop {
        match client.next().await {
            RelayFrame::Ack { .. } => return Ok(()),
            RelayFrame::Error { error, .. } => return Err(error.code),
            _ => {}
        }
    }
}

/// The next message `client` is handed, live.
async fn next_message(client: &mut Client) -> candor_protocol::DeliveredMessage {
    loop {
        if let RelayFrame::Message { message, .. } = client.next().await {
            return message;
        }
    }
}

async fn subscribe(client: &mut Client) {
    client
        .send(&ClientFrame::CatchUp {
            after: None,
            acked_in: Vec::new(),
        })
        .await;
    while !matches!(client.next().await, RelayFrame::CaughtUp { .. }) {}
}

/// Alice's photo reaches Bob, and only Alice and Bob may fetch it. Carol,
/// a stranger with an account, can neither fetch it by its hash nor let
/// herself fetch it by naming it in a message of her own.
#[tokio::test]
async fn a_photo_is_fetched_only_by_who_may_read_a_message_naming_it() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let (carol, mut c) = relay.user("carol", "Carol").await;
    subscribe(&mut b).await;
    let bytes = png(1);
    let id = id_of(&bytes);
    assert_eq!(
        upload(&relay, &alice.token, id.as_str(), bytes.clone()).await,
        201
    );
    // Before any message names it, only its uploader may fetch it.
    assert_eq!(fetch(&relay, &alice.token, &id).await.0, 200);
    assert_eq!(fetch(&relay, &bob.token, &id).await.0, 404);

    let to_bob = Recipient::Direct { user: bob.user.id };
    a.send(&with_photos(to_bob, "", vec![photo_of(&bytes)]))
        .await;
    answer(&mut a)
        .await
        .expect("a photo without a caption is stored");
    let got = next_message(&mut b).await;
    assert_eq!(got.photos, [photo_of(&bytes)]);
    assert!(got.text.is_none());
    assert_eq!(
        fetch(&relay, &bob.token, &id).await,
        (200, "image/png".to_owned(), bytes.clone())
    );

    // A stranger: told nothing, as for a hash that is not here.
    let stranger = fetch(&relay, &carol.token, &id).await;
    let absent = fetch(&relay, &carol.token, &id_of(b"nothing")).await;
    assert_eq!((stranger.0, &stranger.2), (absent.0, &absent.2));
    assert_eq!(stranger.0, 404);
    let anonymous = http()
        .get(relay.http(&format!("/v1/blobs/{id}")))
        .send()
        .await
        .expect("fetch");
    assert_eq!(anonymous.status().as_u16(), 401);
    // Naming Alice's photo in her own message to Bob gets Carol nothing.
    let to_bob = Recipient::Direct { user: bob.user.id };
    c.send(&with_photos(to_bob, "look", vec![photo_of(&bytes)]))
        .await;
    assert_eq!(answer(&mut c).await, Err(ErrorCode::NotUploaded));
    assert_eq!(fetch(&relay, &carol.token, &id).await.0, 404);
    let _ = carol;
    relay.stop().await;
}

/// In a group, a member fetches the photos of the seqs they may read: not
/// those sent before they joined, nor after they left.
#[tokio::test]
async fn a_group_member_fetches_only_the_photos_of_their_time_in_it() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, _b) = relay.user("bob", "Bob").await;
    let (dave, _d) = relay.user("dave", "Dave").await;
    // Dave accepts groups only from his contacts; a message makes Alice one.
    a.send(&with_photos(
        Recipient::Direct { user: dave.user.id },
        "hi",
        Vec::new(),
    ))
    .await;
    answer(&mut a).await.expect("hi");
    let resp = http()
        .post(relay.http("/v1/groups"))
        .bearer_auth(&alice.token)
        .json(&NewGroup {
            title: "Trip".into(),
            members: vec![bob.user.id],
        })
        .send()
        .await
        .expect("group");
    assert_eq!(resp.status().as_u16(), 201);
    let group: ConversationInfo = resp.json().await.expect("group");
    let to = Recipient::Conversation { id: group.id };
    let (before, during) = (png(2), png(3));
    for bytes in [&before, &during] {
        assert_eq!(
            upload(&relay, &alice.token, id_of(bytes).as_str(), bytes.clone()).await,
            201
        );
    }
    a.send(&with_photos(
        to.clone(),
        "before Dave",
        vec![photo_of(&before)],
    ))
    .await;
    answer(&mut a).await.expect("stored");
    let resp = http()
        .post(relay.http(&format!("/v1/groups/{}/members", group.id)))
        .bearer_auth(&alice.token)
        .json(&serde_json::json!({ "user": dave.user.id }))
        .send()
        .await
        .expect("add Dave");
    assert!(resp.status().is_success(), "{}", resp.status());
    a.send(&with_photos(to, "with Dave", vec![photo_of(&during)]))
        .await;
    answer(&mut a).await.expect("stored");

    assert_eq!(fetch(&relay, &bob.token, &id_of(&before)).await.0, 200);
    assert_eq!(fetch(&relay, &dave.token, &id_of(&before)).await.0, 404);
    assert_eq!(fetch(&relay, &dave.token, &id_of(&during)).await.0, 200);
    relay.stop().await;
}

/// What is not a photo under its own name is refused, with a reason; a
/// send that names a photo not uploaded is told to upload it, and goes
/// through once it is.
#[tokio::test]
async fn an_upload_is_a_photo_under_its_own_hash_and_a_send_waits_for_it() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, _b) = relay.user("bob", "Bob").await;
    let token = &alice.token;
    let bytes = png(4);
    let id = id_of(&bytes);
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let refused = [
        (
            "another photo's hash",
            id_of(&png(5)).to_string(),
            bytes.clone(),
            400,
        ),
        ("not a photo", id_of(&html).to_string(), html.clone(), 400),
        ("no bytes", id_of(b"").to_string(), Vec::new(), 400),
        (
            "a name that is not a hash",
            "..%2F..%2Fetc%2Fpasswd".into(),
            bytes.clone(),
            400,
        ),
        (
            "upper-case hex",
            id.as_str().to_uppercase(),
            bytes.clone(),
            400,
        ),
    ];
    for (what, name, body, status) in refused {
        assert_eq!(upload(&relay, token, &name, body).await, status, "{what}");
    }
    let mut huge = png(6);
    huge.resize(MAX_PHOTO_BYTES as usize + 1, 7);
    let huge_id = id_of(&huge);
    assert_eq!(upload(&relay, token, huge_id.as_str(), huge).await, 413);
    assert_eq!(
        fetch(&relay, token, &huge_id).await.0,
        404,
        "nothing was kept"
    );

    let to_bob = Recipient::Direct { user: bob.user.id };
    let send = with_photos(to_bob.clone(), "sunset", vec![photo_of(&bytes)]);
    a.send(&send).await;
    assert_eq!(answer(&mut a).await, Err(ErrorCode::NotUploaded));
    assert_eq!(upload(&relay, token, id.as_str(), bytes.clone()).await, 201);
    a.send(&send).await;
    answer(&mut a).await.expect("stored once uploaded");

    // A photo that claims another size or kind than its bytes.
    let mut lying = photo_of(&bytes);
    lying.bytes += 1;
    a.send(&with_photos(to_bob.clone(), "", vec![lying])).await;
    assert_eq!(answer(&mut a).await, Err(ErrorCode::Invalid));
    let mut lying = photo_of(&bytes);
    lying.kind = PhotoKind::Jpeg;
    a.send(&with_photos(to_bob.clone(), "", vec![lying])).await;
    assert_eq!(answer(&mut a).await, Err(ErrorCode::Invalid));
    // Ten photos; no words and no photo.
    a.send(&with_photos(to_bob.clone(), "", vec![photo_of(&bytes); 10]))
        .await;
    assert_eq!(answer(&mut a).await, Err(ErrorCode::Invalid));
    a.send(&with_photos(to_bob, " ", Vec::new())).await;
    assert_eq!(answer(&mut a).await, Err(ErrorCode::Invalid));
    relay.stop().await;
}

/// A photo's bytes count against the uploader's stored bytes, once however
/// often it is uploaded; past the quota an upload is refused and nothing
/// of it is kept.
#[tokio::test]
async fn uploads_count_once_against_the_quota() {
    let relay = Relay::start_configured(|c| {
        c.quotas = candor_relay::storage::Quotas {
            messages_per_day: 0,
            stored_bytes: 100,
        };
    })
    .await;
    let alice = relay.user("alice", "Alice").await.0;
    let (first, second) = (png(8), png(9));
    for _ in 0..3 {
        assert_eq!(
            upload(&relay, &alice.token, id_of(&first).as_str(), first.clone()).await,
            201
        );
    }
    assert_eq!(
        upload(
            &relay,
            &alice.token,
            id_of(&second).as_str(),
            second.clone()
        )
        .await,
        507,
        "68 bytes and 68 more pass 100"
    );
    assert_eq!(fetch(&relay, &alice.token, &id_of(&second)).await.0, 404);
    relay.stop().await;
}
