//! The WebSocket: authenticated on upgrade (bearer token, Origin), then a hello
//! with the protocol version, then sends, catch-up and live delivery.
//!
//! A malformed frame gets an error frame and the connection stays up; a frame over
//! [`MAX_FRAME_BYTES`] or a version mismatch gets an error frame and a close.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures_util::stream::{FuturesOrdered, SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};

use candor_protocol::api::{ApiError, ErrorCode, UserInfo};
use candor_protocol::frames::{ClientFrame, MAX_CARD_BYTES, MAX_FRAME_BYTES, RelayFrame};
use candor_protocol::{ConversationId, EpochId, MessageId, PROTOCOL_VERSION};

use crate::http::{authenticate, blocking};
use crate::hub::Live;
use crate::storage::NewMessage;
use crate::{RelayError, RelayState};

mod budget;
mod catch_up;
mod typing;

use catch_up::CATCH_UP_BATCH;

/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// A write the client has not taken in this long: the link is dead (a client
/// that stopped reading fills the socket's buffers, and the write would wait
/// for ever, holding the connection's memory).
const WRITE_WITHIN: Duration = Duration::from_secs(15);
/// Sends one connection may have waiting for the writer.
const MAX_PENDING_SENDS: usize = 64;
/// Live frames written to the socket before it is flushed, at most.
const FLUSH_EVERY: usize = 64;
/// The socket's read buffer, held for as long as the connection is open.
/// tungstenite zeroes the unused part of it before every read, so its 128
/// KiB default costs more than it saves for small frames; and most
/// connections are idle apps, which it costs memory and nothing else. At 16
/// KiB an idle connection cost 30 KiB of the relay's memory, at 4 KiB 17
/// (`cargo xtask bench relay --idle`). A larger frame takes more reads.
const READ_BUFFER_BYTES: usize = 4 * 1024;

pub async fn upgrade(
    State(state): State<RelayState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, RelayError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| state.inner.config.allowed_origins.iter().any(|a| a == o));
        if !allowed {
            return Err(RelayError::Forbidden(
                "pages from this origin may not connect to the relay".into(),
            ));
        }
    }
    state.hears_others()?;
    let (user, session) = authenticate(&state, &headers).await?;
    // Held for as long as the connection: a script cannot open sockets (and
    // their queues) without end, from one account or from one address.
    let account_slot = state
        .inner
        .sockets_per_account
        .take(&user.id.to_string())
        .ok_or_else(|| {
            RelayError::TooManyConnections(format!(
                "this account has {} connections open already; close one first",
                state.inner.config.sockets_per_account
            ))
        })?;
    let address_slot = state
        .inner
        .sockets_per_address
        .take(&state.client_key(peer, &headers))
        .ok_or_else(|| {
            RelayError::TooManyConnections(
                "too many connections from this address; close some first".into(),
            )
        })?;
    Ok(ws
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            Connection::run(state, user, session, socket).await;
            drop((account_slot, address_slot));
        }))
}

/// A page of a catch-up, being read from storage.
type PendingPage = Pin<
    Box<
        dyn Future<Output = Result<Vec<(u64, candor_protocol::DeliveredMessage)>, RelayError>>
            + Send,
    >,
>;

/// A send handed to the writer, answered in the order the sends came in.
type PendingSend = Pin<
    Box<
        dyn Future<
                Output = (
                    MessageId,
                    Instant,
                    Result<crate::storage::Stored, RelayError>,
                ),
            > + Send,
    >,
>;

