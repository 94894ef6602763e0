//! The data-sharing decision: one checkbox per datum (unticked by default),
//! then accept all, accept only the ticked data, or refuse all.

use std::collections::BTreeSet;

use yew::prelude::*;

use pivot_proto::data::DataRequest;

use crate::i18n::{K, Lang, t};
use crate::state::{Action, ConsentChoice};

/// Props of [`Consent`].
#[derive(Clone, PartialEq, Properties)]
pub struct ConsentProps {
    /// Interface language.
    pub lang: Lang,
    /// The service.
    pub service: String,
    /// The data asked, each with its provider.
    pub data: Vec<DataRequest>,
    /// The ticked scopes.
    pub ticked: BTreeSet<String>,
    /// A call is running.
    pub busy: bool,
    /// Local changes (toggles).
    pub on_action: Callback<Action>,
    /// The decision.
    pub on_consent: Callback<ConsentChoice>,
}

/// The consent screen.
#[function_component]
pub fn Consent(props: &ConsentProps) -> Html {
    let lang = props.lang;
    let items = props.data.iter().map(|d| {
        let id = format!("scope-{}", d.scope);
        let scope = d.scope.clone();
        let onchange = props
            .on_action
            .reform(move |_: Event| Action::ToggleDatum(scope.clone()));
        html! {
            <div class="fr-fieldset__element" key={d.scope.clone()}>
                <div class="fr-checkbox-group">
                    <input type="checkbox" id={id.clone()} name="scope" value={d.scope.clone()}
                        checked={props.ticked.contains(&d.scope)} {onchange} />
                    <label class="fr-label" for={id}>{ d.display() }</label>
                </div>
            </div>
        }
    });
    let choose = |choice: ConsentChoice| props.on_consent.reform(move |_: MouseEvent| choice);
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ t(lang, K::ConsentTitle) }{ " — " }{ &props.service }</h1>
            <p>{ t(lang, K::ConsentIntro) }</p>
            <fieldset class="fr-fieldset" aria-labelledby="consent-legend">
                <legend class="fr-fieldset__legend" id="consent-legend">{ t(lang, K::LoginRequestData) }</legend>
                { for items }
            </fieldset>
            <ul class="fr-btns-group fr-btns-group--inline-md">
                <li><button type="button" class="fr-btn" id="accept-all" disabled={props.busy}
                    onclick={choose(ConsentChoice::AcceptAll)}>{ t(lang, K::ConsentAcceptAll) }</button></li>
                <li><button type="button" class="fr-btn fr-btn--secondary" id="accept-some" disabled={props.busy}
                    onclick={choose(ConsentChoice::OnlyTicked)}>{ t(lang, K::ConsentAcceptTicked) }</button></li>
                <li><button type="button" class="fr-btn fr-btn--tertiary" id="refuse-all" disabled={props.busy}
                    onclick={choose(ConsentChoice::RefuseAll)}>{ t(lang, K::ConsentRefuseAll) }</button></li>
            </ul>
            <p class="fr-text--sm">{ t(lang, K::ConsentNote) }</p>
        </section>
    }
}
