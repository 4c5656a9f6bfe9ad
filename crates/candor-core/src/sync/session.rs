//! The engine's loop: connect, say hello, catch up, then serve frames, sends and
//! commands until the connection drops; then wait with backoff and start over.
//!
//! Every stream position is kept with the relay epoch it was given in (from
//! the welcome), and the catch-up names the epochs our messages were
//! acknowledged in: the relay's History answer sends back to the outbox what
//! a relay restored from an older copy has lost (see `Store::reoffer_lost`).

use std::collections::{HashMap, HashSet};
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

use candor_protocol::frames::{
    ClientFrame, MAX_EPOCHS_ASKED, MAX_FETCH, MAX_FRAME_BYTES, RelayFrame,
};
use candor_protocol::{ConversationId, EpochId, MessageId, PROTOCOL_VERSION};

use super::upload::{Refusal, Uploaded, Uploads};
use super::{Backoff, Command, Heartbeat, next_sends, with_store};
use crate::account::RelayClient;
use crate::notice::{Connection, Notice};
use crate::{CoreError, Store};

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
pub(super) enum End {
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

    pub(super) fn emit(&self, notice: Notice) {
        let _ = self.events.send(notice);
    }

    pub(super) fn connection(&self, state: Connection, reason: Option<String>) {
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
        let tls = crate::tls::client_config().map_err(|e| End::Lost(e.to_string()))?;
        let connecting = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(config),
            true,
            Some(tokio_tungstenite::Connector::Rustls(tls)),
        );
        let answer = tokio::time::timeout(ANSWER_WITHIN, connecting).await;
        if let Ok(Err(e)) = &answer
            && let Some(why) = crate::tls::certificate_problem(e)
        {
            // Worded once, by the error the relay's HTTP calls give too.
            let untrusted = crate::account::AccountError::Untrusted {
                url: self.relay.base().to_owned(),
                reason: why.to_owned(),
            };
            return Err(End::Lost(untrusted.to_string()));
        }
        let (mut socket, _) = match answer {
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
        let mut uploads = Uploads::new();
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
                        if let Err(e) = self.pump(&mut socket, &mut in_flight, &mut uploads).await {
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
                    let applied = match self.frames(frames, &mut in_flight).await {
                        Ok(a) => a,
                        Err(end) => return end,
                    };
                    // Seqs missing between messages held: ask for them, once
                    // a session (a hole the account may not read stays one).
                    for (conversation, low, high) in applied.gaps {
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
                    // Tell the senders their messages arrived here: not a
                    // stranger whose chat is still a Request, nor someone
                    // blocked (the store said which, as it stored them).
                    for (conversation, seq) in applied.delivered {
                        let frame = ClientFrame::Delivered { conversation_id: conversation, seq };
                        if let Err(e) = send(&mut socket, &frame).await {
                            return End::Lost(e);
                        }
                    }
                    // A chat that stopped being a Request (accepted on
                    // another device, or by replying): its read position,
                    // kept back, goes out.
                    if applied.reads_released && let Err(end) = self.report_reads(&mut socket).await {
                        return end;
                    }
                    if let Err(e) = self.pump(&mut socket, &mut in_flight, &mut uploads).await {
                        return End::Lost(e);
                    }
                }
                Some(done) = uploads.done.recv() => {
                    uploads.finished(&done);
                    if let Err(end) = self.uploaded(done).await {
                        return end;
                    }
                    if let Err(e) = self.pump(&mut socket, &mut in_flight, &mut uploads).await {
                        return End::Lost(e);
                    }
                }
                _ = tick.tick() => {
                    if let Err(e) = self.pump(&mut socket, &mut in_flight, &mut uploads).await {
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

    /// Starts the sends that are due, one per conversation: a send whose
    /// photos are not on the relay yet starts with their upload.
    async fn pump(
        &self,
        socket: &mut Socket,
        in_flight: &mut HashMap<ConversationId, MessageId>,
        uploads: &mut Uploads,
    ) -> Result<(), String> {
        let now = Utc::now();
        let due = with_store(&self.store, move |s| s.due_sends(now))
            .await
            .map_err(|e| e.to_string())?;
        let busy: HashSet<_> = in_flight.keys().copied().chain(uploads.busy()).collect();
        for job in next_sends(due, &busy) {
            if !job.photos.is_empty() && !job.photos_uploaded {
                uploads.start(&self.store, &self.relay, &self.token, &job);
                continue;
            }
            in_flight.insert(job.entry.conversation_id, job.wire_id);
            let frame = ClientFrame::Send {
                photos: job.photos,
                client_id: job.wire_id,
                to: job.to,
                text: job.text,
                card: job.card,
                reply: job.reply,
                reaction: job.reaction,
            };
            send(socket, &frame).await?;
        }
        Ok(())
    }
}

/// How long a job whose upload failed `attempts` times waits: 10 s, doubled
/// each time, at most 15 minutes (a link too slow for a photo is not
/// hammered, and the photo still goes once it can).
fn upload_again_after(attempts: u32) -> chrono::Duration {
    chrono::Duration::seconds(10 << attempts.min(7)).min(chrono::Duration::minutes(15))
}

impl Engine {
    /// What an upload's end means for its message: it may go now (the next
    /// pump sends it), it waits and tries again, or it is not sent.
    async fn uploaded(&self, done: Uploaded) -> Result<(), End> {
        let wire_id = done.wire_id;
        match done.outcome {
            Ok(()) => Ok(()),
            Err(Refusal::ForNow(reason)) => {
                tracing::info!(%wire_id, %reason, "photos not uploaded yet");
                let after = upload_again_after(done.attempts);
                with_store(&self.store, move |s| s.retry_later(wire_id, after, &reason))
                    .await
                    .map_err(store_lost)
            }
            Err(Refusal::ForGood(reason)) => {
                let changed = with_store(&self.store, move |s| {
                    let id = s.mark_failed(wire_id)?;
                    super::apply::shown_with_chat(s, id)
                })
                .await
                .map_err(store_lost)?;
                if let Some((message, chat)) = changed {
                    self.emit(Notice::SendFailed {
                        message,
                        chat,
                        reason,
                    });
                }
                Ok(())
            }
        }
    }

    /// The epoch of the relay this connection talks to.
    pub(super) fn session_epoch(&self) -> Result<EpochId, End> {
        self.epoch
            .ok_or_else(|| End::Lost("a frame came before the relay's welcome".into()))
    }
}

pub(super) fn store_lost(e: CoreError) -> End {
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
