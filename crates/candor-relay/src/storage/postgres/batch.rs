//! Storing a batch of sends in a fixed number of statements, whatever its
//! size: the relay's hot path on PostgreSQL.
//!
//! Each statement is a round trip to the server, and a send checked and
//! stored one at a time took about ten of them: a batch of a few hundred
//! sends held the stream's lock for a good part of a second. So the batch
//! reads at once everything its sends are judged by (earlier copies of
//! repeats, the chats and their members, who may write to whom, what
//! replies and reactions point at, the senders' quotas), judges each send in
//! order in memory, as the embedded store does one by one, and writes the
//! messages, the chats' last seqs, the quotas' counters and the stream's end
//! in one statement. Only what is rare goes to the server per send: a direct
//! chat made by its first message, a request accepted by a reply, and the
//! announcements of both.
//!
//! Every row it judges by is locked, or cannot change under it: the chats'
//! rows are locked (membership changes take the same lock) and so are the
//! senders' (their counters, and so their sends: see `store`). Blocks,
//! contacts and settings are read, not locked: a block that commits while a
//! batch runs applies from the next batch. Only then does it take the
//! stream's lock, to number what it judged and write it: other nodes'
//! batches judge theirs meanwhile.

use std::collections::{HashMap, HashSet};

use chrono::DateTime;

use candor_protocol::frames::{Recipient, direct_conversation_id};
use candor_protocol::{ConversationId, DeliveredMessage, MessageId, ServerMessageId, UserId};

use super::blobs;
use super::conversations::{announcement, create_direct};
use super::db::Db;
use super::members::{self, Roster};
use super::messages::{MESSAGE_COLUMNS, message_from_row};
use super::relations::{add_contact, check_direct};
use super::rows::{ms, uuid_col};
use super::usage::Account;
use crate::storage::{Announcement, NewMessage, Quotas, StorageError, Stored};

/// A message's key: its sender and the sender's id for it.
type Key = (UserId, MessageId);

/// A chat the batch writes to, as locked and as the batch changes it.
struct Chat {
    roster: Roster,
    last_seq: i64,
    /// Whether the batch changed `last_seq` (to be written back).
    moved: bool,
}

/// Whether each sender may write directly to each recipient, as
/// `relations::check_direct` answered when the batch began.
type Permits = HashMap<(UserId, UserId), Result<(), StorageError>>;

/// What a reply or a reaction may point at: its chat, and whether it is a
/// reaction itself.
type Target = (String, bool);

