//! The ID-card login at a provider such as France Identité (no window):
//! the reader's status as the shell reports it, the reader to use when
//! several are plugged in, the card access number and the PIN, what went
//! wrong on the card (tries left), the PIN unblocking, and the ways out.

use pivot_proto::card_reader::CardPresence;
use web_sys::{HtmlElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::card_code_field::CardCodeField;
use crate::components::card_unblock::CardUnblock;
use crate::effects::Command;
use crate::i18n::{K, Lang, card_issue, reader_status, t, tries_left};
use crate::state::{Action, CardCall, CardForm, CardMode};

/// Props of [`CardLogin`].
#[derive(Clone, PartialEq, Properties)]
pub struct CardLoginProps {
    /// Interface language.
    pub lang: Lang,
    /// The login.
    pub interaction_id: String,
    /// The provider's name.
    pub fi_name: String,
    /// The card screen's state.
    pub form: CardForm,
    /// A call is running.
    pub busy: bool,
    /// Local changes.
    pub on_action: Callback<Action>,
    /// Calls to the shell.
    pub on_command: Callback<Command>,
    /// Abandon the login (the service hears of it).
    pub on_cancel: Callback<()>,
}

fn presence(lang: Lang, card: CardPresence) -> &'static str {
    t(
        lang,
        match card {
            CardPresence::Present => K::CardPresent,
            CardPresence::Absent => K::CardAbsent,
            CardPresence::Mute => K::CardMute,
            CardPresence::InUse => K::CardInUse,
        },
    )
}

/// Puts the focus on the element `id`, if it is in the page.
fn focus(id: &str) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}

