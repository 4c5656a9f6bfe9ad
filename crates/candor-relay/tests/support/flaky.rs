//! The relay's real store (SQLite, or PostgreSQL when the tests run on it)
//! with one fault that can be armed: reads of the
//! message stream that fail, the way a disk error or a corrupt page fails them.
//! Every other call goes straight to the store.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use candor_protocol::api::{AccountSettings, UserInfo};
use candor_protocol::frames::ConversationInfo;
use candor_protocol::{
    BlobId, ConversationId, DeliveredMessage, EpochId, PhotoKind, RelayId, SessionId, UserId,
};
use candor_relay::storage::blobs::BlobStore;
use candor_relay::storage::{
    Accepted, Announcement, LiveSession, NewMessage, Receipt, ReceiptRecorded, SessionRow, Stored,
};
use candor_relay::{PostgresStorage, SqliteStorage, Storage, StorageError};
use chrono::{DateTime, Utc};

pub struct FlakyStorage {
    inner: Box<dyn Storage>,
    /// Stream reads that still succeed before one fails (usize::MAX: unarmed).
    reads_before_failing: AtomicUsize,
}

impl FlakyStorage {
    pub fn open(data: &Path) -> Self {
        Self {
            inner: match super::postgres::database_for(data) {
                // The blocking client runs a runtime of its own: not on a test's.
                Some(url) => std::thread::spawn(move || {
                    Box::new(PostgresStorage::open(&url).expect("open the store"))
                        as Box<dyn Storage>
                })
                .join()
                .expect("open"),
                None => Box::new(SqliteStorage::open(data).expect("open the store")),
            },
            reads_before_failing: AtomicUsize::new(usize::MAX),
        }
    }

    /// Lets `ok` more reads of the message stream succeed, then fails the next one
    /// (only that one).
    pub fn fail_stream_read_after(&self, ok: usize) {
        self.reads_before_failing.store(ok, Ordering::SeqCst);
    }
}

