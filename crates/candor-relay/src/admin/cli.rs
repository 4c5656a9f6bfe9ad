//! `candor-relay admin`: the operator's commands, sent to the running relay
//! named by the data directory's `admin.json` (see the module above).

use std::path::Path;

use anyhow::{Context, bail};
use serde::de::DeserializeOwned;

use super::{Access, Invite, InviteOnly, Settings, Suspension, access_file};
use crate::storage::AccountUsage;

#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Every account: devices signed in, messages today, bytes stored.
    Accounts,
    /// One account and what it uses of its quotas.
    Account { handle: String },
    /// Suspends an account: it cannot sign in, and its sessions and open
    /// connections end now.
    Suspend { handle: String },
    /// Lets a suspended account sign in again.
    Unsuspend { handle: String },
    /// The relay's sign-up mode and quotas.
    Settings,
    /// Turns invite-only sign-up on or off.
    InviteOnly {
        #[arg(value_parser = ["on", "off"])]
        mode: String,
    },
    /// Makes an invite code that signs up one account (shown once).
    Invite,
}

/// Runs `command` against the relay running on `data_dir`; returns what to
/// print.
pub async fn run(data_dir: &Path, command: Command) -> anyhow::Result<String> {
    let file = access_file(data_dir);
    let access: Access = match std::fs::read(&file) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).with_context(|| format!("reading {}", file.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "no relay is running on {} (it has no admin.json): start it first",
            data_dir.display()
        ),
        Err(e) => {
            return Err(e).with_context(|| format!("reading {}", file.display()));
        }
    };
    let admin = Admin {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
        access,
    };
    Ok(match command {
        Command::Accounts => table(&admin.get::<Vec<AccountUsage>>("accounts").await?),
        Command::Account { handle } => {
            let found: Vec<AccountUsage> = admin
                .get(&format!(
                    "accounts?handle={}",
                    handle.trim_start_matches('@')
                ))
                .await?;
            if found.is_empty() {
                bail!("nobody is called @{}", handle.trim_start_matches('@'));
            }
            table(&found)
        }
        Command::Suspend { handle } | Command::Unsuspend { handle }
            if handle.trim_start_matches('@').is_empty() =>
        {
            bail!("name the account by its handle")
        }
        Command::Suspend { handle } => {
            let a: AccountUsage = admin.suspend(&handle, true).await?;
            format!(
                "@{} is suspended: signed out everywhere, and cannot sign in.",
                a.handle
            )
        }
        Command::Unsuspend { handle } => {
            let a: AccountUsage = admin.suspend(&handle, false).await?;
            format!("@{} can sign in again.", a.handle)
        }
        Command::Settings => settings(&admin.get("settings").await?),
        Command::InviteOnly { mode } => {
            let body = InviteOnly {
                invite_only: mode == "on",
            };
            let s: Settings = admin
                .send(admin.http.put(admin.url("settings")).json(&body))
                .await?;
            settings(&s)
        }
        Command::Invite => {
            let invite: Invite = admin.send(admin.http.post(admin.url("invites"))).await?;
            format!(
                "{}\nGive this code to one person: it signs up one account, once. \
                 The relay keeps only its hash.",
                invite.code
            )
        }
    })
}

struct Admin {
    http: reqwest::Client,
    access: Access,
}

impl Admin {
    fn url(&self, path: &str) -> String {
        format!("http://{}/admin/v1/{path}", self.access.address)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.send(self.http.get(self.url(path))).await
    }

    async fn suspend(&self, handle: &str, suspended: bool) -> anyhow::Result<AccountUsage> {
        let path = format!("accounts/{}/suspension", handle.trim_start_matches('@'));
        self.send(
            self.http
                .put(self.url(&path))
                .json(&Suspension { suspended }),
        )
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<T> {
        let response = request
            .bearer_auth(&self.access.token)
            .send()
            .await
            .with_context(|| {
                format!(
                    "the relay does not answer at {} (is it still running?)",
                    self.access.address
                )
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.json().await?);
        }
        let message = response
            .json::<candor_protocol::api::ApiError>()
            .await
            .map(|e| e.message)
            .unwrap_or_else(|_| format!("HTTP {status}"));
        bail!("the relay refused: {message}")
    }
}

fn table(accounts: &[AccountUsage]) -> String {
    let mut out = format!(
        "{:<24} {:<10} {:>8} {:>14} {:>12}  {}\n",
        "HANDLE", "STATE", "DEVICES", "SENT TODAY", "STORED", "SINCE"
    );
    for a in accounts {
        out.push_str(&format!(
            "{:<24} {:<10} {:>8} {:>14} {:>12}  {}\n",
            format!("@{}", a.handle),
            if a.suspended { "suspended" } else { "active" },
            a.sessions,
            a.messages_today,
            size(a.bytes_stored),
            a.created_at.format("%Y-%m-%d"),
        ));
    }
    out.pop();
    out
}

fn settings(s: &Settings) -> String {
    format!(
        "sign-up: {}\nquota: {} messages a day, {} stored per account",
        if s.invite_only {
            "by invite code only"
        } else {
            "open to anyone"
        },
        if s.messages_per_day == 0 {
            "no limit of".to_string()
        } else {
            s.messages_per_day.to_string()
        },
        if s.stored_bytes == 0 {
            "no limit".to_string()
        } else {
            size(s.stored_bytes)
        }
    )
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
