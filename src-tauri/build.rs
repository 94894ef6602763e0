//! Tauri's build step. The configuration is `tauri.conf.json` at the
//! repository root (`src-tauri/tauri.conf.json` links to it, since
//! `tauri_build` reads the crate folder).

use std::path::Path;

fn main() {
    // `generate_context!` embeds `ui/dist`, built by `scripts/build-ui.sh`.
    // Without it the crate still builds (and its tests run) with an empty
    // folder, and says so.
    let dist = Path::new("../ui/dist");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        println!(
            "cargo:warning=ui/dist is missing: the window will be empty; run scripts/build-ui.sh"
        );
        if let Err(e) = std::fs::create_dir_all(dist) {
            println!("cargo:warning=cannot create ui/dist: {e}");
        }
    }
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new()) {
        println!("cargo:warning=tauri build step failed: {e:#}");
        std::process::exit(1);
    }
}
