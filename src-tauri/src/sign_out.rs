//! Finishing sign-outs the relay did not confirm (see
//! `candor_core::PendingSignOut`): their tokens are kept in a vault slot of
//! their own (the keychain, or an owner-only file), retried in the background
//! while the app runs (and again at its next start), and the window is told
//! when none is left. Until then the sign-in screen says that the old session
//! still works on the relay.
//!
//! Every change to the kept list is a read, a change and a write under one
//! lock, so that a sign-out kept while the loop removes another is not lost;
//! each pass tries every relay, so one that is gone for good holds up no
//! other; and the loop looks again after it stops, so a sign-out kept as it
//! stopped is not left waiting for the next start.

use candor_core::PendingSignOut;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{AppHandle, Manager, Runtime};

use crate::events::SIGN_OUT_CONFIRMED;
use crate::state::AppState;
use crate::token_vault::TokenVault;

/// One retry loop at a time per process.
static FINISHING: AtomicBool = AtomicBool::new(false);
/// Held around every read-change-write of the kept list.
static LIST: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The sign-outs waiting in `vault`.
pub fn pending(vault: &TokenVault) -> Vec<PendingSignOut> {
    vault
        .load()
        .and_then(|(json, _)| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn store(vault: &TokenVault, list: &[PendingSignOut]) {
    if list.is_empty() {
        vault.delete();
        return;
    }
    match serde_json::to_string(list) {
        Ok(json) => {
            if let Err(e) = vault.save(&json) {
                tracing::error!(error = %e, "a pending sign-out could not be kept");
            }
        }
        Err(e) => tracing::error!(error = %e, "a pending sign-out could not be written"),
    }
}

/// Reads the kept list, changes it with `change`, and writes it back, under
/// the lock; returns the list as written.
async fn change<R: Runtime>(
    app: &AppHandle<R>,
    change: impl FnOnce(&mut Vec<PendingSignOut>) + Send + 'static,
) -> Vec<PendingSignOut> {
    let _held = LIST.lock().await;
    let vault = app.state::<AppState>().pending_sign_outs.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut list = pending(&vault);
        let before = list.clone();
        change(&mut list);
        if list != before {
            store(&vault, &list);
        }
        list
    })
    .await
    .unwrap_or_default()
}

/// Keeps `sign_out` (beside any others) and makes sure a retry loop runs.
pub async fn keep<R: Runtime>(app: &AppHandle<R>, sign_out: PendingSignOut) {
    change(app, move |list| list.push(sign_out)).await;
    finish(app.clone());
}

/// Retries every kept sign-out, all of them on each pass, waiting 5 s after
/// the first pass and twice as long after each other (up to 10 min), until
/// the relays have confirmed them all; then tells the window. Does nothing if
/// a loop runs already.
pub fn finish<R: Runtime>(app: AppHandle<R>) {
    if FINISHING.swap(true, Ordering::SeqCst) {
        return;
    }
    tauri::async_runtime::spawn(async move {
        let mut wait = candor_core::SIGN_OUT_FIRST_WAIT;
        loop {
            let list = change(&app, |_| {}).await;
            if list.is_empty() {
                FINISHING.store(false, Ordering::SeqCst);
                // One kept just now, as this loop was stopping, would wait
                // for the next start: look once more.
                if change(&app, |_| {}).await.is_empty() || FINISHING.swap(true, Ordering::SeqCst) {
                    break;
                }
                continue;
            }
            for sign_out in list {
                if candor_core::try_sign_out(&sign_out).await {
                    tracing::info!(relay = %sign_out.relay_url, "pending sign-out confirmed");
                    change(&app, move |list| list.retain(|p| *p != sign_out)).await;
                }
            }
            if change(&app, |_| {}).await.is_empty() {
                continue;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(candor_core::SIGN_OUT_LONGEST_WAIT);
        }
        SIGN_OUT_CONFIRMED.emit(&app, &());
    });
}
