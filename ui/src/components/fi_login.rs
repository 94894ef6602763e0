//! While the identity provider's window is open: "connexion en cours chez
//! X", to reopen the window if the citizen closed it, or to cancel.

use yew::prelude::*;

use crate::i18n::{K, Lang, t};

/// Props of [`FiLogin`].
#[derive(Clone, PartialEq, Properties)]
pub struct FiLoginProps {
    /// Interface language.
    pub lang: Lang,
    /// The provider's name.
    pub fi_name: String,
    /// The citizen closed the window.
    pub closed: bool,
    /// A call is running.
    pub busy: bool,
    /// Open the window again.
    pub on_reopen: Callback<()>,
    /// Abandon the login.
    pub on_cancel: Callback<()>,
}

/// The provider-login screen.
#[function_component]
pub fn FiLogin(props: &FiLoginProps) -> Html {
    let lang = props.lang;
    let reopen = props.on_reopen.reform(|_: MouseEvent| ());
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ t(lang, K::FiLoginTitle) }{ " " }{ &props.fi_name }</h1>
            <div role="status" aria-live="polite" id="fi-login-status">
                if props.closed {
                    <p>{ t(lang, K::FiWindowClosed) }</p>
                } else {
                    <p>{ t(lang, K::FiLoginIntro) }</p>
                }
            </div>
            <ul class="fr-btns-group fr-btns-group--inline-md">
                if props.closed {
                    <li><button type="button" class="fr-btn" id="fi-reopen" disabled={props.busy}
                        onclick={reopen}>{ t(lang, K::FiReopen) }</button></li>
                }
                <li><button type="button" class="fr-btn fr-btn--tertiary" id="fi-cancel" disabled={props.busy}
                    onclick={cancel}>{ t(lang, K::Cancel) }</button></li>
            </ul>
        </section>
    }
}
