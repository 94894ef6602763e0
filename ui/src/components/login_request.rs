//! A service's login request: who asks, for which level, which data —
//! shown before any identity-provider step.

use yew::prelude::*;

use crate::api::PendingRequest;
use crate::i18n::{K, Lang, level, t};
use crate::state::{Action, Screen};

/// Props of [`LoginRequest`].
#[derive(Clone, PartialEq, Properties)]
pub struct LoginRequestProps {
    /// Interface language.
    pub lang: Lang,
    /// The request.
    pub request: PendingRequest,
    /// Go to a screen.
    pub on_navigate: Callback<Screen>,
    /// Local changes (cancel).
    pub on_action: Callback<Action>,
}

/// The login-request screen.
#[function_component]
pub fn LoginRequest(props: &LoginRequestProps) -> Html {
    let lang = props.lang;
    let request = &props.request;
    let go_on = props.on_navigate.reform(|_: MouseEvent| Screen::ChooseFi);
    let cancel = props
        .on_action
        .reform(|_: MouseEvent| Action::CancelRequest);
    html! {
        <section aria-labelledby="request-title">
            <h1 id="request-title">{ t(lang, K::LoginRequestTitle) }</h1>
            <dl>
                <dt class="fr-text--bold">{ t(lang, K::LoginRequestService) }</dt>
                <dd id="request-service">{ &request.service }</dd>
                <dt class="fr-text--bold">{ t(lang, K::LoginRequestLevel) }</dt>
                <dd id="request-level">{ level(lang, request.level) }</dd>
                <dt class="fr-text--bold">{ t(lang, K::LoginRequestData) }</dt>
                <dd>
                    if request.data.is_empty() {
                        <p>{ t(lang, K::LoginRequestNoData) }</p>
                    } else {
                        <ul id="request-data">
                            { for request.data.iter().map(|d| html! { <li key={d.scope.clone()}>{ d.display() }</li> }) }
                        </ul>
                    }
                </dd>
            </dl>
            <ul class="fr-btns-group fr-btns-group--inline-md">
                <li><button type="button" class="fr-btn" onclick={go_on}>{ t(lang, K::Continue) }</button></li>
                <li><button type="button" class="fr-btn fr-btn--tertiary" onclick={cancel}>{ t(lang, K::Cancel) }</button></li>
            </ul>
        </section>
    }
}