/// Stores `batch` in order: each send succeeds or is refused on its own.
/// The sends are judged first; then `lock_stream` takes the stream's lock
/// and says where the stream ends, and the batch is numbered from there and
/// written. An error means the batch failed as a whole (and is rolled back).
pub(super) fn store(
    db: &mut Db,
    quotas: Quotas,
    batch: Vec<NewMessage>,
    lock_stream: impl FnOnce(&mut Db) -> Result<u64, StorageError>,
) -> Result<Vec<Result<Stored, StorageError>>, StorageError> {
    let mut chats = lock_chats(db, &batch)?;
    let mut accounts = lock_accounts(db, &batch)?;
    // After the senders' locks: a batch that stores a sender's send holds
    // the sender's row until it commits, so a copy stored through another
    // node is seen here, not found by a unique key at the write.
    let earlier = earlier_copies(db, &batch)?;
    let permits = direct_permits(db, &batch, &chats)?;
    let mut targets = targets(db, &batch)?;
    let uploads = blobs::uploads(db, &batch)?;

    // Positions within the batch until the stream's end is known; the
    // results at `numbered_here` carry one (the batch's own sends, and their
    // repeats within it).
    let mut cursor = 0;
    let mut numbered_here = Vec::new();
    let mut rows = Rows::default();
    // Sends stored by this batch, for a repeat within it.
    let mut stored_here: HashMap<Key, Stored> = HashMap::new();
    // Announcements to build once the messages are written: (result's
    // index, chat, members to tell).
    let mut to_announce = Vec::new();
    let mut results = Vec::with_capacity(batch.len());
    for m in batch {
        let key = (m.sender, m.client_id);
        if let Some((cursor, message)) = earlier.get(&key) {
            let members = members::ids(db, message.conversation_id)?;
            results.push(Ok(repeat(*cursor, message.clone(), members)));
            continue;
        }
        if let Some(first) = stored_here.get(&key) {
            numbered_here.push(results.len());
            results.push(Ok(repeat(
                first.cursor,
                first.message.clone(),
                first.members.clone(),
            )));
            continue;
        }
        // The sender's own uploads first: this says nothing about the chat.
        let judged = blobs::check_photos(&uploads, m.sender, &m.photos)
            .and_then(|()| judge(db, &m, &chats, &permits, &targets, &mut accounts, quotas));
        let (conversation, json) = match judged {
            Ok(j) => j,
            Err(e) if e.is_refusal() => {
                results.push(Err(e));
                continue;
            }
            Err(e) => return Err(e),
        };
        // Every check has passed: from here on, only writes.
        let at = ms(m.at);
        let mut created = false;
        if let std::collections::hash_map::Entry::Vacant(unknown) = chats.entry(conversation) {
            let Recipient::Direct { user } = m.to else {
                return Err(StorageError::Corrupt(
                    "a send to a chat by id passed its checks, and the chat is not there".into(),
                ));
            };
            let chat = match create_direct(db, conversation, m.sender, user, at)? {
                Some(roster) => {
                    created = true;
                    Chat {
                        roster,
                        last_seq: 0,
                        moved: false,
                    }
                }
                // Another node's batch made it first (this one's insert
                // waited for its commit): the chat as it left it, read under
                // the chat's lock, as `lock_chats` reads.
                None => {
                    let last_seq = members::locked_last_seq(db, conversation)?;
                    let roster = Roster::read(db, conversation)?.ok_or_else(|| {
                        StorageError::Corrupt(format!(
                            "the direct conversation {conversation} has no members"
                        ))
                    })?;
                    Chat {
                        roster,
                        last_seq,
                        moved: false,
                    }
                }
            };
            unknown.insert(chat);
        }
        let chat = chats.get_mut(&conversation).expect("locked or made above");
        // Replying to a request accepts it.
        let accepted = chat
            .roster
            .member(m.sender)
            .is_some_and(|(_, request)| *request);
        if accepted {
            db.execute(
                "UPDATE members SET state = 'accepted' WHERE conversation_id = $1 AND user_id = $2",
                &[&conversation.to_string(), &m.sender.to_string()],
            )?;
            // Answering a person makes them a contact; answering in a group
            // does not (see the embedded store).
            if !chat.roster.group {
                for (other, _) in chat.roster.members.clone() {
                    if other != m.sender {
                        add_contact(db, m.sender, other, at)?;
                    }
                }
            }
            for member in chat.roster.members.iter_mut() {
                if member.0 == m.sender {
                    member.1 = false;
                }
            }
        }
        chat.last_seq += 1;
        chat.moved = true;
        cursor += 1;
        let seq = chat.last_seq;
        let server_id = ServerMessageId::new();
        // Millisecond precision, as stored, so the ack and the stored copy agree.
        let sent_at = DateTime::from_timestamp_millis(at).unwrap_or(m.at);
        rows.push(cursor, server_id, conversation, seq, &m, at, json);
        targets.insert(
            (m.sender, m.client_id),
            (conversation.to_string(), m.reaction.is_some()),
        );
        let members = chat.roster.ids();
        let stored = Stored {
            message: DeliveredMessage {
                server_id,
                client_id: m.client_id,
                conversation_id: conversation,
                seq,
                sender_id: m.sender,
                text: m.text,
                card: m.card,
                reply: m.reply,
                reaction: m.reaction,
                photos: m.photos,
                sent_at,
            },
            cursor,
            duplicate: false,
            created,
            accepted,
            announcement: Announcement::default(),
            members,
        };
        if created {
            to_announce.push((results.len(), conversation, stored.members.clone()));
        } else if accepted {
            to_announce.push((results.len(), conversation, vec![m.sender]));
        }
        stored_here.insert(key, stored.clone());
        numbered_here.push(results.len());
        results.push(Ok(stored));
    }
    // Numbered last, so that the stream's lock is held only from here to
    // the commit: other nodes' batches judge theirs meanwhile.
    let end = lock_stream(db)?;
    for cursor in rows.cursor.iter_mut() {
        *cursor += end as i64;
    }
    for index in numbered_here {
        if let Some(Ok(stored)) = results.get_mut(index) {
            stored.cursor += end;
        }
    }
    write(db, rows, &chats, &accounts, end + cursor)?;
    for (index, conversation, tell) in to_announce {
        if let Some(Ok(stored)) = results.get_mut(index) {
            stored.announcement = announcement(db, conversation, &tell)?;
        }
    }
    Ok(results)
}

