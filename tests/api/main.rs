//! Integration tests: the real app over HTTP on a random port, a fresh database each.

mod applications;
mod bundles;
mod conditions;
mod failures;
mod files_only;
mod helpers;
mod life_events;
mod repetition;
mod sandbox;
mod validation;
