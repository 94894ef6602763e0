//! What the family-quotient page shows, ready for the template: the years
//! offered, what was obtained or typed, the result, the reason for the
//! manual form, and the form's values and errors.

use serde::Serialize;

use super::calc;
use super::{FormErrors, ManualForm, Record, Source};

/// The family-quotient part of the page.
#[derive(Debug, Serialize)]
pub(crate) struct QuotientView {
    /// The income years offered, the selected one marked.
    years: Vec<YearOption>,
    /// "Informations récupérées" (or "saisies"), when there is any value.
    obtained: Option<Obtained>,
    /// The quotient, when computed.
    result: Option<ResultView>,
    /// Why the manual form must be used, when FranceConnect did not give
    /// everything.
    fallback: Option<FallbackView>,
    /// The manual form's values and errors.
    form: FormView,
}

#[derive(Debug, Serialize)]
struct YearOption {
    value: i32,
    label: String,
    selected: bool,
}

#[derive(Debug, Serialize)]
struct Obtained {
    /// "franceconnect" or "manuel".
    source: &'static str,
    title: &'static str,
    annee: i32,
    rfr: Option<String>,
    parts: Option<String>,
}

#[derive(Debug, Serialize)]
struct ResultView {
    rfr: String,
    parts: String,
    /// The quotient in French (`1 281,67 €`).
    quotient: String,
    /// The quotient as a plain decimal (`1281.67`), for `data-quotient`.
    value: String,
}

#[derive(Debug, Serialize)]
struct FallbackView {
    code: &'static str,
    message: String,
}

#[derive(Debug, Default, Serialize)]
struct FormView {
    rfr: String,
    parts: String,
    annee_error: Option<&'static str>,
    rfr_error: Option<&'static str>,
    parts_error: Option<&'static str>,
    has_errors: bool,
}

/// Prepares the page from the session's record and, after a refused
/// manual form, what was typed and what is wrong with it.
pub(crate) fn build(
    offered: &[i32],
    record: Option<&Record>,
    typed: Option<(&ManualForm, &FormErrors)>,
) -> QuotientView {
    let newest = offered.first().copied().unwrap_or_default();
    let selected = typed
        .and_then(|(f, _)| f.annee.trim().parse::<i32>().ok())
        .filter(|y| offered.contains(y))
        .or_else(|| record.map(|r| r.annee))
        .unwrap_or(newest);
    let years = offered
        .iter()
        .map(|&y| YearOption {
            value: y,
            label: format!("Revenus {y} (avis d’imposition {})", y + 1),
            selected: y == selected,
        })
        .collect();

    let obtained = record
        .filter(|r| r.rfr.is_some() || r.parts.is_some())
        .map(|r| Obtained {
            source: r.source.code(),
            title: match r.source {
                Source::FranceConnect => "Informations récupérées",
                Source::Manuel => "Informations saisies",
            },
            annee: r.annee,
            rfr: r.rfr.map(calc::format_rfr),
            parts: r.parts.map(calc::format_parts),
        });
    let result = record.and_then(|r| {
        let cents = r.quotient_cents()?;
        Some(ResultView {
            rfr: r.rfr.map(calc::format_rfr)?,
            parts: r.parts.map(calc::format_parts)?,
            quotient: calc::format_euros(cents, true),
            value: format!("{}.{:02}", cents / 100, cents % 100),
        })
    });
    // A manual entry that followed a fallback closes it.
    let fallback = record
        .filter(|r| r.source == Source::FranceConnect)
        .and_then(|r| {
            r.fallback.map(|f| FallbackView {
                code: f.code(),
                message: f.message(r),
            })
        });

    let form = match typed {
        Some((f, errors)) => FormView {
            rfr: f.revenu_fiscal_de_reference.clone(),
            parts: f.nombre_de_parts.clone(),
            annee_error: errors.annee,
            rfr_error: errors.rfr,
            parts_error: errors.parts,
            has_errors: errors != &FormErrors::default(),
        },
        None => FormView {
            rfr: record
                .and_then(|r| r.rfr)
                .map(calc::rfr_input)
                .unwrap_or_default(),
            parts: record
                .and_then(|r| r.parts)
                .map(calc::format_parts)
                .unwrap_or_default(),
            ..FormView::default()
        },
    };
    QuotientView {
        years,
        obtained,
        result,
        fallback,
        form,
    }
}
