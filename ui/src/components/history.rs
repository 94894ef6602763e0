//! The history of the last six months, with filters by service, identity
//! provider and dates, and a "not you?" link to the fraud report.

use pivot_proto::citizen::{HistoryEntry, HistoryKind};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::format;
use crate::i18n::{K, Lang, t};
use crate::state::{Action, HistoryFilter};

/// Props of [`History`].
#[derive(Clone, PartialEq, Properties)]
pub struct HistoryProps {
    /// Interface language.
    pub lang: Lang,
    /// The entries that pass the filters.
    pub entries: Vec<HistoryEntry>,
    /// Whether the history was loaded.
    pub loaded: bool,
    /// How many entries before filtering.
    pub total: usize,
    /// Filter options: services.
    pub services: Vec<String>,
    /// Filter options: identity providers.
    pub identity_providers: Vec<String>,
    /// The filters.
    pub filter: HistoryFilter,
    /// Local changes (filters, report).
    pub on_action: Callback<Action>,
}

fn select(
    lang: Lang,
    id: &'static str,
    label: K,
    options: &[String],
    selected: Option<&String>,
    onchange: Callback<Event>,
) -> Html {
    html! {
        <div class="fr-select-group fr-col-12 fr-col-md-3">
            <label class="fr-label" for={id}>{ t(lang, label) }</label>
            <select class="fr-select" {id} {onchange}>
                <option value="" selected={selected.is_none()}>{ t(lang, K::FilterAll) }</option>
                { for options.iter().map(|o| html! {
                    <option value={o.clone()} selected={selected == Some(o)}>{ o }</option>
                }) }
            </select>
        </div>
    }
}

fn date_input(
    lang: Lang,
    id: &'static str,
    label: K,
    value: Option<i64>,
    onchange: Callback<Event>,
) -> Html {
    html! {
        <div class="fr-input-group fr-col-12 fr-col-md-3">
            <label class="fr-label" for={id}>{ t(lang, label) }</label>
            <input class="fr-input" type="date" {id}
                value={value.map(format::day_input_value).unwrap_or_default()} {onchange} />
        </div>
    }
}

/// The history screen.
#[function_component]
pub fn History(props: &HistoryProps) -> Html {
    let lang = props.lang;
    let filter = &props.filter;
    let change = |edit: fn(&mut HistoryFilter, String)| {
        let filter = filter.clone();
        props.on_action.reform(move |e: Event| {
            let value = e
                .target_dyn_into::<HtmlSelectElement>()
                .map(|s| s.value())
                .or_else(|| e.target_dyn_into::<HtmlInputElement>().map(|i| i.value()))
                .unwrap_or_default();
            let mut filter = filter.clone();
            edit(&mut filter, value);
            Action::SetFilter(filter)
        })
    };
    let on_service = change(|f, v| f.service = (!v.is_empty()).then_some(v));
    let on_fi = change(|f, v| f.identity_provider = (!v.is_empty()).then_some(v));
    let on_from = change(|f, v| f.from = format::parse_day_input(&v));
    let on_to = change(|f, v| f.to = format::parse_day_input(&v));
    let clear = props
        .on_action
        .reform(|_: MouseEvent| Action::SetFilter(HistoryFilter::default()));

    let rows = props.entries.iter().map(|e| {
        let reference = e.reference.clone();
        let report = props
            .on_action
            .reform(move |_: MouseEvent| Action::StartReport(Some(reference.clone())));
        let kind = match e.kind {
            HistoryKind::Connection => t(lang, K::KindConnection),
            HistoryKind::DataCheck => t(lang, K::KindDataCheck),
        };
        let who = e
            .identity_provider
            .clone()
            .or_else(|| e.data_provider.clone())
            .unwrap_or_default();
        let data = e
            .data
            .iter()
            .map(|d| format!("{} ({})", d.label, d.provider))
            .collect::<Vec<_>>()
            .join(", ");
        html! {
            <tr key={e.reference.clone()}>
                <td>{ format::date_time(e.at) }</td>
                <td>{ kind }</td>
                <td>{ &e.service }</td>
                <td>{ who }</td>
                <td>{ e.acr.map(|a| a.as_str()).unwrap_or("") }</td>
                <td>{ data }</td>
                <td>
                    <button type="button" class="fr-btn fr-btn--tertiary-no-outline fr-btn--sm"
                        aria-label={format!("{} ({})", t(lang, K::NotYou), e.reference)} onclick={report}>
                        { t(lang, K::NotYou) }
                    </button>
                </td>
            </tr>
        }
    });

    let body = if !props.loaded {
        html! { <p>{ t(lang, K::Loading) }</p> }
    } else if props.total == 0 {
        html! { <p>{ t(lang, K::HistoryEmpty) }</p> }
    } else if props.entries.is_empty() {
        html! { <p>{ t(lang, K::HistoryNoMatch) }</p> }
    } else {
        html! {
            <div class="fr-table fr-table--no-caption">
                <table>
                    <caption>{ t(lang, K::HistoryTitle) }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ t(lang, K::ColDate) }</th>
                            <th scope="col">{ t(lang, K::ColKind) }</th>
                            <th scope="col">{ t(lang, K::ColService) }</th>
                            <th scope="col">{ t(lang, K::ColFi) }</th>
                            <th scope="col">{ t(lang, K::ColLevel) }</th>
                            <th scope="col">{ t(lang, K::ColData) }</th>
                            <th scope="col"><span class="fr-sr-only">{ t(lang, K::NotYou) }</span></th>
                        </tr>
                    </thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        }
    };

    html! {
        <section aria-labelledby="history-title">
            <h1 id="history-title">{ t(lang, K::HistoryTitle) }</h1>
            <p>{ t(lang, K::HistoryIntro) }</p>
            <form class="fr-grid-row fr-grid-row--gutters fr-mb-2w" role="search"
                aria-label={t(lang, K::HistoryTitle)} onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                { select(lang, "filter-service", K::FilterService, &props.services, filter.service.as_ref(), on_service) }
                { select(lang, "filter-fi", K::FilterFi, &props.identity_providers, filter.identity_provider.as_ref(), on_fi) }
                { date_input(lang, "filter-from", K::FilterFrom, filter.from, on_from) }
                { date_input(lang, "filter-to", K::FilterTo, filter.to, on_to) }
            </form>
            if !filter.is_empty() {
                <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm fr-mb-2w" onclick={clear}>
                    { t(lang, K::FilterClear) }
                </button>
            }
            { body }
        </section>
    }
}
