//! The login is over and handed back: "Retournez sur votre navigateur".

use yew::prelude::*;

use crate::i18n::{K, Lang, t};
use crate::state::{LoginEnd, Screen};

/// Props of [`LoginDone`].
#[derive(Clone, PartialEq, Properties)]
pub struct LoginDoneProps {
    /// Interface language.
    pub lang: Lang,
    /// How the login ended.
    pub end: LoginEnd,
    /// Go to a screen.
    pub on_navigate: Callback<Screen>,
}

/// The end screen.
#[function_component]
pub fn LoginDone(props: &LoginDoneProps) -> Html {
    let lang = props.lang;
    let (class, text, hint) = match &props.end {
        LoginEnd::Success { service } => (
            "fr-alert fr-alert--success",
            format!("{} {service}.", t(lang, K::DoneSuccess)),
            t(lang, K::DoneHint),
        ),
        LoginEnd::Cancelled { service } => (
            "fr-alert fr-alert--info",
            format!("{} {service}.", t(lang, K::DoneCancelled)),
            t(lang, K::DoneHint),
        ),
        LoginEnd::Returned { message, .. } => (
            "fr-alert fr-alert--warning",
            message.clone(),
            t(lang, K::DoneHint),
        ),
        LoginEnd::Expired { message } => (
            "fr-alert fr-alert--warning",
            message.clone(),
            t(lang, K::DoneExpiredHint),
        ),
    };
    let home = props.on_navigate.reform(|_: MouseEvent| Screen::Home);
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ t(lang, K::DoneTitle) }</h1>
            <div class={format!("{class} fr-mb-3w")} id="done-message">
                <p>{ text }</p>
            </div>
            <p>{ hint }</p>
            <button type="button" class="fr-btn fr-btn--secondary" onclick={home}>{ t(lang, K::BackHome) }</button>
        </section>
    }
}
