//! The status region: busy indicator and messages (offline, session
//! expired, errors, confirmations), announced by screen
//! readers through `aria-live`.

use yew::prelude::*;

use crate::i18n::{K, Lang, t};
use crate::state::{Action, Banner};

/// Props of [`StatusBanner`].
#[derive(Clone, PartialEq, Properties)]
pub struct StatusBannerProps {
    /// Interface language.
    pub lang: Lang,
    /// The message, if any.
    pub banner: Option<Banner>,
    /// A call is running.
    pub busy: bool,
    /// To dismiss the message.
    pub on_action: Callback<Action>,
}

/// The text of a banner.
#[must_use]
pub fn banner_text(lang: Lang, banner: &Banner) -> String {
    match banner {
        Banner::Offline => t(lang, K::Offline).to_owned(),
        Banner::NotInApp => t(lang, K::NotInApp).to_owned(),
        Banner::SessionExpired => t(lang, K::Expired).to_owned(),
        Banner::InUseCannotBlock => t(lang, K::InUseCannotBlock).to_owned(),
        Banner::PreferencesSaved => t(lang, K::Saved).to_owned(),
        Banner::DeviceForgotten => t(lang, K::DeviceForgotten).to_owned(),
        Banner::DeviceTrusted => t(lang, K::DeviceTrusted).to_owned(),
        Banner::ReportSent { reference } => format!("{} {reference}", t(lang, K::ReportSent)),
        Banner::Error(message) => message.clone(),
    }
}

fn alert_class(banner: &Banner) -> &'static str {
    match banner {
        Banner::Offline | Banner::NotInApp | Banner::SessionExpired => {
            "fr-alert fr-alert--warning fr-alert--sm"
        }
        Banner::InUseCannotBlock | Banner::Error(_) => "fr-alert fr-alert--error fr-alert--sm",
        _ => "fr-alert fr-alert--success fr-alert--sm",
    }
}

/// The status region (always in the page, so announcements are read).
#[function_component]
pub fn StatusBanner(props: &StatusBannerProps) -> Html {
    let lang = props.lang;
    let message = props.banner.as_ref().map(|banner| {
        let dismiss = props
            .on_action
            .reform(|_: MouseEvent| Action::DismissBanner);
        html! {
            <div class={alert_class(banner)} id="status-message">
                <p>{ banner_text(lang, banner) }</p>
                <button type="button" class="fr-btn--close fr-btn" title={t(lang, K::Dismiss)}
                    aria-label={t(lang, K::Dismiss)} onclick={dismiss}>
                    { t(lang, K::Dismiss) }
                </button>
            </div>
        }
    });
    html! {
        <div class="fr-mb-3w" aria-live="polite" aria-atomic="true" role="status" aria-busy={props.busy.to_string()}>
            if props.busy {
                <p class="fr-text--sm" id="busy">{ t(lang, K::Busy) }</p>
            }
            { for message }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Banner> {
        vec![
            Banner::Offline,
            Banner::NotInApp,
            Banner::SessionExpired,
            Banner::InUseCannotBlock,
            Banner::PreferencesSaved,
            Banner::DeviceForgotten,
            Banner::DeviceTrusted,
            Banner::ReportSent {
                reference: "SIG-1".into(),
            },
            Banner::Error("échec".into()),
        ]
    }

    #[test]
    fn every_banner_has_text_in_both_languages() {
        for banner in all() {
            for lang in [Lang::Fr, Lang::En] {
                assert!(!banner_text(lang, &banner).trim().is_empty(), "{banner:?}");
            }
        }
        let sent = Banner::ReportSent {
            reference: "SIG-1".into(),
        };
        assert!(banner_text(Lang::Fr, &sent).contains("SIG-1"));
    }

    #[test]
    fn problems_are_warnings_or_errors() {
        for banner in all() {
            let class = alert_class(&banner);
            let alarming = class.contains("--error") || class.contains("--warning");
            assert_eq!(alarming, banner.is_problem(), "{banner:?}");
        }
    }
}
