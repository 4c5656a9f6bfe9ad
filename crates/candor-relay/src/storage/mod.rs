//! What the relay keeps, behind a trait so that backends can be swapped without
//! touching the handlers. Calls are blocking; handlers run them with
//! `spawn_blocking`. Every write is durable before the call returns, which is what
//! lets the relay acknowledge a send only after it is safe.

pub mod blobs;
pub mod doorbell;
mod postgres;
mod sqlite;

use chrono::{DateTime, Utc};

use candor_protocol::api::{AccountSettings, UserInfo};
use candor_protocol::frames::{ConversationInfo, Recipient};
use candor_protocol::{
    BlobId, ConversationId, DeliveredMessage, EpochId, MessageId, MessageText, PhotoKind, PhotoRef,
    RelayId, SessionId, UserId, VideoCard,
};

pub use self::postgres::{DatabaseLink, PostgresStorage, migrate as migrate_postgres};
pub use sqlite::SqliteStorage;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the handle is taken")]
    HandleTaken,
    #[error("no such user")]
    UnknownUser,
    #[error("you are not a member of that conversation")]
    NotMember,
    #[error("you can't message this person")]
    Blocked,
    #[error("this person only accepts messages from their contacts")]
    NotAccepting,
    #[error("{0}")]
    InvalidGroup(String),
    /// A reply that quotes a message of another chat.
    #[error("{0}")]
    InvalidReply(String),
    /// A reaction that is not one emoji on a message of its own chat.
    #[error("{0}")]
    InvalidReaction(String),
    /// A photo whose sender has not uploaded it (or not since a restore).
    #[error("a photo of this message is not on the relay: upload it, then send again")]
    PhotoNotUploaded(BlobId),
    /// A photo that is not what its bytes are.
    #[error("{0}")]
    InvalidPhoto(String),
    /// A reaction in a chat the relay does not hold (yet: after a restore,
    /// the message that makes it is offered again too).
    #[error("that chat is not on this relay (yet); send the reaction again after its messages")]
    ReactionBeforeItsChat,
    /// Sign-up on an invite-only relay without a valid invite code.
    #[error("{0}")]
    InviteNeeded(String),
    /// A send past one of the relay's quotas (the sentence says which).
    #[error("{0}")]
    QuotaExceeded(String),
    /// Something only a group's admins may do.
    #[error("{0}")]
    NotAdmin(String),
    #[error("cannot open the relay's data directory {path}: {reason}")]
    Open { path: String, reason: String },
    #[error(
        "the relay's data directory {path} is in use by another relay process; \
         stop that one first (two relays on one directory would number messages alike)"
    )]
    InUse { path: String },
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// With its causes: the `postgres` crate's own message names only the
    /// kind ("db error", "error performing TLS handshake"), and the reason
    /// (the server's message, an untrusted certificate) is its source.
    #[error("database error: {}", with_causes(.0))]
    Postgres(#[from] ::postgres::Error),
    /// No connection to the database could be had in time (PostgreSQL down,
    /// or every connection of the pool busy).
    #[error("the database cannot be reached: {0}")]
    Unavailable(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The link to the database would not be private, or could not be
    /// checked (see `DatabaseLink`).
    #[error("{0}")]
    Insecure(String),
}

/// `error`'s message followed by its sources'.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut said = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let more = e.to_string();
        if !said.contains(&more) {
            said.push_str(": ");
            said.push_str(&more);
        }
        cause = e.source();
    }
    said
}

impl StorageError {
    /// A refusal of one request (as opposed to a failure of the store itself).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::HandleTaken
                | Self::UnknownUser
                | Self::NotMember
                | Self::Blocked
                | Self::NotAccepting
                | Self::InvalidGroup(_)
                | Self::NotAdmin(_)
                | Self::QuotaExceeded(_)
                | Self::InviteNeeded(_)
                | Self::InvalidReply(_)
                | Self::InvalidReaction(_)
                | Self::PhotoNotUploaded(_)
                | Self::InvalidPhoto(_)
                | Self::ReactionBeforeItsChat
                | Self::Corrupt(_)
        )
    }
}

