//! onestop: one application for a life event, fanned out to several state registries, summed up
//! in one receipt. See the README for a tour; `main.rs` only parses the command line.
//!
//! Modules follow the domain: `bundle` (definitions), `form` (merge and validate), `store`
//! (sqlx), `fanout` (dispatch), `registry` (HTTP adapters), `sandbox` (simulated registries),
//! `receipt` (PDF), `telemetry` (what is counted), `http` (routes), `cli` (the command line's reports), `startup` and
//! `settings`. The load benchmark is a binary of its own (`src/bin/onestop-bench`), not part of
//! this library.

pub mod access;
pub mod applications;
pub mod audit;
pub mod bundle;
pub mod cli;
pub mod fanout;
pub mod form;
pub mod http;
pub mod lang;
pub mod lifecycle;
pub mod notify;
pub mod oidc;
pub mod people;
pub mod receipt;
pub mod registry;
pub mod sandbox;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
