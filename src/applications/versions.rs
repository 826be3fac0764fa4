//! Each application runs to its end under the bundle version it was submitted with (issue 25).
//!
//! At start the current version of every bundle is stored with its files (on first use), and a
//! version stored before with other files stops the start: its applications would silently run
//! under files they were not submitted with. Every earlier stored version is compiled from its
//! own files and kept beside the current ones (`Catalog::pinned` finds it).

use crate::bundle::{BundleId, Catalog, Snapshot};
use crate::store::{Pinned, Store, StoredVersion};
use anyhow::{Context, bail};
use std::path::Path;
use std::sync::Arc;

/// `catalog` (compiled from `root`) with its bundles' versions stored and the earlier versions
/// compiled beside it.
pub async fn pin_versions(
    root: &Path,
    mut catalog: Catalog,
    store: &Store,
) -> anyhow::Result<Catalog> {
    let mut current = Vec::new();
    for bundle in catalog.bundles.values() {
        let snapshot = Snapshot::of(root, &catalog, bundle)
            .with_context(|| format!("Failed to read the files of bundle {}", bundle.id))?;
        let stored = StoredVersion {
            bundle: bundle.id.to_string(),
            version: bundle.version,
            hash: snapshot.hash.clone(),
            files: snapshot.files,
        };
        if let Pinned::Changed(was) = store.pin_version(&stored).await? {
            bail!(
                "{}: the files of version {} differ from those stored when it was first used \
                 ({was}, now {}); raise the bundle's `version` (applications submitted under \
                 {} keep their own files)",
                bundle.files.first().map_or("bundles", String::as_str),
                bundle.version,
                snapshot.hash,
                bundle.version
            );
        }
        current.push((bundle.id.to_string(), bundle.version));
    }
    for stored in store.earlier_versions(&current).await? {
        let id = BundleId::parse(&stored.bundle)
            .with_context(|| format!("Stored bundle id {:?} is not an id", stored.bundle))?;
        let snapshot = Snapshot::new(id.clone(), stored.version, stored.files);
        match snapshot.compile() {
            Ok(compiled) => {
                catalog
                    .earlier
                    .insert((id, stored.version), Arc::new(compiled));
            }
            // One old version this build cannot read must not keep every other application
            // from running: its own applications wait, and the log says why.
            Err(d) => tracing::error!(
                bundle = %id,
                version = stored.version,
                problem = %d.errors.first().map(ToString::to_string).unwrap_or_default(),
                "A stored bundle version does not compile; its applications wait"
            ),
        }
    }
    Ok(catalog)
}
