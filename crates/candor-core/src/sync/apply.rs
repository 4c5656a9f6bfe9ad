//! Applying what the relay sends: runs of messages in one store transaction
//! each, and every other frame (conversations, receipts, the history of a
//! restored relay, acks, refusals), each turned into the notices the window
//! needs.

use std::collections::{BTreeSet, HashMap};

use candor_protocol::api::ErrorCode;
use candor_protocol::frames::{ConversationKind, RelayFrame, StreamPosition};
use candor_protocol::{ConversationId, DeliveredMessage, MessageId};

use super::session::{End, Engine, store_lost};
use super::with_store;
use crate::notice::{Connection, Notice};
use crate::{CoreError, NewConversation, Store};

/// What applying a run of frames leaves the session to tell the relay.
#[derive(Debug, Default)]
pub(super) struct Applied {
    /// Per conversation, the highest seq now stored, for chats whose senders
    /// may hear it arrived (not Requests, not someone blocked): the
    /// Delivered receipts to send.
    pub(super) delivered: HashMap<ConversationId, i64>,
    /// Holes found beside what was stored (to fetch).
    pub(super) gaps: Vec<Gap>,
    /// A chat stopped being a Request (accepted on another device): its read
    /// position, kept back until now, may go out.
    pub(super) reads_released: bool,
}

impl Engine {
    /// Applies a run of frames: messages in one transaction, in stream order.
    pub(super) async fn frames(
        &self,
        frames: Vec<RelayFrame>,
        in_flight: &mut HashMap<ConversationId, MessageId>,
    ) -> Result<Applied, End> {
        let mut delivered = HashMap::new();
        let mut gaps = Vec::new();
        // Chats whose senders may be told a message arrived, as each
        // message-applying turn at the store found them.
        let mut acknowledged = BTreeSet::new();
        let mut reads_released = false;
        // A message at its place in the stream, or found by a Fetch (None).
        let mut messages: Vec<(Option<u64>, DeliveredMessage)> = Vec::new();
        for frame in frames {
            match frame {
                RelayFrame::Message { cursor, message } => {
                    let seq = delivered.entry(message.conversation_id).or_insert(0);
                    *seq = (*seq).max(message.seq);
                    messages.push((Some(cursor), message));
                }
                RelayFrame::Found { message } => {
                    let seq = delivered.entry(message.conversation_id).or_insert(0);
                    *seq = (*seq).max(message.seq);
                    messages.push((None, message));
                }
                other => {
                    let run = self.apply_messages(std::mem::take(&mut messages)).await?;
                    gaps.extend(run.0);
                    acknowledged.extend(run.1);
                    reads_released |= self.other_frame(other, in_flight).await?;
                }
            }
        }
        let run = self.apply_messages(messages).await?;
        gaps.extend(run.0);
        acknowledged.extend(run.1);
        delivered.retain(|chat, _| acknowledged.contains(chat));
        Ok(Applied {
            delivered,
            gaps,
            reads_released,
        })
    }

    /// Applies messages in one transaction; moves the stream position to the
    /// last of them that had one. Returns the holes found beside them, and
    /// which of their chats' senders may hear they arrived (read in the same
    /// turn at the store).
    async fn apply_messages(
        &self,
        batch: Vec<(Option<u64>, DeliveredMessage)>,
    ) -> Result<(Vec<Gap>, Vec<ConversationId>), End> {
        if batch.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let last = batch.iter().filter_map(|(c, _)| *c).max();
        let conversations: BTreeSet<ConversationId> =
            batch.iter().map(|(_, m)| m.conversation_id).collect();
        let epoch = self.session_epoch()?;
        // The notice is read in the same turn at the store: the rows as stored.
        let found = with_store(&self.store, move |s| {
            let outcome = s.apply_delivered(epoch, &batch)?;
            if outcome.displaced > 0 || outcome.moved > 0 {
                tracing::warn!(
                    displaced = outcome.displaced,
                    moved = outcome.moved,
                    "the relay's order differs from ours: it lost messages and stored them again"
                );
            }
            if let Some(cursor) = last {
                s.set_sync_position(StreamPosition { epoch, cursor })?;
            }
            let acknowledged = s.may_acknowledge(conversations.iter().copied())?;
            if outcome.stored.is_empty() {
                return Ok((None, outcome.gaps, acknowledged));
            }
            let notice = Notice::MessagesAdded {
                reacted: s.reactions_to_me(&outcome.stored)?,
                messages: s.visible_messages(&outcome.stored)?,
                chats: s.inbox_items(conversations)?,
                unread: s.unread_summary()?,
            };
            Ok((Some(notice), outcome.gaps, acknowledged))
        })
        .await
        .map_err(store_lost)?;
        let (notice, gaps, acknowledged) = found;
        if let Some(notice) = notice {
            self.emit(notice);
        }
        Ok((gaps, acknowledged))
    }

