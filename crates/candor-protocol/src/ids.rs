//! Newtype ids, so that a user id can never be passed where a conversation id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[serde(transparent)]
        #[ts(type = "string")]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A person's account on a relay.
    UserId
);
uuid_id!(
    /// A direct or group conversation.
    ConversationId
);
uuid_id!(
    /// A message as its author's device named it: the client message id. It is the
    /// idempotency key for sends, and the local id of one's own messages.
    MessageId
);
uuid_id!(
    /// A message as the relay named it once it was stored durably.
    ServerMessageId
);

uuid_id!(
    /// One signed-in device of an account: names a session in the account's
    /// list without its token.
    SessionId
);

uuid_id!(
    /// One relay, made once with its data directory.
    RelayId
);

uuid_id!(
    /// One run of a relay process on its data directory. A stream position is
    /// only meaningful within the history that holds its epoch.
    EpochId
);