/// A repeat's answer: the copy stored before, with nothing new written.
fn repeat(cursor: u64, message: DeliveredMessage, members: Vec<UserId>) -> Stored {
    Stored {
        message,
        cursor,
        duplicate: true,
        created: false,
        accepted: false,
        announcement: Announcement::default(),
        members,
    }
}

/// A send's stored JSON columns: its card, the quote it replies with, the
/// reaction it is, its photos.
struct Json {
    card: Option<String>,
    reply: Option<String>,
    reaction: Option<String>,
    photos: Option<String>,
}

/// Decides one send, in memory, in the order the embedded store checks it:
/// the chat and whether the sender may write there, the reply, the
/// reaction, then the quotas (counted in `accounts` if it passes). Returns
/// its chat and stored JSON.
fn judge(
    db: &mut Db,
    m: &NewMessage,
    chats: &HashMap<ConversationId, Chat>,
    permits: &Permits,
    targets: &HashMap<Key, Target>,
    accounts: &mut HashMap<UserId, Account>,
    quotas: Quotas,
) -> Result<(ConversationId, Json), StorageError> {
    // A pair let through when the batch began stays so (blocks are read at
    // the start; contacts are only ever added). Any other is asked now, as
    // the embedded store does: a send earlier in the batch may have made
    // them contacts (a first message, an accepted request), and a direct
    // chat the batch made, named by id, was not read with it.
    let mut permit = |sender: UserId, recipient: UserId| match permits.get(&(sender, recipient)) {
        Some(Ok(())) => Ok(()),
        _ => check_direct(db, sender, recipient),
    };
    let conversation = match m.to {
        Recipient::Conversation { id } => {
            // Membership first, so that outsiders learn nothing about the chat.
            let chat = chats.get(&id).ok_or(StorageError::NotMember)?;
            if chat.roster.member(m.sender).is_none() {
                return Err(StorageError::NotMember);
            }
            // A direct conversation named by id follows the same rules.
            if !chat.roster.group
                && let Some((peer, _)) = chat.roster.members.iter().find(|(u, _)| *u != m.sender)
            {
                permit(m.sender, *peer)?;
            }
            id
        }
        Recipient::Direct { user } => {
            if user == m.sender {
                return Err(StorageError::UnknownUser);
            }
            permit(m.sender, user)?;
            direct_conversation_id(m.sender, user)
        }
    };
    let corrupt = |e: serde_json::Error| StorageError::Corrupt(e.to_string());
    let card = m
        .card
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(corrupt)?;
    // A reply quotes a message of its own chat (if the relay holds it: one
    // lost in a restore may be quoted still).
    let reply = match &m.reply {
        Some(quote) => {
            if let Some((chat, _)) = targets.get(&(quote.author, quote.message))
                && *chat != conversation.to_string()
            {
                return Err(StorageError::InvalidReply(
                    "a reply quotes a message of its own chat".into(),
                ));
            }
            Some(serde_json::to_string(quote).map_err(corrupt)?)
        }
        None => None,
    };
    let reaction = match &m.reaction {
        Some(reaction) => {
            check_reaction(
                m,
                chats.contains_key(&conversation),
                conversation,
                targets,
                reaction,
            )?;
            Some(serde_json::to_string(reaction).map_err(corrupt)?)
        }
        None => None,
    };
    let photos = match m.photos.is_empty() {
        true => None,
        false => Some(serde_json::to_string(&m.photos).map_err(corrupt)?),
    };
    let bytes = (m.text.as_str().len()
        + card.as_ref().map_or(0, String::len)
        + reply.as_ref().map_or(0, String::len)
        + reaction.as_ref().map_or(0, String::len)
        + photos.as_ref().map_or(0, String::len)) as u64;
    accounts
        .get_mut(&m.sender)
        .ok_or(StorageError::UnknownUser)?
        .admit(quotas, bytes, m.at)?;
    Ok((
        conversation,
        Json {
            card,
            reply,
            reaction,
            photos,
        },
    ))
}