struct Connection {
    state: RelayState,
    user: UserInfo,
    sink: SplitSink<WebSocket, Message>,
    /// The last stream position sent, once the client has caught up.
    delivered: Option<u64>,
    /// The last stream position sent while catching up: the next page
    /// starts after it.
    catching: Option<u64>,
    /// Live frames that came while catching up, passed on (without repeats)
    /// once it is done: a message stored after the last page was read is
    /// only here.
    held: Vec<Live>,
    /// Sends waiting for the writer. Several can wait at once, so that a client
    /// that pipelines sends shares fsyncs too; acks still go out in order.
    pending: FuturesOrdered<PendingSend>,
    /// Conversations this connection has described to the client: a message of
    /// any other is preceded by its Conversation frame.
    announced: HashSet<ConversationId>,
    /// When each chat's typing indicator was last passed on.
    typing: typing::Throttle,
    /// Frames per second this client may send (see `budget`).
    budget: budget::FrameBudget,
    /// Frames queued on the socket but not yet flushed.
    unflushed: usize,
    /// This connection's id in the hub, once registered: its own sends are not
    /// delivered back to it (the ack says all it needs).
    hub_id: Option<u64>,
    /// The epoch named in the welcome: every cursor this connection sends
    /// is read by the client as a position in it.
    epoch: Option<EpochId>,
}

enum Flow {
    Continue,
    Close,
}

impl Connection {
    async fn run(state: RelayState, user: UserInfo, session: Vec<u8>, socket: WebSocket) {
        let (sink, mut stream) = socket.split();
        let mut conn = Connection {
            state: state.clone(),
            user,
            sink,
            delivered: None,
            catching: None,
            held: Vec::new(),
            pending: FuturesOrdered::new(),
            announced: HashSet::new(),
            typing: typing::Throttle::default(),
            budget: budget::FrameBudget::new(state.inner.config.frames_per_second, Instant::now()),
            unflushed: 0,
            hub_id: None,
            epoch: None,
        };
        if !conn.hello(&mut stream).await || matches!(conn.flush().await, Flow::Close) {
            let _ = conn.sink.close().await;
            return;
        }
        let user_id = conn.user.id;
        let (id, mut live) = state.inner.hub.register(user_id, session.clone());
        conn.hub_id = Some(id);
        state.inner.metrics.connections.inc();
        // Signed out between the upgrade and now? Registering came too late for
        // the sign-out to close this socket, so look again.
        let (state2, hash) = (state.clone(), session.clone());
        let still_valid = blocking(move || crate::sessions::renew(&state2, &hash))
            .await
            .is_ok_and(|user| user.is_some());
        // A session in use stays signed in: renewed while the socket is open
        // (a device may keep one socket for weeks).
        let renew_every = crate::sessions::renew_after(state.inner.config.session_idle)
            .to_std()
            .unwrap_or(Duration::from_secs(3600));
        let mut renewed = Instant::now();
        let mut shutdown = state.inner.shutdown.clone();
        let (ping_every, silent_after) = (
            state.inner.config.ping_every,
            state.inner.config.silent_after,
        );
        // The first ping one period in: the hello just showed the link works.
        let mut beat = tokio::time::interval_at((Instant::now() + ping_every).into(), ping_every);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // When anything last came from the client: a frame, a pong.
        let mut heard = Instant::now();
        let mut open = still_valid;
        // The catch-up page being read, kept across turns of the loop so that
        // frames from the client (acks to answer, receipts) are served while
        // a long backlog goes out, and a page once asked for is not asked
        // for again.
        let mut page: Option<PendingPage> = None;
        while open {
            if let (Some(after), None) = (conn.catching, &page) {
                let storage = state.storage();
                page = Some(Box::pin(blocking(move || {
                    Ok(storage.stream_after(user_id, after, CATCH_UP_BATCH)?)
                })));
            }
            let now = Instant::now();
            let read_at = conn.budget.ready_at(now);
            let flow = tokio::select! {
                _ = shutdown.changed() => Flow::Close,
                // Back-pressure: a client with many sends waiting is not read from
                // until the writer catches up, nor one past its frames per second
                // until it has a token again.
                incoming = stream.next(), if conn.pending.len() < MAX_PENDING_SENDS && read_at <= now => {
                    heard = Instant::now();
                    conn.budget.spend();
                    conn.incoming(incoming).await
                }
                _ = tokio::time::sleep_until(read_at.into()), if read_at > now => Flow::Continue,
                _ = beat.tick() => {
                    if heard.elapsed() >= silent_after {
                        tracing::info!(user = %user_id, "closing a connection that went silent");
                        Flow::Close
                    } else if renewed.elapsed() >= renew_every {
                        renewed = Instant::now();
                        let (state2, hash) = (state.clone(), session.clone());
                        match blocking(move || crate::sessions::renew(&state2, &hash)).await {
                            Ok(Some(_)) => conn.ping().await,
                            // Signed out, or idle too long: the socket goes too.
                            _ => Flow::Close,
                        }
                    } else {
                        conn.ping().await
                    }
                }
                queued = live.recv() => match queued {
                    Some(l) => conn.live(l).await,
                    // Dropped by the hub: too slow, or signed out.
                    None => Flow::Close,
                },
                Some((client_id, started, result)) = conn.pending.next(), if !conn.pending.is_empty() => {
                    conn.answer_send(client_id, started, result).await
                }
                read = async { page.as_mut().expect("a page is asked for").await }, if page.is_some() => {
                    page = None;
                    conn.catch_up_page(read).await
                }
            };
            open = matches!(flow, Flow::Continue);
            // The burst is over when no live frame and no answer waits: flush
            // what it queued, so that a batch's acks and deliveries to this
            // client leave in one write rather than one each.
            while open && conn.unflushed > 0 {
                let flow = if let Ok(l) = live.try_recv() {
                    conn.live(l).await
                } else if let Some(Some((client_id, started, result))) =
                    conn.pending.next().now_or_never()
                {
                    conn.answer_send(client_id, started, result).await
                } else {
                    conn.flush().await
                };
                open = matches!(flow, Flow::Continue);
            }
        }
        state.inner.hub.unregister(user_id, id);
        state.inner.metrics.connections.dec();
        let _ = conn.sink.close().await;
    }