    /// Applies one frame that is not a message. True if it made a chat stop
    /// being a Request (its read position may go out now).
    async fn other_frame(
        &self,
        frame: RelayFrame,
        in_flight: &mut HashMap<ConversationId, MessageId>,
    ) -> Result<bool, End> {
        let mut reads_released = false;
        match frame {
            RelayFrame::Conversation(info) => {
                // The relay names every chat at each connect: only a row that
                // changed is news.
                let changed = with_store(&self.store, move |s| {
                    let me = s.profile()?.map(|p| p.user_id);
                    let (id, request) = (info.id, info.request);
                    // A group this account left (on another device): its
                    // history stays, and it is marked left here too.
                    let left = info.kind == ConversationKind::Group
                        && !info.members.iter().any(|m| Some(m.id) == me);
                    let before = s.inbox_items([id])?.pop();
                    let group = info.kind == ConversationKind::Group;
                    let members_before = if group && before.is_some() {
                        Some(s.group_members(id)?)
                    } else {
                        None
                    };
                    s.add_conversation(&NewConversation::from_relay(info, me))?;
                    s.set_request(id, request)?;
                    if left {
                        s.set_left(id)?;
                    }
                    let after = s.inbox_item(id)?;
                    // Someone added, removed or made admin changes no inbox
                    // row, but an open members list must hear of it.
                    let members_changed =
                        group && members_before.as_ref() != Some(&s.group_members(id)?);
                    let released = before.as_ref().is_some_and(|b| b.request) && !after.request;
                    let changed = before.as_ref() != Some(&after) || members_changed;
                    Ok((changed.then_some(after), released))
                })
                .await
                .map_err(store_lost)?;
                let (changed, released) = changed;
                reads_released |= released;
                if let Some(chat) = changed {
                    self.emit(Notice::ChatChanged { chat });
                }
            }
            RelayFrame::Receipt {
                conversation_id,
                user_id,
                delivered_seq,
                read_seq,
            } => {
                let moved = with_store(&self.store, move |s| {
                    let me = s.profile()?.map(|p| p.user_id);
                    if me == Some(user_id) {
                        // The account's own read position, shared by its devices.
                        if !s.apply_own_read(conversation_id, read_seq)? {
                            return Ok(ReceiptEffect::None);
                        }
                        return Ok(ReceiptEffect::Read {
                            chat: s.inbox_item(conversation_id)?,
                            unread: s.unread_summary()?,
                        });
                    }
                    let moved =
                        s.apply_receipt(conversation_id, user_id, delivered_seq, read_seq)?;
                    Ok(ReceiptEffect::Statuses(s.visible_messages(&moved)?))
                })
                .await
                .map_err(store_lost)?;
                match moved {
                    ReceiptEffect::None => {}
                    ReceiptEffect::Statuses(messages) if messages.is_empty() => {}
                    ReceiptEffect::Statuses(messages) => {
                        self.emit(Notice::ReceiptMoved { messages })
                    }
                    ReceiptEffect::Read { chat, unread } => {
                        self.emit(Notice::ReadElsewhere { chat, unread })
                    }
                }
            }
            RelayFrame::Typing {
                conversation_id,
                user_id,
            } => self.emit(Notice::Typing {
                conversation: conversation_id,
                user: user_id,
            }),
            RelayFrame::History { kept } => {
                // Ours that the relay lost go back to the outbox; the pump
                // after this run of frames offers them again.
                let requeued = with_store(&self.store, move |s| {
                    let ids = s.reoffer_lost(&kept)?;
                    let mut shown = Vec::with_capacity(ids.len());
                    for id in ids {
                        shown.extend(shown_with_chat(s, id)?);
                    }
                    Ok(shown)
                })
                .await
                .map_err(store_lost)?;
                if !requeued.is_empty() {
                    tracing::warn!(
                        count = requeued.len(),
                        "the relay lost messages of ours; offering them again"
                    );
                }
                for (message, chat) in requeued {
                    self.emit(Notice::MessageChanged { message, chat });
                }
            }
            RelayFrame::CaughtUp { cursor } => {
                let at = StreamPosition {
                    epoch: self.session_epoch()?,
                    cursor,
                };
                with_store(&self.store, move |s| s.reset_sync_position(at))
                    .await
                    .map_err(store_lost)?;
                self.connection(Connection::Online, None);
            }
            RelayFrame::Ack {
                client_id,
                server_id,
                conversation_id,
                seq,
                sent_at,
                cursor,
            } => {
                in_flight.remove(&conversation_id);
                let at = StreamPosition {
                    epoch: self.session_epoch()?,
                    cursor,
                };
                let changed = with_store(&self.store, move |s| {
                    let id = s.acknowledge(client_id, server_id, seq, sent_at, at)?;
                    shown_with_chat(s, id)
                })
                .await
                .map_err(store_lost)?;
                if let Some((message, chat)) = changed {
                    self.emit(Notice::MessageChanged { message, chat });
                }
            }
            RelayFrame::Error {
                error,
                client_id: Some(id),
            } => {
                in_flight.retain(|_, m| *m != id);
                let permanent = !matches!(
                    error.code,
                    ErrorCode::Internal
                        | ErrorCode::RateLimited
                        | ErrorCode::NotYet
                        | ErrorCode::NotUploaded
                );
                // The relay does not hold its photos (a restore): they go up
                // again before the message does.
                if error.code == ErrorCode::NotUploaded {
                    with_store(&self.store, move |s| s.photos_not_on_relay(id))
                        .await
                        .map_err(store_lost)?;
                }
                if permanent {
                    let changed = with_store(&self.store, move |s| {
                        let id = s.mark_failed(id)?;
                        shown_with_chat(s, id)
                    })
                    .await
                    .map_err(store_lost)?;
                    if let Some((message, chat)) = changed {
                        self.emit(Notice::SendFailed {
                            message,
                            chat,
                            reason: error.message,
                        });
                    }
                } else {
                    let reason = error.message.clone();
                    let after = chrono::Duration::seconds(5);
                    with_store(&self.store, move |s| s.retry_later(id, after, &reason))
                        .await
                        .map_err(store_lost)?;
                }
            }
            RelayFrame::Error {
                error,
                client_id: None,
            } => {
                tracing::warn!(code = ?error.code, message = %error.message, "relay error");
                if error.code == ErrorCode::Unauthorized {
                    return Err(End::SignedOut);
                }
            }
            RelayFrame::Fetched {
                conversation_id,
                after_seq,
                before_seq,
            } => {
                tracing::debug!(%conversation_id, after_seq, before_seq, "fetched a hole");
            }
            RelayFrame::Welcome { .. } => {}
            RelayFrame::Message { .. } | RelayFrame::Found { .. } => {}
        }
        Ok(reads_released)
    }
}

/// A hole in a conversation's seqs: (conversation, held, next held above).
type Gap = (ConversationId, i64, i64);

/// What a receipt changed here.
enum ReceiptEffect {
    None,
    /// Our messages whose status moved.
    Statuses(Vec<crate::Message>),
    /// The account read the chat on another device.
    Read {
        chat: crate::InboxItem,
        unread: crate::UnreadSummary,
    },
}

/// A message as this device shows it, with its chat's inbox row; nothing if it
/// is hidden or gone (hidden, or erased, while it was on its way).
pub(super) fn shown_with_chat(
    s: &Store,
    id: MessageId,
) -> Result<Option<(crate::Message, crate::InboxItem)>, CoreError> {
    let Some(message) = s.visible_messages(&[id])?.pop() else {
        return Ok(None);
    };
    let chat = s.inbox_item(message.conversation_id)?;
    Ok(Some((message, chat)))
}
