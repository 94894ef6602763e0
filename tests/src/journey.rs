//! Driving a browser through a login: the service's FranceConnect button,
//! the broker's FI chooser, the FI's login form, the confirmation page.

use anyhow::{Context, Result, anyhow, bail};
use pivot_broker::sandbox::{
    citizens::find_citizen,
    fi::{FiKind, demo_login},
};
use url::Url;

use crate::{Browser, Page, TestSandbox};

/// Most requests a journey makes before giving up.
const MAX_STEPS: usize = 40;

/// What a (non-redirect) page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The broker's FI chooser.
    Chooser,
    /// The broker's confirmation page.
    Confirm,
    /// The broker's data-consent page.
    Consent,
    /// A broker error page.
    BrokerError,
    /// The login form of a demo FI.
    FiLogin,
    /// The one-time-code form of a demo FI (`eidas2` and above).
    FiCode,
    /// Another page of a demo FI.
    FiPage,
    /// A page of a demo service.
    Service,
    /// Anything else.
    Other,
}

impl Stage {
    /// What `page` is, in `sb`.
    #[must_use]
    pub fn of(sb: &TestSandbox, page: &Page) -> Stage {
        if page.is_at(&sb.sb.broker_url) || page.is_at(&sb.sb.high.url) {
            if page.has("#chooser-title") {
                Stage::Chooser
            } else if page.has("#welcome") {
                Stage::Confirm
            } else if page.has("#consent-title") {
                Stage::Consent
            } else if page.has("#error-code") {
                Stage::BrokerError
            } else {
                Stage::Other
            }
        } else if sb.sb.fis.iter().any(|f| page.is_at(&f.url)) {
            if page.has("input[name=password]") {
                Stage::FiLogin
            } else if page.has("form#otp-form") {
                Stage::FiCode
            } else {
                Stage::FiPage
            }
        } else if sb.sb.services.iter().any(|s| page.is_at(&s.url)) {
            Stage::Service
        } else {
            Stage::Other
        }
    }
}

/// Everything a browser went through.
#[derive(Clone, Debug, Default)]
pub struct Journey {
    /// Every response, redirects included.
    pub hops: Vec<Page>,
    /// The stage of every non-redirect page, in order.
    pub stages: Vec<Stage>,
}

impl Journey {
    /// The last response.
    ///
    /// # Panics
    /// On an empty journey.
    #[must_use]
    pub fn last(&self) -> &Page {
        self.hops.last().expect("empty journey")
    }

    /// Whether a page of this stage was shown.
    #[must_use]
    pub fn saw(&self, stage: Stage) -> bool {
        self.stages.contains(&stage)
    }

    /// The first response whose URL starts with `prefix`.
    #[must_use]
    pub fn hop(&self, prefix: &str) -> Option<&Page> {
        self.hops.iter().find(|p| p.is_at(prefix))
    }

    /// Whether a request went to a URL starting with `prefix`.
    #[must_use]
    pub fn visited(&self, prefix: &str) -> bool {
        self.hop(prefix).is_some()
    }

    /// The first redirect whose `Location` starts with `prefix`.
    #[must_use]
    pub fn redirect_to(&self, prefix: &str) -> Option<Url> {
        self.hops
            .iter()
            .filter_map(Page::location)
            .find(|l| l.as_str().starts_with(prefix))
    }

    /// One line per hop, for assertion messages.
    #[must_use]
    pub fn describe(&self) -> String {
        self.hops
            .iter()
            .map(|p| format!("  {}\n", p.summary()))
            .collect()
    }
}

/// The login and password of a test citizen at an FI.
pub fn credentials(fi: &str, citizen: &str) -> Result<(&'static str, &'static str)> {
    let kind = FiKind::from_id(fi).ok_or_else(|| anyhow!("unknown FI {fi}"))?;
    let c = find_citizen(citizen).ok_or_else(|| anyhow!("unknown citizen {citizen}"))?;
    let a = demo_login(kind, c).ok_or_else(|| anyhow!("{citizen} has no account at {fi}"))?;
    Ok((a.login, a.password))
}

/// The one-time code the demo FI `fi` last sent to `login`, read from its
/// demo "phone" page.
pub async fn one_time_code(
    sb: &TestSandbox,
    browser: &Browser,
    fi: &str,
    login: &str,
) -> Result<String> {
    let phone = browser.get(&format!("{}/telephone", sb.fi(fi).url)).await?;
    let css = format!(
        "tr.otp-message[data-login=\"{}\"][data-state=valid]",
        login.to_lowercase()
    );
    phone
        .attr(&css, "data-code")
        .ok_or_else(|| anyhow!("no valid one-time code for {login} on the phone page of {fi}"))
}

/// Drives the browser from `start`: redirects are followed, the chooser
/// What the citizen answers on the data-consent page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Consent {
    /// "Tout accepter".
    #[default]
    AcceptAll,
    /// "Tout refuser".
    RefuseAll,
    /// Only the ticked data.
    Only(Vec<String>),
}

/// Same as [`drive_consenting`], accepting every datum asked.
///
/// # Errors
/// As [`drive_consenting`].
pub async fn drive(
    sb: &TestSandbox,
    browser: &Browser,
    start: Page,
    fi: &str,
    citizen: &str,
    stop: impl Fn(&Page) -> bool,
) -> Result<Journey> {
    drive_consenting(sb, browser, start, fi, citizen, &Consent::AcceptAll, stop).await
}

