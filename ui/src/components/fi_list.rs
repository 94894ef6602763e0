//! The choice of the identity provider for a login.

use yew::prelude::*;

use crate::api::PendingRequest;
use crate::effects::Command;
use crate::i18n::{K, Lang, t};
use crate::state::Action;

/// Props of [`FiList`].
#[derive(Clone, PartialEq, Properties)]
pub struct FiListProps {
    /// Interface language.
    pub lang: Lang,
    /// The request and its providers.
    pub request: PendingRequest,
    /// A call is running.
    pub busy: bool,
    /// Calls to the shell (the provider login).
    pub on_command: Callback<Command>,
    /// Local changes (cancel).
    pub on_action: Callback<Action>,
}

/// The identity-provider list.
#[function_component]
pub fn FiList(props: &FiListProps) -> Html {
    let lang = props.lang;
    let request_id = props.request.id.clone();
    let items = props.request.identity_providers.iter().map(|fi| {
        let command = Command::ChooseFi {
            request_id: request_id.clone(),
            fi_id: fi.id.clone(),
        };
        let onclick = props
            .on_command
            .reform(move |_: MouseEvent| command.clone());
        let hint_id = format!("fi-blocked-{}", fi.id);
        html! {
            <li key={fi.id.clone()} class="fr-mb-2w">
                <button type="button" class="fr-btn fr-btn--secondary" id={format!("fi-{}", fi.id)}
                    disabled={fi.blocked || props.busy}
                    aria-describedby={fi.blocked.then(|| hint_id.clone())} {onclick}>
                    { &fi.name }
                </button>
                if fi.blocked {
                    <p class="fr-hint-text" id={hint_id}>{ t(lang, K::FiBlocked) }</p>
                }
            </li>
        }
    });
    let cancel = props
        .on_action
        .reform(|_: MouseEvent| Action::CancelRequest);
    html! {
        <section aria-labelledby="fi-title">
            <h1 id="fi-title">{ t(lang, K::ChooseFiTitle) }</h1>
            <p>{ t(lang, K::ChooseFiIntro) }{ " " }<strong>{ &props.request.service }</strong></p>
            <ul class="fr-raw-list">{ for items }</ul>
            <button type="button" class="fr-btn fr-btn--tertiary" onclick={cancel}>{ t(lang, K::Cancel) }</button>
        </section>
    }
}
