//! The choice of the identity provider: the ones that cannot meet the
//! service's level are greyed with the reason; the broker's notice (a
//! provider that just failed) comes first.

use yew::prelude::*;

use crate::api::FiOption;
use crate::i18n::{K, Lang, t};

/// Props of [`FiList`].
#[derive(Clone, PartialEq, Properties)]
pub struct FiListProps {
    /// Interface language.
    pub lang: Lang,
    /// The service.
    pub service: String,
    /// The providers offered.
    pub providers: Vec<FiOption>,
    /// Why the citizen is back here, in French.
    pub notice: Option<String>,
    /// A call is running.
    pub busy: bool,
    /// A provider was chosen (its id).
    pub on_choose: Callback<String>,
    /// Abandon the login.
    pub on_cancel: Callback<()>,
}

/// The identity-provider list.
#[function_component]
pub fn FiList(props: &FiListProps) -> Html {
    let lang = props.lang;
    let items = props.providers.iter().map(|fi| {
        let id = fi.id.clone();
        let onclick = props.on_choose.reform(move |_: MouseEvent| id.clone());
        let hint_id = format!("fi-unavailable-{}", fi.id);
        html! {
            <li key={fi.id.clone()} class="fr-mb-2w">
                <button type="button" class="fr-btn fr-btn--secondary" id={format!("fi-{}", fi.id)}
                    disabled={!fi.available || props.busy}
                    aria-describedby={(!fi.available).then(|| hint_id.clone())} {onclick}>
                    { &fi.name }
                </button>
                if !fi.available {
                    <p class="fr-hint-text" id={hint_id}>{ t(lang, K::FiUnavailable) }</p>
                }
            </li>
        }
    });
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ t(lang, K::ChooseFiTitle) }</h1>
            if let Some(notice) = &props.notice {
                <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w" id="fi-notice">
                    <p>{ notice }</p>
                </div>
            }
            <p>{ t(lang, K::ChooseFiIntro) }{ " " }<strong>{ &props.service }</strong></p>
            <ul class="fr-raw-list">{ for items }</ul>
            <button type="button" class="fr-btn fr-btn--tertiary" disabled={props.busy}
                onclick={cancel}>{ t(lang, K::Cancel) }</button>
        </section>
    }
}
