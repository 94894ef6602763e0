//! A number field of the card screen (card access number, PIN, PUK): a
//! plain input with its label and hint, the numeric keyboard on touch
//! screens, no autofill, the secret ones masked, and its error linked by
//! `aria-describedby`.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{Lang, card_field_error, card_field_hint, card_field_label};
use crate::state::{Action, CardField, Code};

/// Props of [`CardCodeField`].
#[derive(Clone, PartialEq, Properties)]
pub struct CardCodeFieldProps {
    /// Interface language.
    pub lang: Lang,
    /// Which field.
    pub field: CardField,
    /// What is typed.
    pub value: Code,
    /// Show the field's error.
    pub error: bool,
    /// Typing.
    pub on_action: Callback<Action>,
}

/// One number field.
#[function_component]
pub fn CardCodeField(props: &CardCodeFieldProps) -> Html {
    let lang = props.lang;
    let field = props.field;
    let id = field.id();
    let error_id = format!("{id}-error");
    let oninput = props.on_action.reform(move |e: InputEvent| {
        let value = e
            .target_dyn_into::<HtmlInputElement>()
            .map(|i| i.value())
            .unwrap_or_default();
        Action::EditCard(field, Code::new(value))
    });
    let (group, input) = if props.error {
        (
            "fr-input-group fr-input-group--error",
            "fr-input fr-input--error",
        )
    } else {
        ("fr-input-group", "fr-input")
    };
    html! {
        <div class={group}>
            <label class="fr-label" for={id}>
                { card_field_label(lang, field) }
                <span class="fr-hint-text">{ card_field_hint(lang, field) }</span>
            </label>
            <input class={input} id={id} type={if field.is_secret() { "password" } else { "text" }}
                inputmode="numeric" autocomplete="off" spellcheck="false"
                maxlength={field.digits().to_string()}
                value={props.value.as_str().to_owned()}
                aria-invalid={props.error.then_some("true")}
                aria-describedby={props.error.then(|| error_id.clone())}
                {oninput} />
            if props.error {
                <p class="fr-error-text" id={error_id}>{ card_field_error(lang, field) }</p>
            }
        </div>
    }
}
