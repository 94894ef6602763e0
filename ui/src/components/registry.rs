//! The civil registry did not answer: try again in a moment.

use yew::prelude::*;

use crate::i18n::{K, Lang, t};

/// Props of [`Registry`].
#[derive(Clone, PartialEq, Properties)]
pub struct RegistryProps {
    /// Interface language.
    pub lang: Lang,
    /// Seconds to wait before retrying.
    pub retry_after_secs: u32,
    /// A call is running.
    pub busy: bool,
    /// Try again.
    pub on_retry: Callback<()>,
    /// Abandon the login.
    pub on_cancel: Callback<()>,
}

/// The "registry unavailable" screen.
#[function_component]
pub fn Registry(props: &RegistryProps) -> Html {
    let lang = props.lang;
    let retry = props.on_retry.reform(|_: MouseEvent| ());
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ t(lang, K::RegistryTitle) }</h1>
            <p>{ t(lang, K::RegistryIntro) }</p>
            <p class="fr-hint-text">
                { t(lang, K::RetryWait) }{ " " }{ props.retry_after_secs }{ " " }{ t(lang, K::Seconds) }
            </p>
            <ul class="fr-btns-group fr-btns-group--inline-md">
                <li><button type="button" class="fr-btn" id="registry-retry" disabled={props.busy}
                    onclick={retry}>{ t(lang, K::Retry) }</button></li>
                <li><button type="button" class="fr-btn fr-btn--tertiary" disabled={props.busy}
                    onclick={cancel}>{ t(lang, K::Cancel) }</button></li>
            </ul>
        </section>
    }
}