/// A reaction is one emoji, alone, in a chat that exists, on a message of
/// that chat that is not itself a reaction (the embedded store's
/// `check_reaction` says why).
fn check_reaction(
    m: &NewMessage,
    chat_exists: bool,
    conversation: ConversationId,
    targets: &HashMap<Key, Target>,
    reaction: &candor_protocol::Reaction,
) -> Result<(), StorageError> {
    let refuse = |why: &str| Err(StorageError::InvalidReaction(why.into()));
    if !candor_protocol::is_one_emoji(m.text.as_str()) {
        return refuse("a reaction is one emoji");
    }
    if m.card.is_some() || m.reply.is_some() || !m.photos.is_empty() {
        return refuse("a reaction carries only its emoji");
    }
    if !chat_exists {
        return Err(StorageError::ReactionBeforeItsChat);
    }
    match targets.get(&(reaction.author, reaction.message)) {
        Some((chat, _)) if *chat != conversation.to_string() => {
            refuse("a reaction is on a message of its own chat")
        }
        Some((_, true)) => refuse("a reaction is on a message, not on another reaction"),
        _ => Ok(()),
    }
}

/// Two arrays of text, for `unnest`: the keys of `pairs`.
fn columns<A: ToString, B: ToString>(
    pairs: impl Iterator<Item = (A, B)>,
) -> (Vec<String>, Vec<String>) {
    pairs.map(|(a, b)| (a.to_string(), b.to_string())).unzip()
}

/// The copies stored before of the batch's sends (repeats), by key.
fn earlier_copies(
    db: &mut Db,
    batch: &[NewMessage],
) -> Result<HashMap<Key, (u64, DeliveredMessage)>, StorageError> {
    let (clients, senders) = columns(batch.iter().map(|m| (m.client_id, m.sender)));
    let rows = db.query(
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             JOIN unnest($1::text[], $2::text[]) AS k(client_id, sender_id)
               ON m.client_id = k.client_id AND m.sender_id = k.sender_id"
        ),
        &[&clients, &senders],
    )?;
    rows.iter()
        .map(|r| {
            let (cursor, message) = message_from_row(r)?;
            Ok(((message.sender_id, message.client_id), (cursor, message)))
        })
        .collect()
}

