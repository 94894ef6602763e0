//! One component per file. [`app::App`] owns the reducer and passes each
//! screen its data and callbacks.

pub mod app;
pub mod consent;
pub mod devices;
pub mod fi_list;
pub mod history;
pub mod home;
pub mod login_request;
pub mod nav;
pub mod preferences;
pub mod report;
pub mod sign_in;
pub mod status_banner;
