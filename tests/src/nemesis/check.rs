//! The nemesis's checker: after the faults stop and the system settles, is
//! what every store holds true?
//!
//! - every message written (and not undone) is in the store of every device
//!   of every member of its chat, exactly once, at the same seq on every
//!   device, and the seqs of each chat run 1..=n with no gaps;
//! - every outbox is empty, and nothing is "Not sent", reactions included
//!   (every send here is one the relay accepts, so a failure is a lie or a
//!   loss);
//! - no message undone shows anywhere;
//! - no receipt claims more than the stores hold: a message of ours shown
//!   Delivered or Seen is held, at the same seq, by another member's device;
//! - every message hidden on a device is still hidden there;
//! - every member device shows the same reactions on each message it shows
//!   (reactions travel as rows of their chat, so the order, gap and
//!   exactly-once checks above cover them too).

use std::collections::BTreeMap;

use candor_core::protocol::ConversationId;
use candor_core::{DeliveryStatus, Message};

use super::Record;
use super::schedule::{CHATS, DEVICES};
use crate::sync::Device;

/// What the checker found.
#[derive(Debug, Default)]
pub struct Report {
    pub messages_checked: usize,
    pub violations: Vec<String>,
}

/// Every message of `chat` on `d`, hidden or not, in display order.
pub fn all_messages(d: &Device, chat: ConversationId) -> Vec<Message> {
    let mut all = d
        .with(|s| s.conversation_page(chat, None, 500))
        .map(|p| p.messages)
        .unwrap_or_default();
    all.extend(d.with(|s| s.hidden_messages(chat)).unwrap_or_default());
    all.sort_by_key(|m| m.cursor);
    all
}

/// (seq, text) of each row of a chat on a device, in display order: its
/// messages, hidden or not, and its reactions (text "reaction …").
type Placed = Vec<(Option<i64>, String)>;