/// A group's title as stored: trimmed, 1 to 64 characters, no control
/// characters (a NUL is not text, and PostgreSQL refuses it).
pub(crate) fn group_title(title: &str) -> Result<&str, StorageError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 64 || title.chars().any(char::is_control) {
        return Err(StorageError::InvalidGroup(
            "a group needs a title of 1 to 64 characters, without control characters".into(),
        ));
    }
    Ok(title)
}

/// Refuses a total of `bytes` stored by one account past the quota (0: none).
pub(crate) fn check_bytes(quotas: Quotas, bytes: u64) -> Result<(), StorageError> {
    if quotas.stored_bytes > 0 && bytes > quotas.stored_bytes {
        return Err(StorageError::QuotaExceeded(format!(
            "your messages and photos fill the {} MiB this relay keeps for one account; \
             it takes no more from you",
            quotas.stored_bytes.div_ceil(1024 * 1024)
        )));
    }
    Ok(())
}

/// One account as its operator sees it: who, since when, whether
/// suspended, its signed-in devices and what it uses of its quotas.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountUsage {
    pub handle: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub suspended: bool,
    pub sessions: u64,
    pub messages_today: u64,
    pub bytes_stored: u64,
}

/// One rate limit's counter: at most `max` events of `what` under `key` in
/// any `window` (0: no limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateKey {
    pub what: &'static str,
    pub key: String,
    pub max: u64,
    pub window: std::time::Duration,
}

/// How much one account may send: messages per UTC day, and bytes of text
/// and cards, and of photos, stored in all (nothing is ever deleted). 0: no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quotas {
    pub messages_per_day: u64,
    pub stored_bytes: u64,
}

/// A send, as the relay received it from `sender`.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub sender: UserId,
    pub client_id: MessageId,
    pub to: Recipient,
    pub text: MessageText,
    pub card: Option<VideoCard>,
    /// The message it replies to, quoted.
    pub reply: Option<candor_protocol::Quote>,
    /// Set when it is a reaction (its text is the emoji).
    pub reaction: Option<candor_protocol::Reaction>,
    /// Its photos, each uploaded by the sender first; `text` is the caption.
    pub photos: Vec<PhotoRef>,
    pub at: DateTime<Utc>,
}

/// The result of storing a message.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The stored message (the earlier one, for a repeated client id).
    pub message: DeliveredMessage,
    /// Its position in the relay's stream, the catch-up cursor.
    pub cursor: u64,
    /// True when this client id had been stored before: nothing new was written.
    pub duplicate: bool,
    /// True when this message created the conversation.
    pub created: bool,
    /// True when this message, a reply, accepted a request from the others.
    pub accepted: bool,
    /// A new conversation, or a request the sender accepted by replying.
    pub announcement: Announcement,
    /// Everyone who receives it, the sender included.
    pub members: Vec<UserId>,
}

/// A live session, found by its token's hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    pub user: UserInfo,
    pub id: SessionId,
    pub last_seen_at: DateTime<Utc>,
}

/// One of an account's live sessions, as its list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id: SessionId,
    pub device_name: String,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Which of them asked is known by this; it never leaves the relay.
    pub token_hash: Vec<u8>,
}

