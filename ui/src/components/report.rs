//! The fraud report: contact address and message, checked with
//! `FraudReportRequest::validate` before anything is sent.

use pivot_proto::citizen::FraudReportError;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::effects::Command;
use crate::i18n::{K, Lang, report_error, t};
use crate::state::{Action, ReportField, ReportForm};

/// Props of [`Report`].
#[derive(Clone, PartialEq, Properties)]
pub struct ReportProps {
    /// Interface language.
    pub lang: Lang,
    /// The form.
    pub form: ReportForm,
    /// A call is running.
    pub busy: bool,
    /// Local changes (fields, validation).
    pub on_action: Callback<Action>,
    /// Calls to the shell (send).
    pub on_command: Callback<Command>,
}

/// The report screen.
#[function_component]
pub fn Report(props: &ReportProps) -> Html {
    let lang = props.lang;
    let form = &props.form;
    let on_contact = props.on_action.reform(|e: InputEvent| {
        let value = e
            .target_dyn_into::<HtmlInputElement>()
            .map(|i| i.value())
            .unwrap_or_default();
        Action::EditReport(ReportField::Contact, value)
    });
    let on_message = props.on_action.reform(|e: InputEvent| {
        let value = e
            .target_dyn_into::<HtmlTextAreaElement>()
            .map(|i| i.value())
            .unwrap_or_default();
        Action::EditReport(ReportField::Message, value)
    });
    let onsubmit = {
        let form = form.clone();
        let on_action = props.on_action.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match form.to_request() {
                Ok(request) => on_command.emit(Command::SendReport(request)),
                Err(error) => on_action.emit(Action::ReportInvalid(error)),
            }
        })
    };
    let contact_error = form
        .error
        .as_ref()
        .filter(|e| **e == FraudReportError::Contact);
    let message_error = form
        .error
        .as_ref()
        .filter(|e| **e == FraudReportError::Message);
    let group = |error: bool, base: &'static str| {
        if error {
            classes!(base, format!("{base}--error"))
        } else {
            classes!(base)
        }
    };
    html! {
        <section aria-labelledby="report-title">
            <h1 id="report-title">{ t(lang, K::ReportTitle) }</h1>
            <p>{ t(lang, K::ReportIntro) }</p>
            <form {onsubmit} novalidate=true>
                if let Some(reference) = &form.reference {
                    <p>{ t(lang, K::ReportReference) }{ " : " }<strong id="report-reference">{ reference }</strong></p>
                }
                <div class={group(contact_error.is_some(), "fr-input-group")}>
                    <label class="fr-label" for="report-contact">
                        { t(lang, K::ReportContact) }
                        <span class="fr-hint-text">{ t(lang, K::ReportContactHint) }</span>
                    </label>
                    <input class={group(contact_error.is_some(), "fr-input")} type="email" id="report-contact"
                        autocomplete="email" required=true value={form.contact_email.clone()}
                        aria-invalid={contact_error.is_some().then_some("true")}
                        aria-describedby={contact_error.map(|_| "report-contact-error")}
                        oninput={on_contact} />
                    if let Some(error) = contact_error {
                        <p class="fr-error-text" id="report-contact-error">{ report_error(lang, error) }</p>
                    }
                </div>
                <div class={group(message_error.is_some(), "fr-input-group")}>
                    <label class="fr-label" for="report-message">
                        { t(lang, K::ReportMessage) }
                        <span class="fr-hint-text">{ t(lang, K::ReportMessageHint) }</span>
                    </label>
                    <textarea class={group(message_error.is_some(), "fr-input")} id="report-message" rows="6"
                        required=true value={form.message.clone()}
                        aria-invalid={message_error.is_some().then_some("true")}
                        aria-describedby={message_error.map(|_| "report-message-error")}
                        oninput={on_message} />
                    if let Some(error) = message_error {
                        <p class="fr-error-text" id="report-message-error">{ report_error(lang, error) }</p>
                    }
                </div>
                <button type="submit" class="fr-btn" disabled={props.busy}>{ t(lang, K::Send) }</button>
            </form>
        </section>
    }
}
