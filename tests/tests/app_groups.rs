//! Groups you can't be forced into, in the real app against the real relay:
//! an invitation from a stranger waits in Requests; a member you blocked is a
//! collapsed line whose words never reach the page; the group's admins (and
//! only they) remove people, from the People list.

use std::time::Duration;

use anyhow::Result;
use candor_core::Person;
use candor_core::account::RelayClient;
use candor_e2e::World;
use candor_e2e::sync::eventually;
use thirtyfour::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_group_waits_in_requests_and_a_blocked_member_stays_collapsed() -> Result<()> {
    let mut w = World::with_relay().await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    let mut mallory = w.device("mallory", "Mallory").await?;
    bob.go_online()?;
    mallory.go_online()?;
    let app = w.launch("alice").await?;
    app.sign_up(&w.relay().url(), "alice", "Alice Park").await?;
    let relay = RelayClient::new(&w.relay().url())?;
    let alice_id = relay.lookup(&bob.token, "alice").await?.id;
    let alice = Person {
        id: alice_id,
        handle: "alice".into(),
        display_name: "Alice Park".into(),
    };

    // Mallory writes first; Alice blocks her from the request's banner.
    let direct = mallory.open_chat_with(alice.clone())?;
    mallory.write(direct, "hey, it's me again")?;
    mallory.outbox_changed().await;
    app.wait_for_text("[data-testid=requests-tab]", "Requests (1)")
        .await?;
    app.find("[data-testid=requests-tab]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.find("[data-testid=block-request]")
        .await?
        .click()
        .await?;

    // Bob, whom Alice has never talked to, puts her in a group with Mallory:
    // it waits in Requests, not in her chats.
    let info = relay
        .create_group(&bob.token, "Reunion", vec![alice_id, mallory.user.id])
        .await?;
    let group = info.id;
    app.wait_for_text("[data-testid=requests-tab]", "Requests (1)")
        .await?;
    app.wait_for_text("[data-testid=inbox-title]", "Reunion")
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.find("[data-testid=accept-request]")
        .await?
        .click()
        .await?;

    // Mallory and Bob write in the group: Bob's words show, Mallory's never
    // reach the page, only a collapsed line in their place.
    for device in [&bob, &mallory] {
        eventually(
            Duration::from_secs(15),
            "the group reaches each device",
            || device.with(|s| s.inbox_item(group)).is_ok(),
        )
        .await?;
    }
    mallory.write(group, "you can't get rid of me")?;
    mallory.outbox_changed().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    bob.write(group, "welcome, everyone")?;
    bob.outbox_changed().await;
    app.wait_for_text("[data-testid=message] .text", "welcome, everyone")
        .await?;
    app.wait_for_text(
        "[data-testid=blocked-message]",
        "Message from someone you blocked",
    )
    .await?;
    let page = app.driver.source().await?;
    assert!(
        !page.contains("get rid of me"),
        "a blocked member's words never reach the page"
    );

    // People…: Bob is the admin; Alice, not one, has no Remove.
    app.find("[data-testid=chat-menu]").await?.click().await?;
    app.find("[data-testid=menu-members]")
        .await?
        .click()
        .await?;
    app.wait_for_texts(
        "[data-testid=group-member] .who",
        &["Bob Stone", "You", "Mallory"],
    )
    .await?;
    assert!(
        app.driver
            .find_all(By::Css("[data-testid=remove-member]"))
            .await?
            .is_empty(),
        "only admins are offered Remove"
    );
    // Bob makes her an admin: the open list hears of it and offers Remove.
    relay.make_admin(&bob.token, group, alice_id).await?;
    app.find("[data-handle=mallory] [data-testid=remove-member]")
        .await?
        .click()
        .await?;
    app.find("[data-handle=mallory] [data-testid=remove-member-confirm]")
        .await?
        .click()
        .await?;
    app.wait_for_texts("[data-testid=group-member] .who", &["You", "Bob Stone"])
        .await?;
    app.screenshot("group-members").await?;
    // Mallory's device hears she is out.
    eventually(
        Duration::from_secs(15),
        "Mallory is out of the group",
        || {
            mallory
                .with(|s| s.group_members(group))
                .map(|m| m.left)
                .unwrap_or(false)
        },
    )
    .await?;

    app.quit().await?;
    bob.go_offline().await;
    mallory.go_offline().await;
    w.stop_relay().await?;
    Ok(())
}
