//! Preferences: allowed and blocked identity providers (the one in use
//! cannot be blocked, and says why) and connection alerts.

use pivot_proto::citizen::{PreferencesUpdate, PreferencesView};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::effects::Command;
use crate::i18n::{K, Lang, t};
use crate::state::Action;

/// Props of [`Preferences`].
#[derive(Clone, PartialEq, Properties)]
pub struct PreferencesProps {
    /// Interface language.
    pub lang: Lang,
    /// The preferences as edited, once loaded.
    pub view: Option<PreferencesView>,
    /// Unsaved changes.
    pub dirty: bool,
    /// A call is running.
    pub busy: bool,
    /// The change to save.
    pub update: Option<PreferencesUpdate>,
    /// Local changes (toggles).
    pub on_action: Callback<Action>,
    /// Calls to the shell (save).
    pub on_command: Callback<Command>,
}

/// The preferences screen.
#[function_component]
pub fn Preferences(props: &PreferencesProps) -> Html {
    let lang = props.lang;
    let Some(view) = &props.view else {
        return html! {
            <section aria-labelledby="prefs-title">
                <h1 id="prefs-title">{ t(lang, K::PreferencesTitle) }</h1>
                <p>{ t(lang, K::Loading) }</p>
            </section>
        };
    };
    let fis = view.identity_providers.iter().map(|fi| {
        let id = format!("allow-{}", fi.id);
        let hint = format!("in-use-{}", fi.id);
        let fi_id = fi.id.clone();
        let onchange = props
            .on_action
            .reform(move |_: Event| Action::ToggleFiBlocked(fi_id.clone()));
        html! {
            <div class="fr-fieldset__element" key={fi.id.clone()}>
                <div class="fr-checkbox-group">
                    <input type="checkbox" id={id.clone()} name="allow" value={fi.id.clone()}
                        checked={!fi.blocked} disabled={fi.in_use}
                        aria-describedby={fi.in_use.then(|| hint.clone())} {onchange} />
                    <label class="fr-label" for={id}>
                        { &fi.name }
                        if fi.in_use {
                            <span class="fr-hint-text" id={hint}>{ t(lang, K::InUseReason) }</span>
                        }
                    </label>
                </div>
            </div>
        }
    });
    let on_alerts = props.on_action.reform(|e: Event| {
        let on = e
            .target_dyn_into::<HtmlInputElement>()
            .is_some_and(|i| i.checked());
        Action::SetAlerts(on)
    });
    let update = props.update.clone();
    let on_submit = props.on_command.reform(move |e: SubmitEvent| {
        e.prevent_default();
        Command::SavePreferences(update.clone().unwrap_or_default())
    });
    html! {
        <section aria-labelledby="prefs-title">
            <h1 id="prefs-title">{ t(lang, K::PreferencesTitle) }</h1>
            <form onsubmit={on_submit}>
                <fieldset class="fr-fieldset" aria-labelledby="fis-legend fis-hint">
                    <legend class="fr-fieldset__legend" id="fis-legend">
                        { t(lang, K::PreferencesFis) }
                        <span class="fr-hint-text" id="fis-hint">{ t(lang, K::PreferencesFisHint) }</span>
                    </legend>
                    { for fis }
                </fieldset>
                <div class="fr-toggle fr-mb-3w">
                    <input type="checkbox" class="fr-toggle__input" id="alerts" aria-describedby="alerts-hint"
                        checked={view.connection_alerts} onchange={on_alerts} />
                    <label class="fr-toggle__label" for="alerts">{ t(lang, K::Alerts) }</label>
                    <p class="fr-hint-text" id="alerts-hint">{ t(lang, K::AlertsHint) }</p>
                </div>
                <button type="submit" class="fr-btn" disabled={!props.dirty || props.busy}>{ t(lang, K::Save) }</button>
            </form>
        </section>
    }
}
