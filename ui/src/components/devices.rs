//! The devices that logged the citizen in: forget one, trust this one.

use pivot_proto::citizen::DeviceView;
use yew::prelude::*;

use crate::effects::Command;
use crate::format;
use crate::i18n::{K, Lang, t};

/// Props of [`Devices`].
#[derive(Clone, PartialEq, Properties)]
pub struct DevicesProps {
    /// Interface language.
    pub lang: Lang,
    /// The devices, once loaded.
    pub devices: Option<Vec<DeviceView>>,
    /// A call is running.
    pub busy: bool,
    /// Calls to the shell (forget, trust).
    pub on_command: Callback<Command>,
}

/// The devices screen.
#[function_component]
pub fn Devices(props: &DevicesProps) -> Html {
    let lang = props.lang;
    let body = match &props.devices {
        None => html! { <p>{ t(lang, K::Loading) }</p> },
        Some(devices) if devices.is_empty() => html! { <p>{ t(lang, K::DevicesEmpty) }</p> },
        Some(devices) => {
            let items = devices.iter().map(|d| {
                let id = d.id.clone();
                let forget = props.on_command.reform(move |_: MouseEvent| Command::ForgetDevice(id.clone()));
                let trust = props.on_command.reform(|_: MouseEvent| Command::TrustDevice);
                let title_id = format!("device-{}", d.id);
                html! {
                    <li key={d.id.clone()} class="fr-mb-3w">
                        <h2 class="fr-h5" id={title_id.clone()}>
                            { &d.label }
                            if d.current {
                                { " " }<span class="fr-badge fr-badge--info fr-badge--sm">{ t(lang, K::DeviceCurrent) }</span>
                            }
                        </h2>
                        <p class="fr-text--sm">
                            { t(lang, K::DeviceFirstSeen) }{ " : " }{ format::day(d.first_seen) }{ " · " }
                            { t(lang, K::DeviceLastSeen) }{ " : " }{ format::date_time(d.last_seen) }{ " · " }
                            { match d.trusted_until {
                                Some(until) => format!("{} {}", t(lang, K::DeviceTrustedUntil), format::day(until)),
                                None => t(lang, K::DeviceNotTrusted).to_owned(),
                            } }
                        </p>
                        <ul class="fr-btns-group fr-btns-group--inline-sm">
                            if d.current && d.trusted_until.is_none() {
                                <li><button type="button" class="fr-btn fr-btn--sm" disabled={props.busy} onclick={trust}>
                                    { t(lang, K::TrustThis) }
                                </button></li>
                            }
                            <li><button type="button" class="fr-btn fr-btn--secondary fr-btn--sm" disabled={props.busy}
                                aria-describedby={title_id} onclick={forget}>
                                { t(lang, K::Forget) }
                            </button></li>
                        </ul>
                    </li>
                }
            });
            html! { <ul class="fr-raw-list">{ for items }</ul> }
        }
    };
    html! {
        <section aria-labelledby="devices-title">
            <h1 id="devices-title">{ t(lang, K::DevicesTitle) }</h1>
            { body }
        </section>
    }
}
