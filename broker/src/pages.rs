//! The broker's own page templates.

/// Templates of the broker's pages.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "broker/chooser.html",
        include_str!("../templates/broker/chooser.html"),
    ),
    (
        "broker/confirm.html",
        include_str!("../templates/broker/confirm.html"),
    ),
    (
        "broker/consent.html",
        include_str!("../templates/broker/consent.html"),
    ),
    (
        "broker/error.html",
        include_str!("../templates/broker/error.html"),
    ),
    (
        "broker/logged_out.html",
        include_str!("../templates/broker/logged_out.html"),
    ),
    (
        "broker/registry_unavailable.html",
        include_str!("../templates/broker/registry_unavailable.html"),
    ),
    (
        "broker/not_me.html",
        include_str!("../templates/broker/not_me.html"),
    ),
];