/// picks `fi`, the FI form is filled with `citizen`'s credentials, the
/// confirmation is accepted, the data-consent page is answered with
/// `consent`. Stops on a page it cannot act on (a service
/// page, an error page, the chooser shown a second time or with a warning,
/// a refused FI login) or as soon as `stop` holds for a response.
pub async fn drive_consenting(
    sb: &TestSandbox,
    browser: &Browser,
    start: Page,
    fi: &str,
    citizen: &str,
    consent: &Consent,
    stop: impl Fn(&Page) -> bool,
) -> Result<Journey> {
    let mut j = Journey::default();
    let mut page = start;
    let mut chose = false;
    for _ in 0..MAX_STEPS {
        j.hops.push(page.clone());
        if stop(&page) {
            return Ok(j);
        }
        if let Some(next) = page.location() {
            page = browser.get(next.as_str()).await?;
            continue;
        }
        let stage = Stage::of(sb, &page);
        j.stages.push(stage);
        page = match stage {
            Stage::Chooser if !chose && !page.has("#fi-unavailable") => {
                chose = true;
                let form = page.form("form[action$='/fi']")?.set("fi", fi);
                browser.submit(&form).await?
            }
            Stage::FiLogin if !page.has("#login-error") => {
                let (login, password) = credentials(fi, citizen)?;
                let form = page
                    .form("form[action$='/login']")?
                    .set("login", login)
                    .set("password", password);
                browser.submit(&form).await?
            }
            Stage::FiCode => {
                let (login, _) = credentials(fi, citizen)?;
                let code = one_time_code(sb, browser, fi, login).await?;
                let form = page.form("form#otp-form")?.set("code", &code);
                browser.submit(&form).await?
            }
            Stage::Confirm => {
                let form = page.form("form[action$='/confirm']")?;
                browser.submit(&form).await?
            }
            Stage::Consent => {
                let form = page.form("form#consent-form")?;
                let form = match consent {
                    Consent::AcceptAll => form.set("decision", "all"),
                    Consent::RefuseAll => form.set("decision", "none"),
                    Consent::Only(scopes) => scopes
                        .iter()
                        .fold(form.set("decision", "some"), |f, sc| f.add("scope", sc)),
                };
                browser.submit(&form).await?
            }
            _ => return Ok(j),
        };
    }
    bail!("journey longer than {MAX_STEPS} steps:\n{}", j.describe())
}

/// Clicks the FranceConnect button of a demo service and drives the
/// browser until it is back on a service page (or stuck).
pub async fn start_login(
    sb: &TestSandbox,
    browser: &Browser,
    service: &str,
    fi: &str,
    citizen: &str,
) -> Result<Journey> {
    start_login_consenting(sb, browser, service, fi, citizen, &Consent::AcceptAll).await
}

/// Same as [`start_login`], answering the data-consent page with `consent`.
///
/// # Errors
/// When a page cannot be read or a form is missing.
pub async fn start_login_consenting(
    sb: &TestSandbox,
    browser: &Browser,
    service: &str,
    fi: &str,
    citizen: &str,
    consent: &Consent,
) -> Result<Journey> {
    let url = sb.service(service).url.clone();
    let home = browser.get(&format!("{url}/")).await?;
    let form = home
        .form("form[action='/login']")
        .context("the FranceConnect button")?;
    let page = browser.submit(&form).await?;
    drive_consenting(sb, browser, page, fi, citizen, consent, |_| false).await
}

/// A completed login.
#[derive(Clone, Debug)]
pub struct LoginResult {
    /// The service's `/me.json`: `{"userinfo": {…}, "id_token": {…}}`.
    pub me: serde_json::Value,
    /// The way there.
    pub journey: Journey,
}

impl LoginResult {
    /// A userinfo claim as text.
    #[must_use]
    pub fn userinfo(&self, claim: &str) -> Option<&str> {
        self.me["userinfo"][claim].as_str()
    }

    /// An ID token claim.
    #[must_use]
    pub fn id_token(&self, claim: &str) -> &serde_json::Value {
        &self.me["id_token"][claim]
    }

    /// The `sub` of the ID token.
    #[must_use]
    pub fn sub(&self) -> &str {
        self.me["id_token"]["sub"].as_str().unwrap_or_default()
    }
}

/// The full journey on a demo service, ending with its `/me.json`.
///
/// # Errors
/// When the service does not end up logged in (the error shows the trail).
pub async fn login(
    sb: &TestSandbox,
    browser: &Browser,
    service: &str,
    fi: &str,
    citizen: &str,
) -> Result<LoginResult> {
    let journey = start_login(sb, browser, service, fi, citizen).await?;
    let url = &sb.service(service).url;
    let me = browser.get(&format!("{url}/me.json")).await?;
    if me.status != reqwest::StatusCode::OK || !journey.last().has("#logged-in") {
        bail!(
            "{citizen} could not log in on {service} with {fi}:\n{}",
            journey.describe()
        );
    }
    Ok(LoginResult {
        me: me.json()?,
        journey,
    })
}
