//! The main menu, the sign-in/out button and the language switch.

use yew::prelude::*;

use crate::effects::Command;
use crate::i18n::{K, Lang, t};
use crate::state::{Action, Screen};

/// Props of [`Nav`].
#[derive(Clone, PartialEq, Properties)]
pub struct NavProps {
    /// Interface language.
    pub lang: Lang,
    /// The current screen (marked `aria-current`).
    pub screen: Screen,
    /// Whether the citizen is signed in.
    pub signed_in: bool,
    /// Go to a screen.
    pub on_navigate: Callback<Screen>,
    /// Local changes (language).
    pub on_action: Callback<Action>,
    /// Calls to the shell (sign in/out).
    pub on_command: Callback<Command>,
}

/// The main menu.
#[function_component]
pub fn Nav(props: &NavProps) -> Html {
    let lang = props.lang;
    let item = |screen: Screen, key: K| {
        let onclick = props.on_navigate.reform(move |_: MouseEvent| screen);
        let current = (props.screen == screen).then_some("page");
        html! {
            <li class="fr-nav__item">
                <button type="button" class="fr-nav__link" aria-current={current} {onclick}>
                    { t(lang, key) }
                </button>
            </li>
        }
    };
    let other = lang.other();
    let switch_lang = props
        .on_action
        .reform(move |_: MouseEvent| Action::SetLang(other));
    let account = if props.signed_in {
        let onclick = props.on_command.reform(|_: MouseEvent| Command::SignOut);
        html! { <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm" {onclick}>{ t(lang, K::SignOut) }</button> }
    } else {
        let onclick = props.on_navigate.reform(|_: MouseEvent| Screen::SignIn);
        html! { <button type="button" class="fr-btn fr-btn--sm" {onclick}>{ t(lang, K::SignIn) }</button> }
    };
    html! {
        <div class="fr-header__menu">
            <div class="fr-container">
                <nav class="fr-nav" aria-label={t(lang, K::NavMain)}>
                    <ul class="fr-nav__list">
                        { item(Screen::Home, K::NavHome) }
                        { item(Screen::History, K::NavHistory) }
                        { item(Screen::Preferences, K::NavPreferences) }
                        { item(Screen::Devices, K::NavDevices) }
                        { item(Screen::Report, K::NavReport) }
                    </ul>
                </nav>
                <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--right">
                    <li>{ account }</li>
                    <li>
                        <button type="button" class="fr-btn fr-btn--tertiary-no-outline fr-btn--sm"
                            lang={other.code()} aria-label={format!("{} : {}", t(lang, K::LanguageSwitch), other.name())}
                            onclick={switch_lang}>
                            { other.name() }
                        </button>
                    </li>
                </ul>
            </div>
        </div>
    }
}
