//! The root: the reducer, the header, the status banner and the screen.

use yew::prelude::*;

use crate::components::devices::Devices;
use crate::components::history::History;
use crate::components::home::Home;
use crate::components::login_done::LoginDone;
use crate::components::login_request::LoginRequest;
use crate::components::login_step::LoginStep;
use crate::components::nav::Nav;
use crate::components::preferences::Preferences;
use crate::components::report::Report;
use crate::components::sign_in::SignIn;
use crate::components::status_banner::StatusBanner;
use crate::effects::{self, Command};
use crate::i18n::{K, t};
use crate::state::{Action, ConsentChoice, Screen, State, step_name};

/// The command that loads a screen's data, if it has any.
fn loader(screen: Screen) -> Option<Command> {
    match screen {
        Screen::History => Some(Command::LoadHistory),
        Screen::Preferences => Some(Command::LoadPreferences),
        Screen::Devices => Some(Command::LoadDevices),
        _ => None,
    }
}

/// The app.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(State::default);

    let on_action = {
        let dispatcher = state.dispatcher();
        Callback::from(move |action: Action| dispatcher.dispatch(action))
    };
    let on_command = {
        let dispatcher = state.dispatcher();
        Callback::from(move |command: Command| effects::run(command, dispatcher.clone()))
    };
    // Going to a screen loads its data when the citizen is signed in.
    let on_navigate = {
        let dispatcher = state.dispatcher();
        let signed_in = state.session.is_some();
        Callback::from(move |screen: Screen| {
            dispatcher.dispatch(Action::Navigate(screen));
            if let Some(command) = loader(screen).filter(|_| signed_in) {
                effects::run(command, dispatcher.clone());
            }
        })
    };
    // The summary's "Continue": the provider window opens if the login
    // already is at that step (a service that named its provider); the
    // card screen needs none.
    let on_continue = {
        let dispatcher = state.dispatcher();
        let at_fi_login = state.web_fi_login().map(str::to_owned);
        Callback::from(move |()| {
            dispatcher.dispatch(Action::Navigate(Screen::Login));
            if let Some(id) = at_fi_login.clone() {
                effects::run(Command::OpenFiLogin(id), dispatcher.clone());
            }
        })
    };
    let on_cancel_login = {
        let dispatcher = state.dispatcher();
        let id = state.login.as_ref().map(|l| l.view.id.clone());
        Callback::from(move |()| {
            if let Some(id) = id.clone() {
                effects::run(Command::CancelLogin(id), dispatcher.clone());
            }
        })
    };

    // At start, look for a login a service asked for.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |()| {
            effects::listen(&dispatcher);
            effects::run(Command::LoadPending, dispatcher);
        });
    }
    // A new screen or step takes the focus to its title (screen readers
    // announce it; keyboard users start from there).
    {
        let key = (
            state.screen,
            state.login.as_ref().map(|l| step_name(&l.view.step)),
        );
        use_effect_with(key, move |_| {
            let document = web_sys::window().and_then(|w| w.document());
            let target = document.as_ref().and_then(|d| {
                d.get_element_by_id("step-title")
                    .or_else(|| d.get_element_by_id("main"))
            });
            if let Some(element) =
                target.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = element.focus();
            }
        });
    }
    // Keep <html lang> in step with the interface language.
    {
        let lang = state.lang;
        use_effect_with(lang, move |lang| {
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                // Setting an attribute cannot fail for a valid name.
                let _ = root.set_attribute("lang", lang.code());
            }
        });
    }

    let lang = state.lang;
    let screen = match state.screen {
        Screen::Home => html! {
            <Home {lang} signed_in={state.session.is_some()}
                given_name={state.session.as_ref().and_then(|s| s.given_name.clone())}
                has_request={state.login.is_some()}
                on_navigate={on_navigate.clone()} on_command={on_command.clone()} />
        },
        Screen::SignIn => html! {
            <SignIn {lang} busy={state.busy} on_command={on_command.clone()} />
        },
        Screen::LoginRequest => match &state.login {
            Some(login) => html! {
                <LoginRequest {lang} view={login.view.clone()} busy={state.busy}
                    on_continue={on_continue} on_cancel={on_cancel_login} />
            },
            None => Html::default(),
        },
        Screen::Login => match &state.login {
            Some(login) => html! {
                <LoginStep {lang} login={login.clone()} busy={state.busy}
                    granted={[
                        state.granted_scopes(ConsentChoice::AcceptAll),
                        state.granted_scopes(ConsentChoice::OnlyTicked),
                        state.granted_scopes(ConsentChoice::RefuseAll),
                    ]}
                    can_confirm={state.can_confirm()}
                    on_action={on_action.clone()} on_command={on_command.clone()} />
            },
            None => Html::default(),
        },
        Screen::LoginDone => match &state.done {
            Some(end) => html! {
                <LoginDone {lang} end={end.clone()} on_navigate={on_navigate.clone()} />
            },
            None => Html::default(),
        },
        Screen::History => html! {
            <History {lang}
                entries={state.filtered_history().into_iter().cloned().collect::<Vec<_>>()}
                loaded={state.history.is_some()}
                total={state.history.as_ref().map_or(0, |p| p.entries.len())}
                services={state.history_services()}
                identity_providers={state.history_identity_providers()}
                filter={state.filter.clone()} on_action={on_action.clone()} />
        },
        Screen::Preferences => html! {
            <Preferences {lang} view={state.preferences.clone()} dirty={state.preferences_dirty}
                busy={state.busy} update={state.preferences_update()}
                on_action={on_action.clone()} on_command={on_command.clone()} />
        },
        Screen::Devices => html! {
            <Devices {lang} devices={state.devices.clone()} busy={state.busy}
                on_command={on_command.clone()} />
        },
        Screen::Report => html! {
            <Report {lang} form={state.report.clone()} busy={state.busy}
                on_action={on_action.clone()} on_command={on_command.clone()} />
        },
    };

    html! {
        <>
            <header role="banner" class="fr-header">
                <div class="fr-header__body">
                    <div class="fr-container">
                        <div class="fr-header__body-row">
                            <div class="fr-header__service">
                                <p class="fr-header__service-title">{ t(lang, K::AppName) }</p>
                                <p class="fr-header__service-tagline">{ t(lang, K::Tagline) }</p>
                            </div>
                        </div>
                    </div>
                </div>
                <Nav {lang} screen={state.screen} signed_in={state.session.is_some()}
                    on_navigate={on_navigate} on_action={on_action.clone()}
                    on_command={on_command} />
            </header>
            <main id="main" class="fr-container fr-my-4w" tabindex="-1">
                <StatusBanner {lang} banner={state.banner.clone()} busy={state.busy}
                    on_action={on_action} />
                { screen }
            </main>
        </>
    }
}
