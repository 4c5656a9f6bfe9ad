//! The engine's loop: connect, say hello, catch up, then serve frames, sends and
//! commands until the connection drops; then wait with backoff and start over.
//!
//! Every stream position is kept with the relay epoch it was given in (from
//! the welcome), and the catch-up names the epochs our messages were
//! acknowledged in: the relay's History answer sends back to the outbox what
//! a relay restored from an older copy has lost (see `Store::reoffer_lost`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use chrono::Utc;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use candor_protocol::api::ErrorCode;
use candor_protocol::frames::{
    ClientFrame, ConversationKind, MAX_EPOCHS_ASKED, MAX_FETCH, MAX_FRAME_BYTES, RelayFrame,
    StreamPosition,
};
use candor_protocol::{ConversationId, DeliveredMessage, EpochId, MessageId, PROTOCOL_VERSION};

use super::{Backoff, Command, Heartbeat, next_sends, with_store};
use crate::account::RelayClient;
use crate::notice::{Connection, Notice};
use crate::{CoreError, NewConversation, Store};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How often due sends are looked for (undo windows end between commands).
const TICK: Duration = Duration::from_millis(200);
/// Messages applied per store transaction while catching up.
const APPLY_BATCH: usize = 256;
/// A frame the relay has not taken in this long: the link is dead.
const WRITE_WITHIN: Duration = Duration::from_secs(15);
/// How long connecting, and then the relay's welcome, may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);

pub(super) struct Engine {
    pub store: Arc<Mutex<Store>>,
    pub relay: RelayClient,
    pub token: String,
    pub commands: mpsc::Receiver<Command>,
    pub events: broadcast::Sender<Notice>,
    pub heartbeat: Heartbeat,
    /// The epoch of the relay this connection talks to, from its welcome.
    pub epoch: Option<EpochId>,
}

/// Why a connection ended.
enum End {
    Shutdown,
    Lost(String),
    SignedOut,
}

impl Engine {
    pub async fn run(mut self) {
        let mut backoff = Backoff::default();
        loop {
            self.connection(Connection::Connecting, None);
            let end = match self.connect().await {
                Ok(socket) => {
                    let opened = tokio::time::Instant::now();
                    let end = self.session(socket).await;
                    backoff.session_ended(opened.elapsed());
                    end
                }
                Err(end) => end,
            };
            let reason = match end {
                End::Shutdown => return,
                End::SignedOut => {
                    self.connection(Connection::SignedOut, None);
                    return;
                }
                End::Lost(reason) => reason,
            };
            let retry_in = backoff.next_delay(fastrand::f64());
            tracing::info!(%reason, ?retry_in, "relay connection lost");
            self.connection(Connection::Offline, Some(reason));
            let wake = tokio::time::sleep(retry_in);
            tokio::pin!(wake);
            loop {
                tokio::select! {
                    _ = &mut wake => break,
                    cmd = self.commands.recv() => match cmd {
                        None | Some(Command::Shutdown) => return,
                        // Offline: the outbox and unreported reads are read from the
                        // store on reconnect; typing is a live signal and is dropped.
                        Some(_) => {}
                    },
                }
            }
        }
    }

    /// Sends every read position the relay has not heard yet. Reads are
    /// positions, not events: one read of a chat offline and ten are the same
    /// single frame when the connection returns.
    async fn report_reads(&self, socket: &mut Socket) -> Result<(), End> {
        let reads = with_store(&self.store, |s| s.unreported_reads())
            .await
            .map_err(store_lost)?;
        if reads.is_empty() {
            return Ok(());
        }
        // Reported once the relay answers with the account's own receipt
        // (`Store::apply_own_read`): a position lost with the link goes again.
        for (conversation, seq) in reads {
            let frame = ClientFrame::Read {
                conversation_id: conversation,
                seq,
            };
            send(socket, &frame).await.map_err(End::Lost)?;
        }
        Ok(())
    }

