//! Commands the UI can call, one module per feature. Each is thin: it picks its
//! arguments, runs one candor-core operation off the main thread and returns its
//! result or a [`crate::CommandError`].

pub mod account;
pub mod app;
pub mod chat;
pub mod chat_settings;
pub mod delete;
pub mod devices;
pub mod group;
pub mod inbox;
pub mod links;
pub mod photos;
pub mod search;
pub mod settings;
pub mod video;