    /// Waits for the client's hello; false if the connection must close.
    async fn hello(&mut self, stream: &mut SplitStream<WebSocket>) -> bool {
        let first = tokio::time::timeout(HELLO_TIMEOUT, stream.next()).await;
        let text = match first {
            Ok(Some(Ok(Message::Text(t)))) => t,
            _ => {
                self.error(ErrorCode::Malformed, "say hello first", None)
                    .await;
                return false;
            }
        };
        match serde_json::from_str::<ClientFrame>(&text) {
            Ok(ClientFrame::Hello { protocol_version }) if protocol_version == PROTOCOL_VERSION => {
                let (relay, epoch) = self.state.storage().identity();
                self.epoch = Some(epoch);
                let welcome = RelayFrame::Welcome {
                    user: self.user.clone(),
                    protocol_version: PROTOCOL_VERSION,
                    relay,
                    epoch,
                };
                self.send(&welcome).await
            }
            Ok(ClientFrame::Hello { protocol_version }) => {
                let msg = if protocol_version < PROTOCOL_VERSION {
                    format!(
                        "this relay speaks protocol {PROTOCOL_VERSION} and this Candor speaks {protocol_version}: please update Candor"
                    )
                } else {
                    format!(
                        "this relay speaks protocol {PROTOCOL_VERSION} and this Candor speaks {protocol_version}: the relay needs an update"
                    )
                };
                self.error(ErrorCode::VersionMismatch, &msg, None).await;
                false
            }
            _ => {
                self.error(ErrorCode::Malformed, "say hello first", None)
                    .await;
                false
            }
        }
    }

