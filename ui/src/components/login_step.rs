//! The login's current step, as the broker's view says: each step its own
//! component, each button one command of the shell. A provider's login is
//! its window ([`FiLogin`]) or, for the ID card, the card screen
//! ([`CardLogin`]).

use yew::prelude::*;

use pivot_proto::interaction::LoginMethod;

use crate::api::{ConfirmArgs, Step};
use crate::components::card_login::CardLogin;
use crate::components::confirm::Confirm;
use crate::components::consent::Consent;
use crate::components::fi_list::FiList;
use crate::components::fi_login::FiLogin;
use crate::components::refused::Refused;
use crate::components::registry::Registry;
use crate::effects::Command;
use crate::i18n::Lang;
use crate::state::{Action, ConsentChoice, Login};

/// Props of [`LoginStep`].
#[derive(Clone, PartialEq, Properties)]
pub struct LoginStepProps {
    /// Interface language.
    pub lang: Lang,
    /// The login.
    pub login: Login,
    /// The scopes each consent choice grants (all, ticked, none).
    pub granted: [Vec<String>; 3],
    /// Whether the confirmation can be sent.
    pub can_confirm: bool,
    /// A call is running.
    pub busy: bool,
    /// Local changes.
    pub on_action: Callback<Action>,
    /// Calls to the shell.
    pub on_command: Callback<Command>,
}

/// The current step.
#[function_component]
pub fn LoginStep(props: &LoginStepProps) -> Html {
    let lang = props.lang;
    let login = &props.login;
    let view = &login.view;
    let id = view.id.clone();
    let busy = props.busy;
    let command = |make: fn(String) -> Command| {
        let id = id.clone();
        props.on_command.reform(move |()| make(id.clone()))
    };
    let on_cancel = command(Command::CancelLogin);
    match &view.step {
        Step::ChooseFi {
            identity_providers,
            notice,
        } => {
            let id = id.clone();
            let on_choose = props
                .on_command
                .reform(move |fi_id: String| Command::ChooseFi {
                    interaction_id: id.clone(),
                    fi_id,
                });
            html! {
                <FiList {lang} service={view.service.name.clone()} providers={identity_providers.clone()}
                    notice={notice.clone()} {busy} {on_choose} {on_cancel} />
            }
        }
        Step::FiLogin {
            fi_name,
            method: LoginMethod::Card,
            ..
        } => html! {
            <CardLogin {lang} interaction_id={id.clone()} fi_name={fi_name.clone()} form={login.card.clone()}
                {busy} on_action={props.on_action.clone()} on_command={props.on_command.clone()}
                {on_cancel} />
        },
        Step::FiLogin { fi_name, .. } => html! {
            <FiLogin {lang} fi_name={fi_name.clone()} closed={login.fi_window_closed} {busy}
                on_reopen={command(Command::OpenFiLogin)} {on_cancel} />
        },
        Step::RegistryUnavailable {
            retry_after_secs, ..
        } => html! {
            <Registry {lang} retry_after_secs={*retry_after_secs} {busy}
                on_retry={command(Command::RetryRegistry)} {on_cancel} />
        },
        Step::Confirm {
            identity,
            fi_name,
            agreement_required,
        } => {
            let args = ConfirmArgs {
                interaction_id: id.clone(),
                identity_agreement: login.agreement,
                trust_device: login.trust_device,
            };
            let on_confirm = props
                .on_command
                .reform(move |()| Command::Confirm(args.clone()));
            html! {
                <Confirm {lang} identity={identity.clone()} fi_name={fi_name.clone()}
                    agreement_required={*agreement_required} agreement={login.agreement}
                    trust_device={login.trust_device} can_confirm={props.can_confirm} {busy}
                    on_action={props.on_action.clone()} {on_confirm} {on_cancel} />
            }
        }
        Step::Consent => {
            let granted = props.granted.clone();
            let on_consent = props.on_command.reform(move |choice: ConsentChoice| {
                let index = match choice {
                    ConsentChoice::AcceptAll => 0,
                    ConsentChoice::OnlyTicked => 1,
                    ConsentChoice::RefuseAll => 2,
                };
                Command::Consent {
                    interaction_id: id.clone(),
                    accepted: granted[index].clone(),
                }
            });
            html! {
                <Consent {lang} service={view.service.name.clone()} data={view.data.clone()}
                    ticked={login.ticked.clone()} {busy} on_action={props.on_action.clone()} {on_consent} />
            }
        }
        Step::Refused {
            code,
            title,
            message,
        } => html! {
            <Refused {lang} code={code.clone()} title={title.clone()} message={message.clone()} {busy}
                on_back={on_cancel} />
        },
        // Handled by the reducer (the end screen); nothing to show here.
        Step::Return { .. } => Html::default(),
    }
}
