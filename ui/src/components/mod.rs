//! One component per file. [`app::App`] owns the reducer and passes each
//! screen its data and callbacks.

pub mod app;
pub mod card_code_field;
pub mod card_login;
pub mod card_unblock;
pub mod confirm;
pub mod consent;
pub mod devices;
pub mod fi_list;
pub mod fi_login;
pub mod history;
pub mod home;
pub mod login_done;
pub mod login_request;
pub mod login_step;
pub mod nav;
pub mod preferences;
pub mod refused;
pub mod registry;
pub mod report;
pub mod sign_in;
pub mod status_banner;