    async fn incoming(&mut self, incoming: Option<Result<Message, axum::Error>>) -> Flow {
        match incoming {
            None | Some(Ok(Message::Close(_))) => Flow::Close,
            Some(Err(e)) => {
                // The socket is unusable after a read error; say why if we can.
                let too_large = e.to_string().to_lowercase().contains("too long")
                    || e.to_string().to_lowercase().contains("too big");
                if too_large {
                    let msg = format!("frames are limited to {MAX_FRAME_BYTES} bytes");
                    self.error(ErrorCode::TooLarge, &msg, None).await;
                }
                Flow::Close
            }
            Some(Ok(Message::Text(text))) => self.frame(&text).await,
            Some(Ok(Message::Binary(_))) => {
                self.error(ErrorCode::Malformed, "frames are JSON text", None)
                    .await;
                Flow::Continue
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Flow::Continue,
        }
    }

    async fn frame(&mut self, text: &str) -> Flow {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(e) => {
                // JSON of the wrong shape (a text too long, a missing field) is
                // invalid; anything else is malformed. Name the send if we can.
                let value = serde_json::from_str::<serde_json::Value>(text).ok();
                let client_id = value
                    .as_ref()
                    .and_then(|v| v.get("client_id"))
                    .and_then(|v| serde_json::from_value::<MessageId>(v.clone()).ok());
                let code = if value.is_some() {
                    ErrorCode::Invalid
                } else {
                    ErrorCode::Malformed
                };
                self.error(code, &format!("cannot read that frame: {e}"), client_id)
                    .await;
                return Flow::Continue;
            }
        };
        match frame {
            ClientFrame::Hello { .. } => {
                self.error(ErrorCode::Malformed, "already said hello", None)
                    .await;
                Flow::Continue
            }
            ClientFrame::Send {
                client_id,
                to,
                text,
                card,
                reply,
                reaction,
                photos,
            } => {
                if let Err(e) = candor_protocol::check_content(
                    &text,
                    card.is_some(),
                    &photos,
                    reaction.is_some(),
                ) {
                    self.error(ErrorCode::Invalid, &e.to_string(), Some(client_id))
                        .await;
                    return Flow::Continue;
                }
                let card_len = card
                    .as_ref()
                    .and_then(|c| serde_json::to_vec(c).ok())
                    .map_or(0, |v| v.len());
                if card_len > MAX_CARD_BYTES {
                    let msg = format!("a video card is limited to {MAX_CARD_BYTES} bytes");
                    self.error(ErrorCode::Invalid, &msg, Some(client_id)).await;
                    return Flow::Continue;
                }
                // Refused alone, here: in a batch, PostgreSQL would fail
                // every send stored with it.
                if text.as_str().contains('\0') {
                    let msg = "a message can't contain the NUL character (U+0000)";
                    self.error(ErrorCode::Invalid, msg, Some(client_id)).await;
                    return Flow::Continue;
                }
                let new = NewMessage {
                    sender: self.user.id,
                    client_id,
                    to,
                    text,
                    card,
                    reply,
                    reaction,
                    photos,
                    at: self.state.now(),
                };
                self.send_message(new).await
            }
            ClientFrame::CatchUp { after, acked_in } => self.catch_up(after, acked_in).await,
            ClientFrame::Delivered {
                conversation_id,
                seq,
            } => self.receipt(conversation_id, Some(seq), None).await,
            ClientFrame::Read {
                conversation_id,
                seq,
            } => self.receipt(conversation_id, None, Some(seq)).await,
            ClientFrame::Typing { conversation_id } => self.typing(conversation_id).await,
            ClientFrame::Fetch {
                conversation_id,
                after_seq,
                before_seq,
            } => self.fetch(conversation_id, after_seq, before_seq).await,
        }
    }

