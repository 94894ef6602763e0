//! The login cannot go on: the broker's reason, then back to the service.

use yew::prelude::*;

use crate::i18n::{K, Lang, t};

/// Props of [`Refused`].
#[derive(Clone, PartialEq, Properties)]
pub struct RefusedProps {
    /// Interface language.
    pub lang: Lang,
    /// Stable code of the reason.
    pub code: String,
    /// Title, in French.
    pub title: String,
    /// What happened and what to do, in French.
    pub message: String,
    /// A call is running.
    pub busy: bool,
    /// Back to the service (the login is cancelled).
    pub on_back: Callback<()>,
}

/// The refusal screen.
#[function_component]
pub fn Refused(props: &RefusedProps) -> Html {
    let lang = props.lang;
    let back = props.on_back.reform(|_: MouseEvent| ());
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ &props.title }</h1>
            <div class="fr-alert fr-alert--error fr-mb-3w" id="refused-message">
                <p>{ &props.message }</p>
            </div>
            <p class="fr-text--sm">{ t(lang, K::RefusedCode) }{ " : " }<code id="refused-code">{ &props.code }</code></p>
            <button type="button" class="fr-btn" id="refused-back" disabled={props.busy}
                onclick={back}>{ t(lang, K::BackToService) }</button>
        </section>
    }
}
