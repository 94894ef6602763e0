//! Sign in to "Mon espace".

use yew::prelude::*;

use crate::effects::Command;
use crate::i18n::{K, Lang, t};

/// Props of [`SignIn`].
#[derive(Clone, PartialEq, Properties)]
pub struct SignInProps {
    /// Interface language.
    pub lang: Lang,
    /// A call is running (the button waits).
    pub busy: bool,
    /// Calls to the shell.
    pub on_command: Callback<Command>,
}

/// The sign-in screen.
#[function_component]
pub fn SignIn(props: &SignInProps) -> Html {
    let lang = props.lang;
    let onclick = props.on_command.reform(|_: MouseEvent| Command::SignIn);
    html! {
        <section aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">{ t(lang, K::SignInTitle) }</h1>
            <p>{ t(lang, K::SignInIntro) }</p>
            <button type="button" class="fr-btn" id="sign-in" disabled={props.busy} {onclick}>
                { t(lang, K::SignIn) }
            </button>
        </section>
    }
}