    fn emit(&self, notice: Notice) {
        let _ = self.events.send(notice);
    }

    fn connection(&self, state: Connection, reason: Option<String>) {
        self.emit(Notice::Connection { state, reason });
    }

    async fn connect(&mut self) -> Result<Socket, End> {
        let mut request = self
            .relay
            .websocket_url()
            .as_str()
            .into_client_request()
            .map_err(|e| End::Lost(e.to_string()))?;
        let bearer =
            HeaderValue::from_str(&format!("Bearer {}", self.token)).map_err(|_| End::SignedOut)?;
        request.headers_mut().insert("authorization", bearer);
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        // Nagle off: a send is one small frame, and it should not wait for the ACK
        // of the one before it.
        let connecting = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
        let (mut socket, _) = match tokio::time::timeout(ANSWER_WITHIN, connecting).await {
            Err(_) => return Err(End::Lost("the relay did not answer within 15 s".into())),
            Ok(Err(tungstenite::Error::Http(resp))) if resp.status() == 401 => {
                return Err(End::SignedOut);
            }
            Ok(Err(tungstenite::Error::Io(_))) => {
                return Err(End::Lost(format!(
                    "the relay at {} does not answer",
                    self.relay.base()
                )));
            }
            Ok(Err(e)) => return Err(End::Lost(e.to_string())),
            Ok(Ok(ok)) => ok,
        };
        send(
            &mut socket,
            &ClientFrame::Hello {
                protocol_version: PROTOCOL_VERSION,
            },
        )
        .await
        .map_err(End::Lost)?;
        let mut heard = Instant::now();
        match tokio::time::timeout(ANSWER_WITHIN, next_frame(&mut socket, &mut heard)).await {
            Ok(Some(Ok(RelayFrame::Welcome { epoch, .. }))) => {
                self.epoch = Some(epoch);
                Ok(socket)
            }
            Ok(Some(Ok(RelayFrame::Error { error, .. }))) => Err(End::Lost(error.message)),
            Err(_) => Err(End::Lost(
                "the relay did not answer our hello within 15 s".into(),
            )),
            _ => Err(End::Lost("the relay did not welcome us".into())),
        }
    }