/// (seq, text) of each row of `chat` on `d`, in display order.
fn placed(d: &Device, chat: ConversationId) -> Placed {
    d.with(|s| {
        s.connection()
            .prepare(
                "SELECT seq, CASE WHEN reaction_json IS NULL THEN body ELSE 'reaction ' || body END
                 FROM messages WHERE conversation_id = ?1 ORDER BY position",
            )?
            .query_map([chat.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Placed, _>>()
    })
    .unwrap_or_default()
}

/// Reactions shown, by the seq of the message they are on: (emoji, how many).
type Reactions = BTreeMap<i64, Vec<(String, usize)>>;

/// The reactions `d` shows on each message of `chat` it shows: the same on
/// every member device once settled ("You" and "mine" differ by device, so
/// they are left out).
fn reactions(d: &Device, chat: ConversationId) -> Reactions {
    d.with(|s| s.conversation_page(chat, None, 500))
        .map(|p| p.messages)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| {
            let counts = m
                .reactions
                .into_iter()
                .map(|r| (r.emoji, r.people.len()))
                .collect();
            Some((m.seq?, counts))
        })
        .collect()
}

/// The devices of the members of chat `c`.
fn member_devices(c: usize) -> impl Iterator<Item = usize> {
    (0..DEVICES.len()).filter(move |d| CHATS[c].contains(&DEVICES[*d]))
}

/// Outboxes empty, and every member device of each chat holds the same
/// messages at the same seqs.
pub fn settled(devices: &[Device], chats: &[ConversationId]) -> bool {
    let drained = devices
        .iter()
        .all(|d| d.with(|s| s.outbox()).is_ok_and(|o| o.is_empty()));
    drained
        && (0..chats.len()).all(|c| {
            let mut views = member_devices(c).map(|d| placed(&devices[d], chats[c]));
            let first = views.next().unwrap_or_default();
            first.iter().all(|(seq, _)| seq.is_some()) && views.all(|v| v == first)
        })
}

pub fn check(devices: &[Device], chats: &[ConversationId], record: &Record) -> Report {
    let mut report = Report::default();
    let v = &mut report.violations;
    for (d, device) in devices.iter().enumerate() {
        let outbox = device.with(|s| s.outbox()).unwrap_or_default();
        if !outbox.is_empty() {
            v.push(format!(
                "device {d}: {} messages still in the outbox",
                outbox.len()
            ));
        }
    }
    for (c, chat) in chats.iter().enumerate() {
        let want = record.sent.get(&c).cloned().unwrap_or_default();
        let mut reference: Option<(usize, Placed)> = None;
        for d in member_devices(c) {
            let messages = all_messages(&devices[d], *chat);
            let mut count: BTreeMap<&str, usize> = BTreeMap::new();
            for m in &messages {
                *count.entry(m.text.as_str()).or_default() += 1;
                if m.status == DeliveryStatus::Failed {
                    v.push(format!("device {d}, chat {c}: {:?} is Not sent", m.text));
                }
                if record.undone.contains(&m.text) {
                    v.push(format!("device {d}, chat {c}: undone {:?} shows", m.text));
                }
            }
            let failed_reactions: i64 = devices[d]
                .with(|s| {
                    s.connection().query_row(
                        "SELECT count(*) FROM messages WHERE conversation_id = ?1
                           AND reaction_json IS NOT NULL AND status = 'failed'",
                        [chat.to_string()],
                        |r| r.get(0),
                    )
                })
                .unwrap_or(0);
            if failed_reactions > 0 {
                v.push(format!(
                    "device {d}, chat {c}: {failed_reactions} reactions are Not sent"
                ));
            }
            for text in &want {
                match count.get(text.as_str()) {
                    Some(1) => report.messages_checked += 1,
                    Some(n) => v.push(format!("device {d}, chat {c}: {text:?} {n} times")),
                    None => v.push(format!("device {d}, chat {c}: {text:?} missing")),
                }
            }
            let view = placed(&devices[d], *chat);
            let seqs: Vec<Option<i64>> = view.iter().map(|(seq, _)| *seq).collect();
            let gapless: Vec<Option<i64>> = (1..=view.len() as i64).map(Some).collect();
            if seqs != gapless {
                v.push(format!("device {d}, chat {c}: seqs {seqs:?} are not 1..=n"));
            }
            match &reference {
                None => reference = Some((d, view)),
                Some((first, theirs)) if *theirs != view => v.push(format!(
                    "chat {c}: device {d} holds {view:?}, device {first} {theirs:?}"
                )),
                Some(_) => {}
            }
        }
        // Reactions: what one member device shows on a message, every other
        // that shows it shows too.
        let shown: Vec<(usize, Reactions)> = member_devices(c)
            .map(|d| (d, reactions(&devices[d], *chat)))
            .collect();
        for (d, mine) in &shown {
            for (o, theirs) in &shown {
                for (seq, on_mine) in mine {
                    if let Some(on_theirs) = theirs.get(seq)
                        && on_theirs != on_mine
                        && d < o
                    {
                        v.push(format!(
                            "chat {c}, seq {seq}: device {d} shows reactions {on_mine:?}, device {o} {on_theirs:?}"
                        ));
                    }
                }
            }
        }
        // Receipts: ours Delivered or Seen are held by another member's
        // device at the same seq.
        for d in member_devices(c) {
            for m in all_messages(&devices[d], *chat) {
                let claims = matches!(m.status, DeliveryStatus::Delivered | DeliveryStatus::Read);
                if !m.is_own || !claims {
                    continue;
                }
                let held = member_devices(c)
                    .filter(|o| DEVICES[*o] != DEVICES[d])
                    .any(|o| placed(&devices[o], *chat).contains(&(m.seq, m.text.clone())));
                if !held {
                    v.push(format!(
                        "device {d}, chat {c}: {:?} shows {:?} but no other member holds it there",
                        m.text, m.status
                    ));
                }
            }
        }
    }
    for (d, c, text) in &record.hidden {
        let still = devices[*d]
            .with(|s| s.hidden_messages(chats[*c]))
            .unwrap_or_default()
            .iter()
            .any(|m| &m.text == text);
        if !still {
            v.push(format!(
                "device {d}, chat {c}: hidden {text:?} is not hidden"
            ));
        }
    }
    report
}
