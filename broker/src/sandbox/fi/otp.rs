//! The second factor: a one-time code "sent by SMS" after a right password
//! when the level needs it, and `POST /code` where the citizen types it.
//!
//! Six random digits, valid [`OTP_TTL`] on the FI's clock, single use;
//! after [`OTP_MAX_ATTEMPTS`] wrong codes, or once the code has expired, the
//! login restarts at the password form. No SMS leaves the sandbox: the code
//! lands on the FI's demo phone page ([`super::PHONE_PATH`]) and in the log.

use std::sync::Arc;

use axum::{body::Bytes, extract::State, http::StatusCode, response::Response};
use axum_extra::extract::CookieJar;
use serde_json::json;
use time::OffsetDateTime;

use super::{
    FiState, PHONE_PATH, Params,
    error::HttpError,
    login::{self, FormState, REQUEST_ID_FIELD},
    store::{CodeCheck, OTP_MAX_ATTEMPTS, OTP_TTL, Step},
};
use crate::sandbox::citizens::Citizen;

/// Number of digits of a code.
const CODE_DIGITS: usize = 6;

/// Sends a new code for the pending request `id` (whose password `citizen`
/// just typed right, with identifier `login`) and shows the code page.
pub(super) fn send(
    st: &FiState,
    id: &str,
    citizen: &'static Citizen,
    login: &str,
    now: OffsetDateTime,
) -> Result<Response, HttpError> {
    let Some(code) = st.store.send_code(id, citizen, login, now) else {
        return login::expired(st);
    };
    // Sandbox only: the demo "SMS", so that testers can read it in the log.
    tracing::info!(
        fi = st.kind().id(),
        login,
        code = code.expose(),
        "demo FI: one-time code sent to the demo phone"
    );
    render(st, id, login, None)
}

/// Renders the code page for a pending request waiting for its code.
fn render(
    st: &FiState,
    pending_id: &str,
    login: &str,
    error: Option<String>,
) -> Result<Response, HttpError> {
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    st.page(
        status,
        "fi/code.html",
        json!({
            "action": st.local("/code"),
            "abandon_action": st.local("/abandon"),
            "request_id_field": REQUEST_ID_FIELD,
            "request_id": pending_id,
            "login": login,
            "error": error,
            "phone_url": st.local(PHONE_PATH),
            "ttl_minutes": OTP_TTL.whole_minutes(),
            "digits": CODE_DIGITS,
        }),
    )
}

/// The typed code without blanks, when it is made of exactly six digits.
fn well_formed(raw: &str) -> Option<String> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// `POST /code` (fields `code` and the pending request id).
pub(super) async fn submit(
    State(st): State<Arc<FiState>>,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, HttpError> {
    let now = st.now();
    let p = Params::from_form(&body);
    let id = p.get(REQUEST_ID_FIELD).unwrap_or_default();
    let Some(pending) = st.store.pending(id, now) else {
        return login::expired(&st);
    };
    let Step::Code(challenge) = &pending.step else {
        // Waiting for the password (e.g. after a restart): show the form.
        return login::render_form(
            &st,
            id,
            FormState {
                second_factor: true,
                ..FormState::default()
            },
        );
    };
    let login = challenge.login.as_str();
    let Some(typed) = well_formed(p.get("code").unwrap_or_default()) else {
        return render(
            &st,
            id,
            login,
            Some(format!(
                "Le code doit comporter {CODE_DIGITS} chiffres, sans lettre ni symbole."
            )),
        );
    };
    let restart = |error: String| {
        login::render_form(
            &st,
            id,
            FormState {
                error: Some(error),
                login,
                locked: false,
                second_factor: true,
            },
        )
    };
    match st.store.check_code(id, &typed, now) {
        CodeCheck::Accepted(pending, citizen) => {
            login::complete(&st, jar, *pending, citizen, true, now)
        }
        CodeCheck::Wrong { left } => {
            let plural = if left > 1 { "s" } else { "" };
            render(
                &st,
                id,
                login,
                Some(format!(
                    "Code incorrect. Il vous reste {left} tentative{plural}."
                )),
            )
        }
        CodeCheck::TooManyAttempts => restart(format!(
            "Vous avez saisi {OTP_MAX_ATTEMPTS} fois un code incorrect. Par sécurité, ce code n'est plus valable : reconnectez-vous avec votre mot de passe pour recevoir un nouveau code."
        )),
        CodeCheck::Expired => restart(format!(
            "Ce code a expiré : il n'est valable que {} minutes. Reconnectez-vous avec votre mot de passe pour recevoir un nouveau code.",
            OTP_TTL.whole_minutes()
        )),
        CodeCheck::NotAwaiting => login::render_form(
            &st,
            id,
            FormState {
                second_factor: true,
                ..FormState::default()
            },
        ),
        CodeCheck::Unknown => login::expired(&st),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_shape() {
        assert_eq!(well_formed(" 012 345 ").as_deref(), Some("012345"));
        assert_eq!(well_formed("12345"), None);
        assert_eq!(well_formed("1234567"), None);
        assert_eq!(well_formed("12a456"), None);
        assert_eq!(well_formed("１２３４５６"), None);
    }
}