    /// Records a receipt and tells the other members.
    async fn receipt(
        &mut self,
        conversation: candor_protocol::ConversationId,
        delivered: Option<i64>,
        read: Option<i64>,
    ) -> Flow {
        let user = self.user.id;
        let storage = self.state.storage();
        match blocking(move || Ok(storage.record_receipt(user, conversation, delivered, read)?))
            .await
        {
            Ok(recorded) => {
                let hub = &self.state.inner.hub;
                hub.publish(&recorded.others, &Live::Receipt(recorded.shared));
                if recorded.moved {
                    // The account's other devices move their read position too.
                    hub.publish_except(self.hub_id, &[user], &Live::Receipt(recorded.own));
                }
                // Always answered: the device counts a read as reported only
                // when this comes back, so a dropped link loses none.
                if !self.send(&receipt_frame(recorded.own)).await {
                    return Flow::Close;
                }
            }
            Err(e) => {
                let api = e.to_api();
                self.error(api.code, &api.message, None).await;
            }
        }
        Flow::Continue
    }

    /// Passes a typing indicator to the other members, live only: nothing is
    /// stored. Only a chat the sender is in is remembered by the throttle, so
    /// made-up ids cannot grow this connection's memory.
    async fn typing(&mut self, conversation: candor_protocol::ConversationId) -> Flow {
        let now = Instant::now();
        if !self.typing.may_pass(conversation, now) {
            return Flow::Continue;
        }
        let user = self.user.id;
        let storage = self.state.storage();
        match blocking(move || Ok(storage.audience_of(user, conversation)?)).await {
            Ok(others) => {
                self.typing.passed(conversation, now);
                self.state
                    .inner
                    .hub
                    .publish(&others, &Live::Typing { conversation, user });
            }
            Err(e) => {
                let api = e.to_api();
                self.error(api.code, &api.message, None).await;
            }
        }
        Flow::Continue
    }

    /// Hands a send to the writer, in the order the client sent it (a
    /// client may pipeline several to one chat); the answer goes out when it
    /// is durable.
    async fn send_message(&mut self, new: NewMessage) -> Flow {
        let client_id = new.client_id;
        let started = Instant::now();
        let answer = self.state.inner.writer.submit(new, self.hub_id).await;
        self.pending
            .push_back(Box::pin(async move { (client_id, started, answer.await) }));
        Flow::Continue
    }

    async fn answer_send(
        &mut self,
        client_id: MessageId,
        started: Instant,
        result: Result<crate::storage::Stored, RelayError>,
    ) -> Flow {
        match result {
            Ok(stored) => {
                self.state.inner.metrics.observe_send(started.elapsed());
                if self.epoch_moved() {
                    // Not acked here: the client sends it again on its
                    // next connection, and that ack names the new epoch.
                    return Flow::Close;
                }
                let ack = RelayFrame::Ack {
                    client_id,
                    server_id: stored.message.server_id,
                    conversation_id: stored.message.conversation_id,
                    seq: stored.message.seq,
                    sent_at: stored.message.sent_at,
                    cursor: stored.cursor,
                };
                if self.send(&ack).await {
                    Flow::Continue
                } else {
                    Flow::Close
                }
            }
            Err(e) => {
                let api = e.to_api();
                self.error(api.code, &api.message, Some(client_id)).await;
                Flow::Continue
            }
        }
    }

    /// Sends the conversation's description first if this client has not had it
    /// (one created or joined while catching up). False if the socket is gone.
    async fn announce(&mut self, conversation: ConversationId) -> bool {
        if self.announced.contains(&conversation) {
            return true;
        }
        let user = self.user.id;
        let storage = self.state.storage();
        match blocking(move || Ok(storage.conversation_for(conversation, user)?)).await {
            Ok(info) => {
                self.announced.insert(conversation);
                self.send(&RelayFrame::Conversation(info)).await
            }
            // Not a member any more: the message is still theirs to have.
            Err(_) => true,
        }
    }

