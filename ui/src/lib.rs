//! The citizen app's user interface: a Yew application compiled to wasm and
//! run inside the Tauri shell, which it calls through [`bridge`].
//!
//! [`state`] holds every screen and transition as a pure reducer, tested
//! natively; [`components`] render it with the French state design system
//! (DSFR) class names.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod bridge;
pub mod components;
pub mod effects;
pub mod format;
pub mod i18n;
pub mod state;

/// Mounts the app on the page's `<div id="app">` (the `<body>` if absent).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => yew::Renderer::<components::app::App>::with_root(root).render(),
        None => yew::Renderer::<components::app::App>::new().render(),
    };
}
