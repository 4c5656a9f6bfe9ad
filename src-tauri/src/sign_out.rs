//! Finishing sign-outs the relay did not confirm (see
//! `candor_core::PendingSignOut`): their tokens are kept in a vault slot of
//! their own (the keychain, or an owner-only file), retried in the background
//! while the app runs (and again at its next start), and the window is told
//! when none is left. Until then the sign-in screen says that the old session
//! still works on the relay.

use std::sync::atomic::{AtomicBool, Ordering};

use candor_core::PendingSignOut;
use tauri::{AppHandle, Manager, Runtime};

use crate::events::SIGN_OUT_CONFIRMED;
use crate::state::AppState;
use crate::token_vault::TokenVault;

/// One retry loop at a time per process.
static FINISHING: AtomicBool = AtomicBool::new(false);

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

/// Keeps `pending` (beside any others) and makes sure a retry loop runs.
pub async fn keep<R: Runtime>(app: &AppHandle<R>, sign_out: PendingSignOut) {
    let vault = app.state::<AppState>().pending_sign_outs.clone();
    let _ = tauri::async_runtime::spawn_blocking(move || {
        let mut list = pending(&vault);
        list.push(sign_out);
        store(&vault, &list);
    })
    .await;
    finish(app.clone());
}

/// Retries every kept sign-out until the relay has confirmed each, one
/// after the other, then tells the window. Does nothing if a loop runs.
pub fn finish<R: Runtime>(app: AppHandle<R>) {
    if FINISHING.swap(true, Ordering::SeqCst) {
        return;
    }
    tauri::async_runtime::spawn(async move {
        let vault = app.state::<AppState>().pending_sign_outs.clone();
        loop {
            let v = vault.clone();
            let first =
                tauri::async_runtime::spawn_blocking(move || pending(&v).into_iter().next())
                    .await
                    .ok()
                    .flatten();
            let Some(first) = first else { break };
            candor_core::finish_sign_out(&first).await;
            let v = vault.clone();
            let _ = tauri::async_runtime::spawn_blocking(move || {
                let list: Vec<PendingSignOut> =
                    pending(&v).into_iter().filter(|p| *p != first).collect();
                store(&v, &list);
            })
            .await;
        }
        FINISHING.store(false, Ordering::SeqCst);
        SIGN_OUT_CONFIRMED.emit(&app, &());
    });
}