    async fn live(&mut self, live: Live) -> Flow {
        if self.catching.is_some() {
            // As many as the hub would have queued for a connection that is
            // not reading: more, and this one is too far behind.
            if self.held.len() >= crate::hub::QUEUE {
                tracing::warn!(user = %self.user.id, "too much live traffic during catch-up; closing");
                return Flow::Close;
            }
            self.held.push(live);
            return Flow::Continue;
        }
        let Some(delivered) = self.delivered else {
            // Not subscribed yet: catch-up will include it.
            return Flow::Continue;
        };
        let frame = match live {
            Live::Conversation(info) => {
                self.announced.insert(info.id);
                RelayFrame::Conversation(info)
            }
            Live::Message {
                cursor,
                conversation,
                frame,
            } => {
                if cursor <= delivered {
                    return Flow::Continue;
                }
                if self.epoch_moved() {
                    // Its catch-up on the next connection brings it.
                    return Flow::Close;
                }
                self.delivered = Some(cursor);
                if !self.announce(conversation).await {
                    return Flow::Close;
                }
                return self.send_text(frame).await;
            }
            Live::Receipt(r) => receipt_frame(r),
            Live::Typing { conversation, user } => RelayFrame::Typing {
                conversation_id: conversation,
                user_id: user,
            },
        };
        match serde_json::to_string(&frame) {
            Ok(json) => self.send_text(json.into()).await,
            Err(e) => {
                tracing::error!(error = %e, "could not encode a frame");
                Flow::Close
            }
        }
    }

    /// True once the store began a new epoch after this connection's welcome
    /// (a database restart, which may have been a restore from a backup):
    /// a cursor sent now belongs to the new epoch, and the client would file
    /// it under the old one. Such a connection closes instead, and the
    /// client's next one is welcomed into the new epoch.
    pub(super) fn epoch_moved(&self) -> bool {
        let moved = self.epoch != Some(self.state.storage().identity().1);
        if moved {
            tracing::info!(user = %self.user.id, "the relay began a new epoch; closing a connection of the old one");
        }
        moved
    }

    /// Queues one frame. Frames come in bursts (live messages, acks, catch-up),
    /// so the socket is flushed when the burst ends (see `run`) or after
    /// [`FLUSH_EVERY`] frames, not once per frame.
    async fn send_text(&mut self, text: Utf8Bytes) -> Flow {
        if let Flow::Close = within_write_time(self.sink.feed(Message::Text(text))).await {
            return Flow::Close;
        }
        self.unflushed += 1;
        if self.unflushed >= FLUSH_EVERY {
            return self.flush().await;
        }
        Flow::Continue
    }

    async fn flush(&mut self) -> Flow {
        self.unflushed = 0;
        within_write_time(self.sink.flush()).await
    }

    /// Asks the client for a pong (its WebSocket answers by itself).
    async fn ping(&mut self) -> Flow {
        within_write_time(self.sink.send(Message::Ping(Default::default()))).await
    }

    async fn error(&mut self, code: ErrorCode, message: &str, client_id: Option<MessageId>) {
        let frame = RelayFrame::Error {
            error: ApiError {
                code,
                message: message.to_owned(),
            },
            client_id,
        };
        self.send(&frame).await;
    }

    /// Queues one frame (see `send_text`); false if the socket is gone.
    async fn send(&mut self, frame: &RelayFrame) -> bool {
        match serde_json::to_string(frame) {
            Ok(json) => matches!(self.send_text(json.into()).await, Flow::Continue),
            Err(e) => {
                tracing::error!(error = %e, "could not encode a frame");
                false
            }
        }
    }
}

/// A write to the socket: the connection closes if it fails or the client has
/// not taken it within [`WRITE_WITHIN`].
async fn within_write_time<E>(write: impl Future<Output = Result<(), E>>) -> Flow {
    match tokio::time::timeout(WRITE_WITHIN, write).await {
        Ok(Ok(())) => Flow::Continue,
        _ => Flow::Close,
    }
}

fn receipt_frame(r: crate::storage::Receipt) -> RelayFrame {
    RelayFrame::Receipt {
        conversation_id: r.conversation,
        user_id: r.user,
        delivered_seq: r.delivered_seq,
        read_seq: r.read_seq,
    }
}
