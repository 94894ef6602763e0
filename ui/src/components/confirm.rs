//! The identity check before the service receives it: names, "né(e) le …
//! à …", the provider used, the identity agreement a private service needs,
//! and "Faire confiance à cet appareil".

use yew::prelude::*;

use crate::api::IdentitySummary;
use crate::i18n::{K, Lang, t};
use crate::state::Action;

/// Props of [`Confirm`].
#[derive(Clone, PartialEq, Properties)]
pub struct ConfirmProps {
    /// Interface language.
    pub lang: Lang,
    /// Who logged in.
    pub identity: IdentitySummary,
    /// The provider used.
    pub fi_name: String,
    /// The service is private: the agreement is needed.
    pub agreement_required: bool,
    /// The agreement, ticked.
    pub agreement: bool,
    /// "Trust this device", ticked.
    pub trust_device: bool,
    /// Whether the confirmation can be sent.
    pub can_confirm: bool,
    /// A call is running.
    pub busy: bool,
    /// Local changes (the boxes).
    pub on_action: Callback<Action>,
    /// Confirm.
    pub on_confirm: Callback<()>,
    /// Abandon the login.
    pub on_cancel: Callback<()>,
}

/// The confirmation screen.
#[function_component]
pub fn Confirm(props: &ConfirmProps) -> Html {
    let lang = props.lang;
    let id = &props.identity;
    let born = if id.female {
        t(lang, K::BornFemale)
    } else {
        t(lang, K::BornMale)
    };
    let agreement = props.agreement;
    let on_agreement = props
        .on_action
        .reform(move |_: Event| Action::SetAgreement(!agreement));
    let trust = props.trust_device;
    let on_trust = props
        .on_action
        .reform(move |_: Event| Action::SetTrustDevice(!trust));
    let confirm = props.on_confirm.reform(|_: MouseEvent| ());
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ t(lang, K::ConfirmTitle) }</h1>
            <div class="fr-card fr-card--no-arrow fr-mb-3w">
                <div class="fr-card__body"><div class="fr-card__content">
                    <p class="fr-card__title" id="identity-name">{ &id.given_name }{ " " }{ &id.family_name }</p>
                    <p class="fr-card__desc" id="identity-birth">
                        { born }{ " " }{ &id.birthdate }{ " " }{ t(lang, K::BornAt) }{ " " }{ &id.birthplace }
                    </p>
                    <p class="fr-card__detail">{ t(lang, K::ConfirmVia) }{ " " }{ &props.fi_name }</p>
                </div></div>
            </div>
            <fieldset class="fr-fieldset">
                if props.agreement_required {
                    <div class="fr-fieldset__element">
                        <div class="fr-checkbox-group">
                            <input type="checkbox" id="confirm-agreement" checked={props.agreement}
                                aria-describedby="confirm-agreement-hint" onchange={on_agreement} />
                            <label class="fr-label" for="confirm-agreement">
                                { t(lang, K::Agreement) }
                                <span class="fr-hint-text" id="confirm-agreement-hint">{ t(lang, K::AgreementHint) }</span>
                            </label>
                        </div>
                    </div>
                }
                <div class="fr-fieldset__element">
                    <div class="fr-checkbox-group">
                        <input type="checkbox" id="confirm-trust" checked={props.trust_device}
                            aria-describedby="confirm-trust-hint" onchange={on_trust} />
                        <label class="fr-label" for="confirm-trust">
                            { t(lang, K::TrustThis) }
                            <span class="fr-hint-text" id="confirm-trust-hint">{ t(lang, K::TrustDeviceHint) }</span>
                        </label>
                    </div>
                </div>
            </fieldset>
            <ul class="fr-btns-group fr-btns-group--inline-md">
                <li><button type="button" class="fr-btn" id="confirm-continue"
                    disabled={props.busy || !props.can_confirm} onclick={confirm}>{ t(lang, K::ConfirmAction) }</button></li>
                <li><button type="button" class="fr-btn fr-btn--tertiary" disabled={props.busy}
                    onclick={cancel}>{ t(lang, K::Cancel) }</button></li>
            </ul>
        </section>
    }
}