    async fn session(&mut self, mut socket: Socket) -> End {
        let asked = with_store(&self.store, |s| {
            Ok((s.sync_position()?, s.acked_epochs(MAX_EPOCHS_ASKED)?))
        })
        .await;
        let (after, acked_in) = match asked {
            Ok(a) => a,
            Err(e) => return End::Lost(e.to_string()),
        };
        if let Err(e) = send(&mut socket, &ClientFrame::CatchUp { after, acked_in }).await {
            return End::Lost(e);
        }
        // Chats read while offline: the other members hear of it now.
        if let Err(end) = self.report_reads(&mut socket).await {
            return end;
        }
        let mut in_flight: HashMap<ConversationId, MessageId> = HashMap::new();
        let mut asked: HashSet<(ConversationId, i64, i64)> = HashSet::new();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first ping one period in, not at once: the hello just showed the link works.
        let every = self.heartbeat.every;
        let mut beat = tokio::time::interval_at(Instant::now() + every, every);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // When anything last came from the relay: a frame, a pong.
        let mut heard = Instant::now();
        loop {
            tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    None | Some(Command::Shutdown) => {
                        let _ = socket.close(None).await;
                        return End::Shutdown;
                    }
                    Some(Command::OutboxChanged) => {
                        if let Err(e) = self.pump(&mut socket, &mut in_flight).await {
                            return End::Lost(e);
                        }
                    }
                    Some(Command::ReadChanged) => {
                        if let Err(end) = self.report_reads(&mut socket).await {
                            return end;
                        }
                    }
                    Some(Command::Typing { conversation }) => {
                        let frame = ClientFrame::Typing { conversation_id: conversation };
                        if let Err(e) = send(&mut socket, &frame).await {
                            return End::Lost(e);
                        }
                    }
                },
                frame = next_frame(&mut socket, &mut heard) => {
                    let mut frames = match frame {
                        Some(Ok(f)) => vec![f],
                        Some(Err(e)) => return End::Lost(e),
                        None => return End::Lost("the relay closed the connection".into()),
                    };
                    // Take what else is already here, to apply it in one transaction.
                    while frames.len() < APPLY_BATCH {
                        match next_frame(&mut socket, &mut heard).now_or_never() {
                            Some(Some(Ok(f))) => frames.push(f),
                            Some(Some(Err(e))) => return End::Lost(e),
                            Some(None) => return End::Lost("the relay closed the connection".into()),
                            None => break,
                        }
                    }
                    let (delivered, gaps) = match self.frames(frames, &mut in_flight).await {
                        Ok(d) => d,
                        Err(end) => return end,
                    };
                    // Seqs missing between messages held: ask for them, once
                    // a session (a hole the account may not read stays one).
                    for (conversation, low, high) in gaps {
                        if !asked.insert((conversation, low, high)) {
                            continue;
                        }
                        let frame = ClientFrame::Fetch {
                            conversation_id: conversation,
                            after_seq: low,
                            before_seq: high.min(low + MAX_FETCH + 1),
                        };
                        if let Err(e) = send(&mut socket, &frame).await {
                            return End::Lost(e);
                        }
                    }
                    // Tell the senders their messages arrived here.
                    for (conversation, seq) in delivered {
                        let frame = ClientFrame::Delivered { conversation_id: conversation, seq };
                        if let Err(e) = send(&mut socket, &frame).await {
                            return End::Lost(e);
                        }
                    }
                    if let Err(e) = self.pump(&mut socket, &mut in_flight).await {
                        return End::Lost(e);
                    }
                }
                _ = tick.tick() => {
                    if let Err(e) = self.pump(&mut socket, &mut in_flight).await {
                        return End::Lost(e);
                    }
                }
                _ = beat.tick() => {
                    let silent = heard.elapsed();
                    if silent >= self.heartbeat.silent_after {
                        return End::Lost(format!(
                            "the relay has not answered for {} s",
                            silent.as_secs()
                        ));
                    }
                    if let Err(e) = write(&mut socket, Message::Ping(Default::default())).await {
                        return End::Lost(e);
                    }
                }
            }
        }
    }

    /// Starts the sends that are due, one per conversation.
    async fn pump(
        &self,
        socket: &mut Socket,
        in_flight: &mut HashMap<ConversationId, MessageId>,
    ) -> Result<(), String> {
        let now = Utc::now();
        let due = with_store(&self.store, move |s| s.due_sends(now))
            .await
            .map_err(|e| e.to_string())?;
        let busy: HashSet<_> = in_flight.keys().copied().collect();
        for job in next_sends(due, &busy) {
            in_flight.insert(job.entry.conversation_id, job.wire_id);
            let frame = ClientFrame::Send {
                client_id: job.wire_id,
                to: job.to,
                text: job.text,
                card: job.card,
            };
            send(socket, &frame).await?;
        }
        Ok(())
    }

    /// Applies a run of frames: messages in one transaction, in stream order.
    /// Returns, per conversation, the highest seq now stored (for receipts).
    async fn frames(
        &self,
        frames: Vec<RelayFrame>,
        in_flight: &mut HashMap<ConversationId, MessageId>,
    ) -> Result<(HashMap<ConversationId, i64>, Vec<Gap>), End> {
        let mut delivered = HashMap::new();
        let mut gaps = Vec::new();
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
                    gaps.extend(self.apply_messages(std::mem::take(&mut messages)).await?);
                    self.other_frame(other, in_flight).await?;
                }
            }
        }
        gaps.extend(self.apply_messages(messages).await?);
        Ok((delivered, gaps))
    }

    /// Applies messages in one transaction; moves the stream position to the
    /// last of them that had one. Returns the holes found beside them.
    async fn apply_messages(
        &self,
        batch: Vec<(Option<u64>, DeliveredMessage)>,
    ) -> Result<Vec<Gap>, End> {
        if batch.is_empty() {
            return Ok(Vec::new());
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
            if outcome.stored.is_empty() {
                return Ok((None, outcome.gaps));
            }
            let notice = Notice::MessagesAdded {
                messages: s.visible_messages(&outcome.stored)?,
                chats: s.inbox_items(conversations)?,
                unread: s.unread_summary()?,
            };
            Ok((Some(notice), outcome.gaps))
        })
        .await
        .map_err(store_lost)?;
        let (notice, gaps) = found;
        if let Some(notice) = notice {
            self.emit(notice);
        }
        Ok(gaps)
    }

    async fn other_frame(
        &self,
        frame: RelayFrame,
        in_flight: &mut HashMap<ConversationId, MessageId>,
    ) -> Result<(), End> {
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
                    s.add_conversation(&NewConversation::from_relay(info, me))?;
                    s.set_request(id, request)?;
                    if left {
                        s.set_left(id)?;
                    }
                    let after = s.inbox_item(id)?;
                    Ok((before.as_ref() != Some(&after)).then_some(after))
                })
                .await
                .map_err(store_lost)?;
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
                    let moved = s.apply_receipt(conversation_id, delivered_seq, read_seq)?;
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
                let permanent = !matches!(error.code, ErrorCode::Internal | ErrorCode::RateLimited);
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
        Ok(())
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

