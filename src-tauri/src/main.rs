//! The `candor` binary: everything lives in the library so that tests can reach it.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    candor_desktop::run();
}