/// The card screen.
#[function_component]
pub fn CardLogin(props: &CardLoginProps) -> Html {
    let lang = props.lang;
    let form = &props.form;
    let busy = props.busy;
    let ready = form.card_ready();

    // The readers as they are now; the shell's events follow.
    {
        let on_command = props.on_command.clone();
        use_effect_with(props.interaction_id.clone(), move |_| {
            on_command.emit(Command::LoadCardReaders);
        });
    }
    // After a failed try or a change of form, the focus goes to the first
    // field to fill (not on arrival: the title has it then).
    {
        let arrived = use_mut_ref(|| false);
        let target = form
            .fields()
            .iter()
            .find(|f| form.value(**f).is_empty())
            .or(form.fields().first())
            .map(|f| f.id());
        use_effect_with((form.failures, form.mode), move |_| {
            let returning = std::mem::replace(&mut *arrived.borrow_mut(), true);
            if let Some(id) = target.filter(|_| returning) {
                focus(id);
            }
        });
    }

    let reader_select = form
        .readers
        .as_ref()
        .filter(|l| l.readers.len() > 1)
        .map(|list| {
            let onchange = props.on_action.reform(|e: Event| {
                let name = e
                    .target_dyn_into::<HtmlSelectElement>()
                    .map(|s| s.value())
                    .unwrap_or_default();
                Action::SelectCardReader(name)
            });
            let options = list.readers.iter().map(|r| {
                let selected = form.reader.as_deref() == Some(r.name.as_str());
                html! {
                    <option key={r.name.clone()} value={r.name.clone()} {selected}>
                        { &r.name }{ " — " }{ presence(lang, r.card) }
                    </option>
                }
            });
            html! {
                <div class="fr-select-group">
                    <label class="fr-label" for="card-reader">
                        { t(lang, K::CardReader) }
                        <span class="fr-hint-text">{ t(lang, K::CardReaderHint) }</span>
                    </label>
                    <select class="fr-select" id="card-reader" disabled={busy} {onchange}>
                        { for options }
                    </select>
                </div>
            }
        });

    let body = match form.mode {
        CardMode::Login => {
            let onsubmit = {
                let form = form.clone();
                let id = props.interaction_id.clone();
                let on_action = props.on_action.clone();
                let on_command = props.on_command.clone();
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    if busy || !form.card_ready() {
                        return;
                    }
                    match form.login_request(&id) {
                        Some(request) => {
                            on_action.emit(Action::CardSubmitted(CardCall::Login));
                            on_command.emit(Command::CardLogin(request));
                        }
                        None => on_action.emit(Action::CardInvalid),
                    }
                })
            };
            let open_unblock = props
                .on_action
                .reform(|_: MouseEvent| Action::ShowCardUnblock(true));
            let errors = form.shown_errors();
            let fields = form.fields().iter().map(|&field| {
                html! {
                    <CardCodeField key={field.id()} {lang} {field} value={form.value(field).clone()}
                        error={errors.contains(&field)} on_action={props.on_action.clone()} />
                }
            });
            html! {
                <form id="card-login-form" novalidate=true {onsubmit}>
                    { for fields }
                    <ul class="fr-btns-group fr-btns-group--inline-md">
                        <li><button type="submit" class="fr-btn" id="card-submit"
                            disabled={busy || !ready}
                            aria-describedby={(!ready).then_some("card-reader-status")}>
                            { t(lang, K::CardSubmit) }
                        </button></li>
                        <li><button type="button" class="fr-btn fr-btn--tertiary-no-outline" id="card-unblock-open"
                            disabled={busy} onclick={open_unblock}>{ t(lang, K::CardUnblockOpen) }</button></li>
                    </ul>
                </form>
            }
        }
        CardMode::Unblock => html! {
            <CardUnblock {lang} form={form.clone()} {busy}
                on_action={props.on_action.clone()} on_command={props.on_command.clone()} />
        },
    };

    let reading = busy
        .then_some(form.pending)
        .flatten()
        .map(|call| match call {
            CardCall::Login => t(lang, K::CardReading),
            CardCall::Unblock => t(lang, K::CardUnblocking),
        });
    let card_cancel = {
        let id = props.interaction_id.clone();
        props
            .on_command
            .reform(move |_: MouseEvent| Command::CardCancel(id.clone()))
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <section aria-labelledby="step-title">
            <h1 id="step-title" tabindex="-1">{ t(lang, K::CardTitle) }{ " — " }{ &props.fi_name }</h1>
            <p>{ t(lang, K::CardIntro) }</p>
            <div id="card-reader-status" role="status" aria-live="polite" class="fr-mb-3w">
                <p class="fr-mb-1w">{ reader_status(lang, &form.reader_status()) }</p>
                if let Some(text) = reading {
                    <p class="fr-text--bold" id="card-busy">{ text }</p>
                }
            </div>
            { for reader_select }
            <div id="card-problem" role="alert">
                if let Some(issue) = &form.issue {
                    <div class="fr-alert fr-alert--error fr-alert--sm fr-mb-3w">
                        <p>{ card_issue(lang, issue) }</p>
                        if let Some(n) = issue.tries_left() {
                            <p class="fr-text--lead fr-text--bold fr-mb-0" id="card-tries-left">{ tries_left(lang, n) }</p>
                        }
                    </div>
                }
            </div>
            <div role="status" aria-live="polite">
                if form.unblocked {
                    <div class="fr-alert fr-alert--success fr-alert--sm fr-mb-3w" id="card-unblocked">
                        <p>{ t(lang, K::CardUnblocked) }</p>
                    </div>
                }
            </div>
            { body }
            <ul class="fr-btns-group fr-btns-group--inline-md fr-mt-3w">
                <li><button type="button" class="fr-btn fr-btn--secondary" id="card-cancel" disabled={busy}
                    onclick={card_cancel}>{ t(lang, K::CardOtherMethod) }</button></li>
                <li><button type="button" class="fr-btn fr-btn--tertiary" id="login-cancel" disabled={busy}
                    onclick={cancel}>{ t(lang, K::Cancel) }</button></li>
            </ul>
        </section>
    }
}
