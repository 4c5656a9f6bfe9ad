//! Photos between two devices running candor-core's client against a real
//! relay: prepared and kept on the sender's device, uploaded when the
//! message leaves, fetched by the recipient when shown, without the
//! sender's EXIF, and gone from the recipient's disk when erased.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use candor_core::account::RelayClient;
use candor_core::protocol::frames::direct_conversation_id;
use candor_core::{Client, NewConversation, Person, Profile};
use candor_e2e::World;
use candor_e2e::sync::eventually;

const WAIT: Duration = Duration::from_secs(20);

/// The fixture: a camera-like JPEG whose EXIF says where it was taken.
const WITH_GPS: &[u8] = include_bytes!("../fixtures/photo-with-gps.jpg");

/// A signed-up account's client, syncing, with its store in `dir`.
async fn client(relay_url: &str, dir: &Path, handle: &str, name: &str) -> Result<(Client, Person)> {
    let relay = RelayClient::new(relay_url)?;
    relay.sign_up(handle, name, "orchid-lantern-57").await?;
    let session = relay.sign_in(handle, "orchid-lantern-57", "test").await?;
    let client = Client::open(&dir.join(format!("{handle}/candor.db")).tap_dir()?)?;
    let profile = Profile {
        user_id: session.user.id,
        handle: handle.into(),
        display_name: name.into(),
        relay_url: relay_url.into(),
    };
    client.with_store(move |s| s.set_profile(&profile)).await?;
    client.start_session(relay, session.token).await;
    let person = Person {
        id: session.user.id,
        handle: handle.into(),
        display_name: name.into(),
    };
    Ok((client, person))
}

trait TapDir {
    fn tap_dir(self) -> std::io::Result<std::path::PathBuf>;
}

impl TapDir for std::path::PathBuf {
    /// The path, with its folder made.
    fn tap_dir(self) -> std::io::Result<std::path::PathBuf> {
        if let Some(dir) = self.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(self)
    }
}

/// Whether any file under `dir` holds `needle`.
fn any_file_holds(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                return any_file_holds(&path, needle);
            }
            std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
        })
}

