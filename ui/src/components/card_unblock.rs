//! The PIN unblocking form of the card screen: card access number, PUK
//! and the new PIN twice, checked before anything is sent.

use yew::prelude::*;

use crate::components::card_code_field::CardCodeField;
use crate::effects::Command;
use crate::i18n::{K, Lang, t};
use crate::state::{Action, CardCall, CardForm};

/// Props of [`CardUnblock`].
#[derive(Clone, PartialEq, Properties)]
pub struct CardUnblockProps {
    /// Interface language.
    pub lang: Lang,
    /// The card screen's state.
    pub form: CardForm,
    /// A call is running.
    pub busy: bool,
    /// Local changes (fields, checks, back to the login form).
    pub on_action: Callback<Action>,
    /// Calls to the shell (`card_unblock`).
    pub on_command: Callback<Command>,
}

/// The unblocking form.
#[function_component]
pub fn CardUnblock(props: &CardUnblockProps) -> Html {
    let lang = props.lang;
    let form = &props.form;
    let ready = form.card_ready();
    let onsubmit = {
        let form = form.clone();
        let busy = props.busy;
        let on_action = props.on_action.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if busy || !form.card_ready() {
                return;
            }
            match form.unblock_request() {
                Some(request) => {
                    on_action.emit(Action::CardSubmitted(CardCall::Unblock));
                    on_command.emit(Command::CardUnblock(request));
                }
                None => on_action.emit(Action::CardInvalid),
            }
        })
    };
    let back = props
        .on_action
        .reform(|_: MouseEvent| Action::ShowCardUnblock(false));
    let errors = form.shown_errors();
    let fields = form.fields().iter().map(|&field| {
        html! {
            <CardCodeField key={field.id()} {lang} {field} value={form.value(field).clone()}
                error={errors.contains(&field)} on_action={props.on_action.clone()} />
        }
    });
    html! {
        <form id="card-unblock-form" aria-labelledby="card-unblock-title" novalidate=true {onsubmit}>
            <h2 id="card-unblock-title" class="fr-h4">{ t(lang, K::CardUnblockTitle) }</h2>
            <p>{ t(lang, K::CardUnblockIntro) }</p>
            { for fields }
            <ul class="fr-btns-group fr-btns-group--inline-md">
                <li><button type="submit" class="fr-btn" id="card-unblock-submit"
                    disabled={props.busy || !ready}
                    aria-describedby={(!ready).then_some("card-reader-status")}>
                    { t(lang, K::CardUnblockSubmit) }
                </button></li>
                <li><button type="button" class="fr-btn fr-btn--tertiary-no-outline" id="card-unblock-close"
                    disabled={props.busy} onclick={back}>{ t(lang, K::CardUnblockBack) }</button></li>
            </ul>
        </form>
    }
}