/// The chats the batch's sends go to that exist, locked in the order of
/// their ids, with their members.
fn lock_chats(
    db: &mut Db,
    batch: &[NewMessage],
) -> Result<HashMap<ConversationId, Chat>, StorageError> {
    let ids: Vec<String> = batch
        .iter()
        .map(|m| match m.to {
            Recipient::Conversation { id } => id,
            Recipient::Direct { user } => direct_conversation_id(m.sender, user),
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    // Each chat's row locked first: membership changes take the same lock.
    // Then its members, in a statement of their own: within one statement
    // PostgreSQL reads every table as it was when the statement began, so
    // members read beside the lock would be those from before a change the
    // lock waited for.
    let locked = db.query(
        "SELECT id, last_seq, kind FROM conversations WHERE id = ANY($1)
         ORDER BY id COLLATE \"C\" FOR NO KEY UPDATE",
        &[&ids],
    )?;
    let mut chats = HashMap::with_capacity(locked.len());
    for r in &locked {
        chats.insert(
            ConversationId(uuid_col(r, 0)?),
            Chat {
                roster: Roster {
                    group: r.try_get::<_, &str>(2)? == "group",
                    members: Vec::new(),
                },
                last_seq: r.try_get(1)?,
                moved: false,
            },
        );
    }
    let members = db.query(
        "SELECT conversation_id, user_id, state FROM members WHERE conversation_id = ANY($1)
         ORDER BY conversation_id, user_id COLLATE \"C\"",
        &[&ids],
    )?;
    for r in &members {
        if let Some(chat) = chats.get_mut(&ConversationId(uuid_col(r, 0)?)) {
            chat.roster.members.push((
                UserId(uuid_col(r, 1)?),
                r.try_get::<_, &str>(2)? == "request",
            ));
        }
    }
    Ok(chats)
}

/// Whether each sender may write directly to each person the batch sends
/// to (a direct chat, by id or by person): `relations::check_direct` for
/// every pair in one statement.
fn direct_permits(
    db: &mut Db,
    batch: &[NewMessage],
    chats: &HashMap<ConversationId, Chat>,
) -> Result<Permits, StorageError> {
    let pairs: HashSet<(UserId, UserId)> = batch
        .iter()
        .filter_map(|m| match m.to {
            Recipient::Direct { user } => Some((m.sender, user)),
            Recipient::Conversation { id } => {
                let chat = chats.get(&id).filter(|c| !c.roster.group)?;
                let (peer, _) = chat.roster.members.iter().find(|(u, _)| *u != m.sender)?;
                Some((m.sender, *peer))
            }
        })
        .collect();
    let (senders, recipients) = columns(pairs.iter().copied());
    let rows = db.query(
        "SELECT k.sender, k.recipient, u.who_can_message,
                EXISTS (SELECT 1 FROM blocks WHERE user_id = k.recipient AND blocked_id = k.sender),
                EXISTS (SELECT 1 FROM contacts WHERE user_id = k.recipient AND contact_id = k.sender)
         FROM unnest($1::text[], $2::text[]) AS k(sender, recipient)
         LEFT JOIN users u ON u.id = k.recipient",
        &[&senders, &recipients],
    )?;
    rows.iter()
        .map(|r| {
            let pair = (UserId(uuid_col(r, 0)?), UserId(uuid_col(r, 1)?));
            let who: Option<&str> = r.try_get(2)?;
            let (blocked, contact): (bool, bool) = (r.try_get(3)?, r.try_get(4)?);
            let permit = match who {
                None => Err(StorageError::UnknownUser),
                Some(_) if blocked => Err(StorageError::Blocked),
                Some("contacts") if !contact => Err(StorageError::NotAccepting),
                Some(_) => Ok(()),
            };
            Ok((pair, permit))
        })
        .collect()
}

/// What the batch's replies and reactions point at, if the relay holds it.
fn targets(db: &mut Db, batch: &[NewMessage]) -> Result<HashMap<Key, Target>, StorageError> {
    let keys = batch.iter().flat_map(|m| {
        let quote = m.reply.as_ref().map(|q| (q.message, q.author));
        let reaction = m.reaction.as_ref().map(|r| (r.message, r.author));
        quote.into_iter().chain(reaction)
    });
    let (clients, authors) = columns(keys);
    if clients.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = db.query(
        "SELECT m.sender_id, m.client_id, m.conversation_id, m.reaction_json IS NOT NULL
         FROM messages m JOIN unnest($1::text[], $2::text[]) AS k(client_id, sender_id)
           ON m.client_id = k.client_id AND m.sender_id = k.sender_id",
        &[&clients, &authors],
    )?;
    rows.iter()
        .map(|r| {
            let key = (UserId(uuid_col(r, 0)?), MessageId(uuid_col(r, 1)?));
            Ok((key, (r.try_get::<_, String>(2)?, r.try_get(3)?)))
        })
        .collect()
}

/// The batch's senders' counters, locked (in the order of their ids) until
/// the batch commits, so two nodes cannot both admit a quota's last message,
/// nor both store one send (see `store`). NO KEY UPDATE: the batch changes
/// only counters, and rows that refer to a user (a contact, a member) are
/// still written meanwhile, by this batch and others, without waiting.
fn lock_accounts(
    db: &mut Db,
    batch: &[NewMessage],
) -> Result<HashMap<UserId, Account>, StorageError> {
    let senders: Vec<String> = batch
        .iter()
        .map(|m| m.sender)
        .collect::<HashSet<_>>()
        .into_iter()
        .map(|u| u.to_string())
        .collect();
    let rows = db.query(
        "SELECT id, usage_day, messages_today, bytes_stored FROM users WHERE id = ANY($1)
         ORDER BY id COLLATE \"C\" FOR NO KEY UPDATE",
        &[&senders],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                UserId(uuid_col(r, 0)?),
                Account {
                    day: r.try_get(1)?,
                    today: r.try_get::<_, i64>(2)?.max(0) as u64,
                    bytes: r.try_get::<_, i64>(3)?.max(0) as u64,
                    moved: false,
                },
            ))
        })
        .collect()
}