impl Storage for FlakyStorage {
    fn create_invited_user(
        &self,
        handle: &str,
        display_name: &str,
        password_hash: &str,
        invite: Option<&[u8]>,
        at: DateTime<Utc>,
    ) -> Result<UserInfo, StorageError> {
        self.inner
            .create_invited_user(handle, display_name, password_hash, invite, at)
    }
    fn accounts(
        &self,
        handle: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<candor_relay::storage::AccountUsage>, StorageError> {
        self.inner.accounts(handle, now)
    }
    fn set_suspended(
        &self,
        handle: &str,
        suspended: bool,
        at: DateTime<Utc>,
    ) -> Result<UserId, StorageError> {
        self.inner.set_suspended(handle, suspended, at)
    }
    fn is_suspended(&self, user: UserId) -> Result<bool, StorageError> {
        self.inner.is_suspended(user)
    }
    fn count_events(
        &self,
        keys: &[candor_relay::storage::RateKey],
        at: DateTime<Utc>,
    ) -> Result<Option<(usize, std::time::Duration)>, StorageError> {
        self.inner.count_events(keys, at)
    }
    fn uncount_event(
        &self,
        key: &candor_relay::storage::RateKey,
        forget: bool,
    ) -> Result<(), StorageError> {
        self.inner.uncount_event(key, forget)
    }
    fn invite_only(&self) -> Result<bool, StorageError> {
        self.inner.invite_only()
    }
    fn set_invite_only(&self, on: bool) -> Result<(), StorageError> {
        self.inner.set_invite_only(on)
    }
    fn create_invite(&self, code_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError> {
        self.inner.create_invite(code_hash, at)
    }
    fn credentials(&self, handle: &str) -> Result<Option<(UserInfo, String)>, StorageError> {
        self.inner.credentials(handle)
    }
    fn user_by_handle(&self, handle: &str) -> Result<Option<UserInfo>, StorageError> {
        self.inner.user_by_handle(handle)
    }
    fn create_session(
        &self,
        user: UserId,
        token_hash: &[u8],
        device_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.inner.create_session(user, token_hash, device_name, at)
    }
    fn session(
        &self,
        token_hash: &[u8],
        active_since: DateTime<Utc>,
    ) -> Result<Option<LiveSession>, StorageError> {
        self.inner.session(token_hash, active_since)
    }
    fn touch_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError> {
        self.inner.touch_session(token_hash, at)
    }
    fn sessions_of(
        &self,
        user: UserId,
        active_since: DateTime<Utc>,
    ) -> Result<Vec<SessionRow>, StorageError> {
        self.inner.sessions_of(user, active_since)
    }
    fn revoke_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<bool, StorageError> {
        self.inner.revoke_session(token_hash, at)
    }
    fn revoke_session_by_id(
        &self,
        user: UserId,
        id: SessionId,
        at: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.revoke_session_by_id(user, id, at)
    }
    fn revoke_other_sessions(
        &self,
        user: UserId,
        keep: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<Vec<u8>>, StorageError> {
        self.inner.revoke_other_sessions(user, keep, at)
    }
    fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<Vec<u8>>, StorageError> {
        self.inner.change_password(user, password_hash, keep, at)
    }
    fn store_messages(
        &self,
        batch: Vec<NewMessage>,
    ) -> Result<Vec<Result<Stored, StorageError>>, StorageError> {
        self.inner.store_messages(batch)
    }
    fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationInfo>, StorageError> {
        self.inner.conversations_of(user)
    }
    fn blob_store(&self) -> &dyn BlobStore {
        self.inner.blob_store()
    }
    fn upload_room(&self, user: UserId, blob: &BlobId, bytes: u64) -> Result<(), StorageError> {
        self.inner.upload_room(user, blob, bytes)
    }
    fn record_upload(
        &self,
        user: UserId,
        blob: &BlobId,
        kind: PhotoKind,
        bytes: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.inner.record_upload(user, blob, kind, bytes, at)
    }
    fn readable_blob(
        &self,
        user: UserId,
        blob: &BlobId,
    ) -> Result<Option<PhotoKind>, StorageError> {
        self.inner.readable_blob(user, blob)
    }
    fn conversation_for(
        &self,
        conversation: ConversationId,
        viewer: UserId,
    ) -> Result<ConversationInfo, StorageError> {
        self.inner.conversation_for(conversation, viewer)
    }
    fn announcement_for(
        &self,
        conversation: ConversationId,
        tell: &[UserId],
    ) -> Result<Announcement, StorageError> {
        self.inner.announcement_for(conversation, tell)
    }
    fn create_group(
        &self,
        creator: UserId,
        title: &str,
        members: &[UserId],
        at: DateTime<Utc>,
    ) -> Result<Announcement, StorageError> {
        self.inner.create_group(creator, title, members, at)
    }
    fn add_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Announcement, StorageError> {
        self.inner.add_member(actor, conversation, user, at)
    }
    fn set_quotas(&self, quotas: candor_relay::storage::Quotas) {
        self.inner.set_quotas(quotas)
    }
    fn remove_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Announcement, StorageError> {
        self.inner.remove_member(actor, conversation, user)
    }
    fn make_admin(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Announcement, StorageError> {
        self.inner.make_admin(actor, conversation, user)
    }
    fn leave(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Announcement, StorageError> {
        self.inner.leave(user, conversation)
    }
    fn accept(
        &self,
        user: UserId,
        conversation: ConversationId,
        at: DateTime<Utc>,
    ) -> Result<Accepted, StorageError> {
        self.inner.accept(user, conversation, at)
    }
    fn set_display_name(&self, user: UserId, display_name: &str) -> Result<UserInfo, StorageError> {
        self.inner.set_display_name(user, display_name)
    }
    fn settings(&self, user: UserId) -> Result<AccountSettings, StorageError> {
        self.inner.settings(user)
    }
    fn set_settings(&self, user: UserId, settings: &AccountSettings) -> Result<(), StorageError> {
        self.inner.set_settings(user, settings)
    }
    fn block(&self, user: UserId, blocked: UserId, at: DateTime<Utc>) -> Result<(), StorageError> {
        self.inner.block(user, blocked, at)
    }
    fn unblock(&self, user: UserId, blocked: UserId) -> Result<(), StorageError> {
        self.inner.unblock(user, blocked)
    }
    fn record_receipt(
        &self,
        user: UserId,
        conversation: ConversationId,
        delivered: Option<i64>,
        read: Option<i64>,
    ) -> Result<ReceiptRecorded, StorageError> {
        self.inner
            .record_receipt(user, conversation, delivered, read)
    }
    fn receipts_for(&self, user: UserId) -> Result<Vec<Receipt>, StorageError> {
        self.inner.receipts_for(user)
    }
    fn audience_of(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Vec<UserId>, StorageError> {
        self.inner.audience_of(user, conversation)
    }
    fn messages_between(
        &self,
        user: UserId,
        conversation: ConversationId,
        after: i64,
        before: i64,
    ) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
        self.inner
            .messages_between(user, conversation, after, before)
    }
    fn healthy(&self) -> Result<(), StorageError> {
        self.inner.healthy()
    }
    fn identity(&self) -> (RelayId, EpochId) {
        self.inner.identity()
    }
    fn epoch_kept_through(&self, epoch: EpochId) -> Result<Option<u64>, StorageError> {
        self.inner.epoch_kept_through(epoch)
    }
    fn stream_after(
        &self,
        user: UserId,
        cursor: u64,
        limit: u32,
    ) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
        let left = self.reads_before_failing.load(Ordering::SeqCst);
        if left != usize::MAX {
            if left == 0 {
                self.reads_before_failing
                    .store(usize::MAX, Ordering::SeqCst);
                return Err(StorageError::Database(rusqlite_error()));
            }
            self.reads_before_failing.store(left - 1, Ordering::SeqCst);
        }
        self.inner.stream_after(user, cursor, limit)
    }
}

/// An I/O error as SQLite reports it.
fn rusqlite_error() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_READ),
        Some("disk I/O error (injected)".into()),
    )
}
