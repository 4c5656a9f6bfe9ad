//! Catching a connection up: what the relay still holds of the epochs the
//! client names, its conversations, then the backlog a page at a time (the
//! connection's loop serves the client's frames between pages), then
//! `caught_up`. And fetching a hole a client found in a chat's seqs.

use candor_protocol::api::ErrorCode;
use candor_protocol::frames::{EpochKept, MAX_EPOCHS_ASKED, MAX_FETCH, RelayFrame, StreamPosition};
use candor_protocol::{ConversationId, EpochId};

use super::{Connection, Flow, receipt_frame};
use crate::RelayError;
use crate::http::blocking;

/// Messages read from storage per catch-up query.
pub(super) const CATCH_UP_BATCH: u32 = 500;

impl Connection {
    /// Sends what a device missing seqs of a conversation asks for: only
    /// messages this account may read (an outsider gets none, and learns
    /// nothing), then `fetched`.
    pub(super) async fn fetch(
        &mut self,
        conversation: ConversationId,
        after: i64,
        before: i64,
    ) -> Flow {
        if after < 0 || before <= after || before - after > MAX_FETCH + 1 {
            let msg = format!("a fetch spans 1 to {MAX_FETCH} seqs, after 0 or later");
            self.error(ErrorCode::Invalid, &msg, None).await;
            return Flow::Continue;
        }
        let user = self.user.id;
        let storage = self.state.storage();
        let found =
            blocking(move || Ok(storage.messages_between(user, conversation, after, before)?))
                .await;
        let messages = match found {
            Ok(m) => m,
            Err(e) => {
                let api = e.to_api();
                self.error(api.code, &api.message, None).await;
                return Flow::Continue;
            }
        };
        if !messages.is_empty() && !self.announce(conversation).await {
            return Flow::Close;
        }
        for (_, message) in messages {
            if !self.send(&RelayFrame::Found { message }).await {
                return Flow::Close;
            }
        }
        let done = RelayFrame::Fetched {
            conversation_id: conversation,
            after_seq: after,
            before_seq: before,
        };
        if self.send(&done).await {
            Flow::Continue
        } else {
            Flow::Close
        }
    }

    /// Says how much of each epoch in `acked_in` this relay holds, sends the
    /// account's conversations, and starts the pages of every message after
    /// `after` (or after where this history and the client's part, if the
    /// relay lost some of it): see `catch_up_page`.
    pub(super) async fn catch_up(
        &mut self,
        after: Option<StreamPosition>,
        acked_in: Vec<EpochId>,
    ) -> Flow {
        if acked_in.len() > MAX_EPOCHS_ASKED {
            let msg = format!("a catch-up asks about {MAX_EPOCHS_ASKED} epochs at most");
            self.error(ErrorCode::Invalid, &msg, None).await;
            return Flow::Continue;
        }
        let user = self.user.id;
        let storage = self.state.storage();
        let asked: Vec<EpochId> = after.iter().map(|p| p.epoch).chain(acked_in).collect();
        let kept = match blocking(move || {
            asked
                .into_iter()
                .map(|epoch| {
                    let through = storage.epoch_kept_through(epoch)?;
                    Ok(EpochKept { epoch, through })
                })
                .collect::<Result<Vec<_>, crate::storage::StorageError>>()
                .map_err(Into::into)
        })
        .await
        {
            Ok(k) => k,
            Err(e) => return self.fail_catch_up(e).await,
        };
        // The client's position, if this history still holds it; else the
        // last point both share (all of it, for an epoch this history lacks).
        let cursor = match after {
            None => 0,
            Some(p) => kept
                .first()
                .and_then(|k| k.through)
                .map_or(0, |through| p.cursor.min(through)),
        };
        let history = RelayFrame::History {
            kept: kept
                .into_iter()
                .skip(usize::from(after.is_some()))
                .collect(),
        };
        if !self.send(&history).await {
            return Flow::Close;
        }
        let storage = self.state.storage();
        let conversations = match blocking(move || Ok(storage.conversations_of(user)?)).await {
            Ok(c) => c,
            Err(e) => return self.fail_catch_up(e).await,
        };
        for info in conversations {
            self.announced.insert(info.id);
            if !self.send(&RelayFrame::Conversation(info)).await {
                return Flow::Close;
            }
        }
        // The pages follow one by one from `run`, which reads the client's
        // frames between them.
        self.catching = Some(cursor);
        Flow::Continue
    }

    /// One page of the catch-up came from storage: sends it, and after the
    /// last page the receipts and `caught_up`; from then on live messages
    /// flow, without repeats.
    pub(super) async fn catch_up_page(
        &mut self,
        page: Result<Vec<(u64, candor_protocol::DeliveredMessage)>, RelayError>,
    ) -> Flow {
        let Some(mut cursor) = self.catching else {
            return Flow::Continue;
        };
        let batch = match page {
            Ok(b) => b,
            Err(e) => return self.fail_catch_up(e).await,
        };
        let done = batch.len() < CATCH_UP_BATCH as usize;
        if self.epoch_moved() {
            // Its cursors are the new epoch's: the client asks again.
            return Flow::Close;
        }
        for (c, message) in batch {
            cursor = c;
            if !self.send(&RelayFrame::Message { cursor: c, message }).await {
                return Flow::Close;
            }
        }
        self.catching = Some(cursor);
        if !done {
            return Flow::Continue;
        }
        let user = self.user.id;
        let storage = self.state.storage();
        let receipts = match blocking(move || Ok(storage.receipts_for(user)?)).await {
            Ok(r) => r,
            Err(e) => return self.fail_catch_up(e).await,
        };
        for r in receipts {
            if !self.send(&receipt_frame(r)).await {
                return Flow::Close;
            }
        }
        self.catching = None;
        self.delivered = Some(cursor);
        if !self.send(&RelayFrame::CaughtUp { cursor }).await {
            return Flow::Close;
        }
        for held in std::mem::take(&mut self.held) {
            if let Flow::Close = self.live(held).await {
                return Flow::Close;
            }
        }
        Flow::Continue
    }

    /// Any storage error while catching up ends the connection: a client that
    /// never hears `caught_up` would wait forever, and live frames are held
    /// back until it does. It reconnects and tries again.
    pub(super) async fn fail_catch_up(&mut self, e: RelayError) -> Flow {
        tracing::error!(error = %e, user = %self.user.id, "catch-up failed");
        let api = e.to_api();
        self.error(api.code, &api.message, None).await;
        Flow::Close
    }
}
