//! onestop: one application for a life event, fanned out to several state registries, summed up
//! in one receipt. See the README for a tour; `main.rs` only parses the command line.
//!
//! Modules follow the domain: `bundle` (definitions), `form` (merge and validate), `store`
//! (sqlx), `fanout` (dispatch), `registry` (HTTP adapters), `sandbox` (simulated registries),
//! `receipt` (PDF), `http` (routes), `startup` and `settings`; `bench` measures the whole.

pub mod bench;
pub mod bundle;
pub mod fanout;
pub mod form;
pub mod http;
pub mod lang;
pub mod receipt;
pub mod registry;
pub mod sandbox;
pub mod settings;
pub mod startup;
pub mod store;
