//! Static assets: the French state design system (DSFR) from npm
//! `@gouvfr/dsfr`, served under `/assets/dsfr/`.

use std::path::{Path, PathBuf};

use axum::Router;
use tower_http::services::ServeDir;

/// URL prefix under which the DSFR `dist/` folder is served.
pub const DSFR_PREFIX: &str = "/assets/dsfr";

/// Finds the DSFR `dist/` folder: the explicit path if given, else
/// `PIVOT_DSFR_DIR`, else `node_modules/@gouvfr/dsfr/dist` in the current
/// directory or one of its parents, else next to the executable's parents.
#[must_use]
pub fn locate_dsfr(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return p.is_dir().then(|| p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("PIVOT_DSFR_DIR").map(PathBuf::from)
        && p.is_dir()
    {
        return Some(p);
    }
    let rel = Path::new("node_modules/@gouvfr/dsfr/dist");
    let mut starts = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        starts.push(cwd);
    }
    if let Ok(exe) = std::env::current_exe() {
        starts.push(exe);
    }
    // The crate's own folder at build time: its parent is the workspace root.
    starts.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    starts
        .iter()
        .flat_map(|s| s.ancestors())
        .map(|a| a.join(rel))
        .find(|p| p.join("dsfr.min.css").is_file())
}

/// A router serving the DSFR assets, or nothing when they are not installed
/// (pages then render unstyled but stay usable).
pub fn router<S: Clone + Send + Sync + 'static>(dsfr_dir: Option<&Path>) -> Router<S> {
    match dsfr_dir {
        Some(dir) => Router::new().nest_service(DSFR_PREFIX, ServeDir::new(dir)),
        None => {
            tracing::warn!(
                "DSFR assets not found: run `npm ci` at the workspace root; pages will be unstyled"
            );
            Router::new()
        }
    }
}