fn has_gps(jpeg: &[u8]) -> bool {
    exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(jpeg))
        .is_ok_and(|e| {
            e.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
                .is_some()
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_arrives_without_its_exif_and_an_erase_takes_its_file() -> Result<()> {
    let world = World::with_relay().await?;
    let url = world.relay().url();
    let (alice, alice_person) = client(&url, world.path(), "alice", "Alice").await?;
    let (bob, bob_person) = client(&url, world.path(), "bob", "Bob").await?;
    let chat = direct_conversation_id(alice_person.id, bob_person.id);
    let to_bob = NewConversation::Direct {
        id: chat,
        peer: bob_person.clone(),
    };
    alice
        .with_store(move |s| s.add_conversation(&to_bob))
        .await?;
    alice
        .with_store(|s| s.set_undo_send_window(candor_core::UndoSendWindow::Off))
        .await?;
    assert!(has_gps(WITH_GPS), "the fixture says where it was taken");

    let photo = alice.prepare_photo(WITH_GPS.to_vec()).await?;
    assert!(photo.width <= 2048 && photo.height <= 2048);
    assert!(photo.preview.starts_with("data:image/png;base64,"));
    // Only photos prepared on this device go out.
    let unknown = candor_core::protocol::BlobId::of_digest(&[1; 32]);
    assert!(
        alice
            .send_photos(chat, String::new(), vec![unknown], None)
            .await
            .is_err()
    );
    let sent = alice
        .send_photos(chat, "the view".into(), vec![photo.blob.clone()], None)
        .await?;
    assert_eq!(sent.message.photos.len(), 1);
    assert!(
        sent.message.photos[0]
            .preview
            .starts_with("data:image/png;base64,")
    );

    // Bob's device gets the message, then the photo when it is shown.
    let mut arrived = None;
    eventually(WAIT, "the photo message reaches Bob", || {
        let store = bob.store().lock().expect("store");
        arrived = store
            .conversation_page(chat, None, 10)
            .ok()
            .and_then(|p| p.messages.into_iter().find(|m| !m.photos.is_empty()));
        arrived.is_some()
    })
    .await?;
    let arrived = arrived.expect("arrived");
    assert_eq!(arrived.text, "the view");
    assert_eq!(arrived.photos[0].blob, photo.blob);
    let (kind, bytes) = bob.photo(photo.blob.clone()).await?;
    assert_eq!(kind, candor_core::protocol::PhotoKind::Jpeg);
    assert!(!has_gps(&bytes), "no EXIF reaches Bob");
    assert!(
        exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(&bytes))
            .is_err(),
        "no EXIF at all"
    );
    let bob_dir = world.path().join("bob");
    assert!(any_file_holds(&bob_dir, &bytes), "kept on Bob's device");

    // Bob deletes it for himself, then erases it: its file goes.
    let id = arrived.id;
    bob.with_store(move |s| s.hide_message(id)).await?;
    assert!(
        bob.photo(photo.blob.clone()).await.is_err(),
        "a hidden message's photo is not handed out"
    );
    bob.with_store(move |s| s.erase_hidden(chat)).await?;
    assert!(!any_file_holds(&bob_dir, &bytes), "erased from Bob's disk");
    // A blob no message here names is nobody's to see.
    let made_up = candor_core::protocol::BlobId::of_digest(&[9; 32]);
    assert!(bob.photo(made_up).await.is_err());
    Ok(())
}

/// A relay restored from a backup that predates a photo has lost both the
/// message and the photo: the sender's device offers the message again, the
/// relay asks for the photo (NotUploaded), the photo goes up again, and the
/// recipient can fetch it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restore_the_sender_uploads_a_lost_photo_again() -> Result<()> {
    let mut world = World::with_relay().await?;
    let url = world.relay().url();
    let (alice, alice_person) = client(&url, world.path(), "alice", "Alice").await?;
    let (bob, bob_person) = client(&url, world.path(), "bob", "Bob").await?;
    let chat = direct_conversation_id(alice_person.id, bob_person.id);
    let to_bob = NewConversation::Direct {
        id: chat,
        peer: bob_person,
    };
    alice
        .with_store(move |s| s.add_conversation(&to_bob))
        .await?;
    alice
        .with_store(|s| s.set_undo_send_window(candor_core::UndoSendWindow::Off))
        .await?;
    let backup = world.path().join("backup");
    world.stop_relay().await?;
    world.back_up_relay(&backup)?;
    world.start_relay_again().await?;

    let photo = alice.prepare_photo(WITH_GPS.to_vec()).await?;
    let sent = alice
        .send_photos(chat, String::new(), vec![photo.blob.clone()], None)
        .await?;
    let id = sent.message.id;
    eventually(WAIT, "the relay acknowledges the photo", || {
        let store = alice.store().lock().expect("store");
        store.message(id).is_ok_and(|m| m.server_id.is_some())
    })
    .await?;

    let kept = world
        .path()
        .join("relay/blobs")
        .join(&photo.blob.as_str()[..2])
        .join(photo.blob.as_str());
    assert!(
        kept.is_file(),
        "the relay kept the photo at {}",
        kept.display()
    );
    world.stop_relay().await?;
    world.restore_relay(&backup)?;
    assert!(!kept.exists(), "the backup predates the photo");
    world.start_relay_again().await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        match bob.photo(photo.blob.clone()).await {
            Ok((_, bytes)) => {
                assert!(candor_core::photo::hashes_to(&photo.blob, &bytes));
                break;
            }
            Err(e) => {
                anyhow::ensure!(
                    tokio::time::Instant::now() < deadline,
                    "Bob never got the photo after the restore: {e}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    Ok(())
}
