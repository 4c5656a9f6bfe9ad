//! Search over the messages this device shows: SQLite FTS5, kept by triggers in
//! schema 4 so that only visible messages are ever in the index (a hidden
//! message cannot be found, by construction). The MATCH runs first, on the
//! index alone; only its hits are joined to the messages.

use candor_protocol::ConversationId;
use rusqlite::params;

use super::Store;
use super::conversations::{MESSAGE_COLUMN_COUNT, MESSAGE_COLUMNS, REPLY_JOINS, message_from_row};
use crate::{CoreError, SearchHit, SearchResults};

/// Hits returned at most, whatever the caller asks.
const MAX_HITS: u32 = 200;

impl Store {
    /// Messages matching `query`, newest first: every word must appear (the last
    /// one as a prefix, so results follow typing). In one conversation if
    /// `conversation` is given, else across all. A query with no words finds
    /// nothing rather than everything.
    pub fn search(
        &self,
        query: &str,
        conversation: Option<ConversationId>,
        limit: u32,
    ) -> Result<SearchResults, CoreError> {
        let terms = terms(query);
        let Some(fts) = fts_query(&terms) else {
            return Ok(SearchResults {
                hits: Vec::new(),
                terms,
            });
        };
        let limit = limit.clamp(1, MAX_HITS);
        // All of one chat's hits are needed before the filter; across all chats
        // the newest `limit` rows of the index are enough.
        let inner_limit = if conversation.is_some() {
            -1
        } else {
            i64::from(limit)
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "WITH hits AS MATERIALIZED (
                 SELECT rowid FROM message_search WHERE message_search MATCH ?1
                 ORDER BY rowid DESC LIMIT ?2
             )
             SELECT {MESSAGE_COLUMNS},
                    coalesce(c.title, p.display_name, p.handle, '')
             FROM hits
             JOIN messages m ON m.rowid = hits.rowid
             JOIN conversations c ON c.id = m.conversation_id
             LEFT JOIN users u ON u.id = m.sender_id {REPLY_JOINS}
             LEFT JOIN users p ON p.id = c.peer_id
             WHERE m.hidden_at IS NULL AND (?3 IS NULL OR m.conversation_id = ?3)
               AND NOT (coalesce(u.blocked, 0) AND c.kind = 'group')
             ORDER BY m.created_at DESC, m.position DESC
             LIMIT ?4"
        ))?;
        let me = self.me.map(|u| u.to_string());
        let hits = stmt
            .query_map(
                params![
                    fts,
                    inner_limit,
                    conversation.map(|c| c.to_string()),
                    i64::from(limit)
                ],
                |r| {
                    Ok(SearchHit {
                        message: message_from_row(r, me.as_deref())?,
                        conversation_title: r.get(MESSAGE_COLUMN_COUNT)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchResults { hits, terms })
    }
}

/// The words of a query, lower-cased, as the UI highlights them.
fn terms(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect()
}

/// The FTS5 query for `terms`: each word quoted (so that nothing typed is read as
/// FTS5 syntax), all required, the last as a prefix. None without words.
fn fts_query(terms: &[String]) -> Option<String> {
    let (last, rest) = terms.split_last()?;
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    let mut q: Vec<String> = rest.iter().map(|t| quote(t)).collect();
    q.push(format!("{}*", quote(last)));
    Some(q.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_quote_every_word_and_prefix_the_last() {
        let t = terms("  Pizza  TONIGHT? ");
        assert_eq!(t, ["pizza", "tonight"]);
        assert_eq!(fts_query(&t).as_deref(), Some("\"pizza\" \"tonight\"*"));
        // FTS5 syntax typed by a person is only text.
        let t = terms("NEAR(a b) OR \"x\" -y col:z");
        let q = fts_query(&t).expect("query");
        assert!(q.split(' ').all(|w| w.starts_with('"')), "{q}");
        assert_eq!(fts_query(&terms("  ... !! ")), None);
    }
}