pub trait Storage: Send + Sync + 'static {
    /// Creates an account. The handle must already be normalized.
    fn create_user(
        &self,
        handle: &str,
        display_name: &str,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<UserInfo, StorageError> {
        self.create_invited_user(handle, display_name, password_hash, None, at)
    }

    /// [`Storage::create_user`] that, on an invite-only relay, spends the
    /// invite whose code hashes to `invite` (InviteNeeded without one).
    fn create_invited_user(
        &self,
        handle: &str,
        display_name: &str,
        password_hash: &str,
        invite: Option<&[u8]>,
        at: DateTime<Utc>,
    ) -> Result<UserInfo, StorageError>;

    /// Every account (or the one called `handle`) and what it uses, as of `now`.
    fn accounts(
        &self,
        handle: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountUsage>, StorageError>;

    /// Suspends the account called `handle` (ending its sessions), or lets
    /// it back; returns its id.
    fn set_suspended(
        &self,
        handle: &str,
        suspended: bool,
        at: DateTime<Utc>,
    ) -> Result<UserId, StorageError>;

    fn is_suspended(&self, user: UserId) -> Result<bool, StorageError>;

    /// Counts one event under each of `keys`, all or none: if one of them
    /// has used up its window, nothing is counted, and that key (its index
    /// in `keys`) is returned with the wait until its window ends.
    fn count_events(
        &self,
        keys: &[RateKey],
        at: DateTime<Utc>,
    ) -> Result<Option<(usize, std::time::Duration)>, StorageError>;

    /// Takes back one event counted under `key` (an attempt that succeeded),
    /// or, with `forget`, all of them.
    fn uncount_event(&self, key: &RateKey, forget: bool) -> Result<(), StorageError>;

    /// Whether new accounts need an invite code.
    fn invite_only(&self) -> Result<bool, StorageError>;

    fn set_invite_only(&self, on: bool) -> Result<(), StorageError>;

    /// Records an invite code (by its hash) that signs up one account.
    fn create_invite(&self, code_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError>;

    /// The account and its password hash, for signing in.
    fn credentials(&self, handle: &str) -> Result<Option<(UserInfo, String)>, StorageError>;

    fn user_by_handle(&self, handle: &str) -> Result<Option<UserInfo>, StorageError>;

    fn create_session(
        &self,
        user: UserId,
        token_hash: &[u8],
        device_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError>;

    /// The session of `token_hash` if it is live: not revoked, and heard
    /// from since `active_since`.
    fn session(
        &self,
        token_hash: &[u8],
        active_since: DateTime<Utc>,
    ) -> Result<Option<LiveSession>, StorageError>;

    /// Records that a session was heard from at `at`.
    fn touch_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError>;

    /// `user`'s live sessions (heard from since `active_since`), the most
    /// recently seen first.
    fn sessions_of(
        &self,
        user: UserId,
        active_since: DateTime<Utc>,
    ) -> Result<Vec<SessionRow>, StorageError>;

    /// Revokes a session; false if it was not live.
    fn revoke_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<bool, StorageError>;

    /// Revokes `user`'s session `id`; its token hash, or None if `user` has
    /// no live session of that id.
    fn revoke_session_by_id(
        &self,
        user: UserId,
        id: SessionId,
        at: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, StorageError>;

    /// Revokes every live session of `user` but `keep`; their token hashes.
    fn revoke_other_sessions(
        &self,
        user: UserId,
        keep: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<Vec<u8>>, StorageError>;

    /// Sets `user`'s password hash and revokes every session but `keep`, in
    /// one transaction; the revoked sessions' token hashes.
    fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<Vec<u8>>, StorageError>;

    /// Stores a batch of messages durably in one transaction (one fsync: group
    /// commit), each with its conversation's next seq, in the batch's order. Each
    /// message succeeds or fails on its own; a repeated client id returns the
    /// earlier result. A direct recipient's conversation is created on the first
    /// message. The outer error means nothing was stored.
    fn store_messages(
        &self,
        batch: Vec<NewMessage>,
    ) -> Result<Vec<Result<Stored, StorageError>>, StorageError>;

    /// Where this relay keeps photos' bytes.
    fn blob_store(&self) -> &dyn blobs::BlobStore;

    /// Refuses an upload of `bytes` more by `user` that its quota has no
    /// room for, before the bytes are kept (they would be kept for nothing).
    /// A blob `user` uploaded before needs no room.
    fn upload_room(&self, user: UserId, blob: &BlobId, bytes: u64) -> Result<(), StorageError>;

    /// Records `user`'s upload of `blob`, whose bytes are kept already:
    /// `user` may now name it in a message, and its bytes count against
    /// `user`'s quota (once, however often it is uploaded).
    fn record_upload(
        &self,
        user: UserId,
        blob: &BlobId,
        kind: PhotoKind,
        bytes: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError>;

    /// The blob's kind, if `user` may fetch it: they uploaded it, or a
    /// message of a chat names it at a seq they may read. None for a blob
    /// that is not here: who may not fetch it cannot tell whether it is.
    fn readable_blob(&self, user: UserId, blob: &BlobId)
    -> Result<Option<PhotoKind>, StorageError>;

    /// Keeps a photo `user` uploaded, whose bytes hash to `blob`: the bytes
    /// first, then the rows that name them (see [`blobs`]).
    fn store_blob(
        &self,
        user: UserId,
        blob: &BlobId,
        kind: PhotoKind,
        bytes: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.upload_room(user, blob, bytes.len() as u64)?;
        self.blob_store().put(blob, bytes)?;
        self.record_upload(user, blob, kind, bytes.len() as u64, at)
    }

    /// The blob's kind and bytes, if `user` may fetch it.
    fn blob_for(
        &self,
        user: UserId,
        blob: &BlobId,
    ) -> Result<Option<(PhotoKind, Vec<u8>)>, StorageError> {
        let Some(kind) = self.readable_blob(user, blob)? else {
            return Ok(None);
        };
        match self.blob_store().get(blob)? {
            Some(bytes) => Ok(Some((kind, bytes))),
            None => Err(StorageError::Corrupt(format!(
                "blob {blob} is recorded but its bytes are not kept"
            ))),
        }
    }

    /// Every conversation `user` is a member of, as `user` sees it.
    fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationInfo>, StorageError>;

    /// How `conversation` looks now to each of `tell` (as an announcement
    /// of a change to it tells them, those taken out of it included): for
    /// the other nodes of a relay, which hear only that it changed.
    fn announcement_for(
        &self,
        conversation: ConversationId,
        tell: &[UserId],
    ) -> Result<Announcement, StorageError>;

    /// One conversation as `viewer` sees it (its request flag is the viewer's).
    fn conversation_for(
        &self,
        conversation: ConversationId,
        viewer: UserId,
    ) -> Result<ConversationInfo, StorageError>;

    /// The quotas sends are held to from now on.
    fn set_quotas(&self, quotas: Quotas);

    /// Creates a group of `creator` and `members`, announced to all of them.
    fn create_group(
        &self,
        creator: UserId,
        title: &str,
        members: &[UserId],
        at: DateTime<Utc>,
    ) -> Result<Announcement, StorageError>;

    /// `actor` (a member) adds `user` to a group, announced to every member.
    fn add_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Announcement, StorageError>;

    /// `actor`, an admin, takes `user` out of a group (or `user` leaves, if
    /// it is them), announced to the members who remain and to `user`.
    fn remove_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Announcement, StorageError>;

    /// `actor`, an admin, makes `user`, a member, an admin too.
    fn make_admin(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Announcement, StorageError>;

    /// `user` leaves a group, announced to the members who remain.
    fn leave(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Announcement, StorageError>;

    /// `user` accepts a request: the conversation moves to the inbox and its other
    /// members become contacts.
    fn accept(
        &self,
        user: UserId,
        conversation: ConversationId,
        at: DateTime<Utc>,
    ) -> Result<Accepted, StorageError>;

    /// Renames `user` (the display name; the handle never changes).
    fn set_display_name(&self, user: UserId, display_name: &str) -> Result<UserInfo, StorageError>;

    fn settings(&self, user: UserId) -> Result<AccountSettings, StorageError>;
    fn set_settings(&self, user: UserId, settings: &AccountSettings) -> Result<(), StorageError>;

    fn block(&self, user: UserId, blocked: UserId, at: DateTime<Utc>) -> Result<(), StorageError>;
    fn unblock(&self, user: UserId, blocked: UserId) -> Result<(), StorageError>;

    /// Records how far `user` has received and read a conversation (never moving
    /// back).
    fn record_receipt(
        &self,
        user: UserId,
        conversation: ConversationId,
        delivered: Option<i64>,
        read: Option<i64>,
    ) -> Result<ReceiptRecorded, StorageError>;

    /// The receipts in `user`'s conversations: the other members' as they may
    /// be seen, and `user`'s own in full.
    fn receipts_for(&self, user: UserId) -> Result<Vec<Receipt>, StorageError>;

    /// Who may see what `user`, a member, does in `conversation` (typing):
    /// the other members, but no one with a block between them and `user`
    /// (NotMember if `user` is not in it).
    fn audience_of(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Vec<UserId>, StorageError>;

    /// The messages of `conversation` with seqs strictly between `after` and
    /// `before` that `user` may read (inside one of their member spans), in
    /// seq order, with their cursors: what a device missing them asks for.
    fn messages_between(
        &self,
        user: UserId,
        conversation: ConversationId,
        after: i64,
        before: i64,
    ) -> Result<Vec<(u64, DeliveredMessage)>, StorageError>;

    /// This relay and the epoch this process runs in (a new one per open).
    fn identity(&self) -> (RelayId, EpochId);

    /// Whether the store answers a trivial read now (`/healthz`).
    fn healthy(&self) -> Result<(), StorageError>;

    /// Looks whether the store began a new epoch since this process last
    /// looked (a shared database that restarted), and if so takes it up
    /// (see `identity`). A store of one process begins one only at open.
    fn check_epoch(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// The doorbell of a store that several nodes share (see
    /// `crate::cluster`); None for a store of one process.
    fn doorbell(&self) -> Option<std::sync::Arc<dyn doorbell::Doorbell>> {
        None
    }

    /// The last cursor of `epoch` this data directory still holds; None if its
    /// history has no such epoch (a copy from before it, or another relay).
    fn epoch_kept_through(&self, epoch: EpochId) -> Result<Option<u64>, StorageError>;

    /// Messages for `user` after `cursor`, oldest first, at most `limit`: those
    /// with seqs inside one of `user`'s member spans of their conversation.
    fn stream_after(
        &self,
        user: UserId,
        cursor: u64,
        limit: u32,
    ) -> Result<Vec<(u64, DeliveredMessage)>, StorageError>;
}

/// How a conversation now looks to each member who must hear of a change: a
/// new conversation, a changed membership, a request accepted. The storage
/// builds it in the transaction that made the change, so what is announced is
/// what was committed; the relay publishes it with `Hub::announce`.
#[derive(Clone, Debug, Default)]
pub struct Announcement(pub Vec<(UserId, ConversationInfo)>);

impl Announcement {
    /// The conversation as `member` now sees it, if they are told of it.
    pub fn view_of(&self, member: UserId) -> Option<&ConversationInfo> {
        self.0.iter().find(|(m, _)| *m == member).map(|(_, v)| v)
    }
}

/// A request accepted (see `Storage::accept`).
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The accepter's receipt, its reads now shared in full.
    pub receipt: Receipt,
    /// The other members, who get that receipt.
    pub others: Vec<UserId>,
    /// The conversation as the accepter now sees it (no longer a request).
    pub announcement: Announcement,
}

/// A receipt recorded (see `Storage::record_receipt`).
#[derive(Clone, Debug)]
pub struct ReceiptRecorded {
    /// The receipt as the other members may see it.
    pub shared: Receipt,
    /// The member's own receipt in full, for their devices.
    pub own: Receipt,
    /// Whether anything moved.
    pub moved: bool,
    /// The other members to tell (none when nothing moved).
    pub others: Vec<UserId>,
}

/// How far one member has received and read a conversation, as others may see it:
/// while the conversation is a request for that member, reads are not shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    pub conversation: ConversationId,
    pub user: UserId,
    pub delivered_seq: i64,
    pub read_seq: i64,
}
