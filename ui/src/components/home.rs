//! The welcome screen.

use yew::prelude::*;

use crate::effects::Command;
use crate::i18n::{K, Lang, t};
use crate::state::Screen;

/// Props of [`Home`].
#[derive(Clone, PartialEq, Properties)]
pub struct HomeProps {
    /// Interface language.
    pub lang: Lang,
    /// Whether the citizen is signed in.
    pub signed_in: bool,
    /// Their given name, if known.
    pub given_name: Option<String>,
    /// Whether a login request waits.
    pub has_request: bool,
    /// Go to a screen.
    pub on_navigate: Callback<Screen>,
    /// Calls to the shell.
    pub on_command: Callback<Command>,
}

/// The welcome screen.
#[function_component]
pub fn Home(props: &HomeProps) -> Html {
    let lang = props.lang;
    let go = |screen: Screen| props.on_navigate.reform(move |_: MouseEvent| screen);
    let check = props
        .on_command
        .reform(|_: MouseEvent| Command::LoadPending);
    let title = match (&props.given_name, props.signed_in) {
        (Some(name), true) => format!("{} {name}", t(lang, K::Hello)),
        _ => t(lang, K::HomeTitle).to_owned(),
    };
    html! {
        <section aria-labelledby="home-title">
            <h1 id="home-title">{ title }</h1>
            if props.signed_in {
                <p>{ t(lang, K::HomeSignedIn) }</p>
                <ul class="fr-btns-group fr-btns-group--inline-md">
                    <li><button type="button" class="fr-btn" onclick={go(Screen::History)}>{ t(lang, K::NavHistory) }</button></li>
                    <li><button type="button" class="fr-btn fr-btn--secondary" onclick={go(Screen::Preferences)}>{ t(lang, K::NavPreferences) }</button></li>
                    <li><button type="button" class="fr-btn fr-btn--secondary" onclick={go(Screen::Devices)}>{ t(lang, K::NavDevices) }</button></li>
                </ul>
            } else {
                <p>{ t(lang, K::HomeSignedOut) }</p>
                <button type="button" class="fr-btn" onclick={go(Screen::SignIn)}>{ t(lang, K::SignIn) }</button>
            }
            <hr class="fr-mt-4w" />
            if props.has_request {
                <button type="button" class="fr-btn fr-btn--secondary" onclick={go(Screen::LoginRequest)}>
                    { t(lang, K::ResumeRequest) }
                </button>
            } else {
                <button type="button" class="fr-btn fr-btn--tertiary" onclick={check}>
                    { t(lang, K::HomeCheckRequest) }
                </button>
            }
        </section>
    }
}