impl Engine {
    /// The epoch of the relay this connection talks to.
    fn session_epoch(&self) -> Result<EpochId, End> {
        self.epoch
            .ok_or_else(|| End::Lost("a frame came before the relay's welcome".into()))
    }
}

fn store_lost(e: CoreError) -> End {
    End::Lost(format!("the local store failed: {e}"))
}

async fn send(socket: &mut Socket, frame: &ClientFrame) -> Result<(), String> {
    let json = serde_json::to_string(frame).map_err(|e| e.to_string())?;
    write(socket, Message::Text(json.into())).await
}

/// Writes one message, or says the link is dead if the relay does not take it
/// in time (a link that stopped moving fills the socket's buffers, and then a
/// write would wait for ever).
async fn write(socket: &mut Socket, message: Message) -> Result<(), String> {
    match tokio::time::timeout(WRITE_WITHIN, socket.send(message)).await {
        Ok(sent) => sent.map_err(|e| e.to_string()),
        Err(_) => Err("the relay has not taken what we sent for 15 s".into()),
    }
}

/// The next relay frame; None when the socket closed. Anything that arrives,
/// a pong included, moves `heard` on.
async fn next_frame(
    socket: &mut Socket,
    heard: &mut Instant,
) -> Option<Result<RelayFrame, String>> {
    loop {
        let message = socket.next().await?;
        *heard = Instant::now();
        match message {
            Ok(Message::Text(text)) => {
                return Some(
                    serde_json::from_str(&text)
                        .map_err(|e| format!("the relay sent a frame Candor cannot read: {e}")),
                );
            }
            Ok(Message::Close(_)) => return None,
            Ok(_) => continue,
            Err(e) => return Some(Err(e.to_string())),
        }
    }
}

/// A message as this device shows it, with its chat's inbox row; nothing if it
/// is hidden or gone (hidden, or erased, while it was on its way).
fn shown_with_chat(
    s: &Store,
    id: MessageId,
) -> Result<Option<(crate::Message, crate::InboxItem)>, CoreError> {
    let Some(message) = s.visible_messages(&[id])?.pop() else {
        return Ok(None);
    };
    let chat = s.inbox_item(message.conversation_id)?;
    Ok(Some((message, chat)))
}