/// The new messages, as columns for one `INSERT … SELECT FROM unnest`.
#[derive(Default)]
struct Rows {
    cursor: Vec<i64>,
    server_id: Vec<String>,
    conversation_id: Vec<String>,
    seq: Vec<i64>,
    sender_id: Vec<String>,
    client_id: Vec<String>,
    body: Vec<String>,
    card_json: Vec<Option<String>>,
    sent_at: Vec<i64>,
    reply_json: Vec<Option<String>>,
    reaction_json: Vec<Option<String>>,
    photos_json: Vec<Option<String>>,
    /// Each photo a message names: (blob, chat, seq).
    named: (Vec<String>, Vec<String>, Vec<i64>),
}

impl Rows {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        cursor: u64,
        server_id: ServerMessageId,
        conversation: ConversationId,
        seq: i64,
        m: &NewMessage,
        at: i64,
        json: Json,
    ) {
        self.cursor.push(cursor as i64);
        self.server_id.push(server_id.to_string());
        self.conversation_id.push(conversation.to_string());
        self.seq.push(seq);
        self.sender_id.push(m.sender.to_string());
        self.client_id.push(m.client_id.to_string());
        self.body.push(m.text.as_str().to_owned());
        self.card_json.push(json.card);
        self.sent_at.push(at);
        self.reply_json.push(json.reply);
        self.reaction_json.push(json.reaction);
        self.photos_json.push(json.photos);
        for photo in &m.photos {
            self.named.0.push(photo.blob.to_string());
            self.named.1.push(conversation.to_string());
            self.named.2.push(seq);
        }
    }
}

/// Writes what the batch made, in one statement: its messages, the chats'
/// last seqs and the senders' counters it moved, and the stream's new end
/// (`end`).
fn write(
    db: &mut Db,
    rows: Rows,
    chats: &HashMap<ConversationId, Chat>,
    accounts: &HashMap<UserId, Account>,
    end: u64,
) -> Result<(), StorageError> {
    if rows.cursor.is_empty() {
        // Nothing new (repeats and refusals): nothing moved either.
        return Ok(());
    }
    let (ids, seqs): (Vec<String>, Vec<i64>) = chats
        .iter()
        .filter(|(_, c)| c.moved)
        .map(|(id, c)| (id.to_string(), c.last_seq))
        .unzip();
    let mut users = Vec::new();
    let (mut days, mut today, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
    for (user, a) in accounts.iter().filter(|(_, a)| a.moved) {
        users.push(user.to_string());
        days.push(a.day);
        today.push(a.today as i64);
        bytes.push(a.bytes as i64);
    }
    db.execute(
        "WITH messages AS (
             INSERT INTO messages (cursor, server_id, conversation_id, seq, sender_id, client_id,
                                   body, card_json, sent_at, reply_json, reaction_json, photos_json)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                                  $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[],
                                  $11::text[], $19::text[])
         ), named AS (
             INSERT INTO message_blobs (blob_id, conversation_id, seq)
             SELECT * FROM unnest($20::text[], $21::text[], $22::bigint[])
             ON CONFLICT DO NOTHING
         ), chats AS (
             UPDATE conversations c SET last_seq = k.seq
             FROM unnest($12::text[], $13::bigint[]) AS k(id, seq) WHERE c.id = k.id
         ), senders AS (
             UPDATE users u SET usage_day = k.day, messages_today = k.today, bytes_stored = k.bytes
             FROM unnest($14::text[], $15::bigint[], $16::bigint[], $17::bigint[])
                  AS k(id, day, today, bytes)
             WHERE u.id = k.id
         )
         UPDATE relay_stream SET last_cursor = $18",
        &[
            &rows.cursor,
            &rows.server_id,
            &rows.conversation_id,
            &rows.seq,
            &rows.sender_id,
            &rows.client_id,
            &rows.body,
            &rows.card_json,
            &rows.sent_at,
            &rows.reply_json,
            &rows.reaction_json,
            &ids,
            &seqs,
            &users,
            &days,
            &today,
            &bytes,
            &(end as i64),
            &rows.photos_json,
            &rows.named.0,
            &rows.named.1,
            &rows.named.2,
        ],
    )?;
    Ok(())
}
