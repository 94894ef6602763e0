//! A service's login request, shown before any identity-provider step (as
//! AusweisApp shows the provider's certificate and requested fields): who
//! asks — public administration or private company —, for which level, the
//! identity it will receive and each datum with the provider that holds it.

use yew::prelude::*;

use crate::api::InteractionView;
use crate::i18n::{K, Lang, level, t};

/// Props of [`LoginRequest`].
#[derive(Clone, PartialEq, Properties)]
pub struct LoginRequestProps {
    /// Interface language.
    pub lang: Lang,
    /// The broker's view of the login.
    pub view: InteractionView,
    /// A call is running.
    pub busy: bool,
    /// Go on to the login's current step.
    pub on_continue: Callback<()>,
    /// Abandon the login (the service hears of it).
    pub on_cancel: Callback<()>,
}

/// The login-request screen.
#[function_component]
pub fn LoginRequest(props: &LoginRequestProps) -> Html {
    let lang = props.lang;
    let view = &props.view;
    let kind = if view.service.public_service {
        t(lang, K::ServicePublic)
    } else {
        t(lang, K::ServicePrivate)
    };
    let go_on = props.on_continue.reform(|_: MouseEvent| ());
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ t(lang, K::LoginRequestTitle) }</h1>
            <p>{ t(lang, K::LoginRequestIntro) }</p>
            <dl>
                <dt class="fr-text--bold">{ t(lang, K::LoginRequestService) }</dt>
                <dd>
                    <span id="request-service">{ &view.service.name }</span>
                    { " " }
                    <span class="fr-badge fr-badge--sm fr-badge--info" id="request-kind">{ kind }</span>
                </dd>
                <dt class="fr-text--bold">{ t(lang, K::LoginRequestLevel) }</dt>
                <dd id="request-level">{ level(lang, view.level) }</dd>
                <dt class="fr-text--bold">{ t(lang, K::LoginRequestIdentity) }</dt>
                <dd>
                    <ul id="request-identity">
                        { for view.identity_items.iter().map(|item| html! { <li key={item.clone()}>{ item }</li> }) }
                    </ul>
                </dd>
                <dt class="fr-text--bold">{ t(lang, K::LoginRequestData) }</dt>
                <dd>
                    if view.data.is_empty() {
                        <p>{ t(lang, K::LoginRequestNoData) }</p>
                    } else {
                        <ul id="request-data">
                            { for view.data.iter().map(|d| html! {
                                <li key={d.scope.clone()}>
                                    { &d.label }{ " — " }{ t(lang, K::DataFrom) }{ " " }
                                    <strong>{ &d.provider_name }</strong>
                                </li>
                            }) }
                        </ul>
                    }
                </dd>
            </dl>
            <ul class="fr-btns-group fr-btns-group--inline-md">
                <li><button type="button" class="fr-btn" id="request-continue" disabled={props.busy}
                    onclick={go_on}>{ t(lang, K::Continue) }</button></li>
                <li><button type="button" class="fr-btn fr-btn--tertiary" id="request-cancel" disabled={props.busy}
                    onclick={cancel}>{ t(lang, K::Cancel) }</button></li>
            </ul>
        </section>
    }
}
