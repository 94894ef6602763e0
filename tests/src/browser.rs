//! A minimal browser: cookies, manual redirects, HTML forms.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, Result, anyhow, bail};
use reqwest::{
    Method, StatusCode,
    cookie::{CookieStore, Jar},
    header::HeaderMap,
};
use scraper::{Html, Selector};
use url::Url;

/// Most hops [`Browser::follow`] takes before giving up.
pub const MAX_HOPS: usize = 25;

/// An HTTP client with a cookie store that never follows redirects by
/// itself. Clones share the cookie store.
#[derive(Clone, Debug)]
pub struct Browser {
    /// The underlying client.
    pub http: reqwest::Client,
    jar: Arc<Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with an empty cookie store.
    ///
    /// # Panics
    /// When the HTTP client cannot be built.
    #[must_use]
    pub fn new() -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        Self { http, jar }
    }

    /// The `Cookie` header this browser would send to `url`.
    #[must_use]
    pub fn cookies_for(&self, url: &str) -> Option<String> {
        let url = Url::parse(url).ok()?;
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// Copies the cookie `name` that `other` holds for `url` into this
    /// browser (e.g. a device cookie into a fresh session).
    pub fn carry_cookie(&self, other: &Browser, url: &str, name: &str) {
        let Some(header) = other.cookies_for(url) else {
            return;
        };
        let Ok(u) = Url::parse(url) else {
            return;
        };
        for pair in header.split("; ") {
            if pair.split_once('=').is_some_and(|(k, _)| k == name) {
                self.jar.add_cookie_str(&format!("{pair}; Path=/"), &u);
            }
        }
    }

    /// One `GET`, no redirect followed.
    pub async fn get(&self, url: &str) -> Result<Page> {
        let res = self
            .http
            .get(url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        Page::read(Method::GET, res).await
    }

    /// One form `POST`, no redirect followed.
    pub async fn post(&self, url: &str, fields: &[(String, String)]) -> Result<Page> {
        let res = self
            .http
            .post(url)
            .form(fields)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        Page::read(Method::POST, res).await
    }

    /// Submits a form (one request).
    pub async fn submit(&self, form: &Form) -> Result<Page> {
        if form.method == Method::GET {
            let mut url = form.action.clone();
            url.query_pairs_mut().extend_pairs(&form.fields);
            self.get(url.as_str()).await
        } else {
            self.post(form.action.as_str(), &form.fields).await
        }
    }

    /// Follows redirects from `page` (as a browser does: `GET` to the
    /// `Location`); the trail holds `page` and every later response.
    pub async fn follow(&self, page: Page) -> Result<Trail> {
        let mut hops = vec![page];
        while let Some(next) = hops.last().and_then(Page::location) {
            if hops.len() > MAX_HOPS {
                bail!(
                    "more than {MAX_HOPS} redirects: {}",
                    Trail { hops }.describe()
                );
            }
            hops.push(self.get(next.as_str()).await?);
        }
        Ok(Trail { hops })
    }

    /// `GET url` and follow its redirects.
    pub async fn visit(&self, url: &str) -> Result<Trail> {
        let page = self.get(url).await?;
        self.follow(page).await
    }
}

/// One HTTP response, body read.
#[derive(Clone, Debug)]
pub struct Page {
    /// The method of the request.
    pub method: Method,
    /// The URL requested.
    pub url: Url,
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as text.
    pub body: String,
}

impl Page {
    async fn read(method: Method, res: reqwest::Response) -> Result<Self> {
        let url = res.url().clone();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.text().await.with_context(|| format!("body of {url}"))?;
        Ok(Self {
            method,
            url,
            status,
            headers,
            body,
        })
    }

    /// The first value of a header.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` header.
    #[must_use]
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The `Location` of a redirect, resolved against the page URL.
    #[must_use]
    pub fn location(&self) -> Option<Url> {
        if !self.status.is_redirection() {
            return None;
        }
        self.header("location").and_then(|l| self.url.join(l).ok())
    }

    /// Whether the URL of this page starts with `prefix`.
    #[must_use]
    pub fn is_at(&self, prefix: &str) -> bool {
        self.url.as_str().starts_with(prefix)
    }

    /// A query parameter of the page's URL.
    #[must_use]
    pub fn query(&self, name: &str) -> Option<String> {
        query_param(&self.url, name)
    }

    /// Whether an element matches the CSS selector.
    ///
    /// # Panics
    /// On an invalid selector.
    #[must_use]
    pub fn has(&self, css: &str) -> bool {
        let sel = selector(css);
        Html::parse_document(&self.body)
            .select(&sel)
            .next()
            .is_some()
    }

    /// The trimmed text of the first element matching the selector.
    ///
    /// # Panics
    /// On an invalid selector.
    #[must_use]
    pub fn text(&self, css: &str) -> Option<String> {
        let sel = selector(css);
        Html::parse_document(&self.body)
            .select(&sel)
            .next()
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
    }

    /// The trimmed texts of every element matching the selector.
    ///
    /// # Panics
    /// On an invalid selector.
    #[must_use]
    pub fn texts(&self, css: &str) -> Vec<String> {
        let sel = selector(css);
        Html::parse_document(&self.body)
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// An attribute of the first element matching the selector.
    ///
    /// # Panics
    /// On an invalid selector.
    #[must_use]
    pub fn attr(&self, css: &str, attr: &str) -> Option<String> {
        let sel = selector(css);
        Html::parse_document(&self.body)
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_owned))
    }

    /// An attribute of every element matching the selector.
    #[must_use]
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let sel = selector(css);
        Html::parse_document(&self.body)
            .select(&sel)
            .filter_map(|e| e.value().attr(attr).map(str::to_owned))
            .collect()
    }

    /// The absolute URL of the first link matching the selector.
    #[must_use]
    pub fn link(&self, css: &str) -> Option<Url> {
        self.attr(css, "href").and_then(|h| self.url.join(&h).ok())
    }

    /// `#error-code` of an error page.
    #[must_use]
    pub fn error_code(&self) -> Option<String> {
        self.text("#error-code")
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("JSON body of {} ({})", self.url, self.status))
    }

    /// The first form matching the CSS selector (e.g. `form[action$='/fi']`).
    ///
    /// # Errors
    /// When no form matches.
    pub fn form(&self, css: &str) -> Result<Form> {
        let sel = Selector::parse(css).map_err(|e| anyhow!("selector {css}: {e:?}"))?;
        let doc = Html::parse_document(&self.body);
        let el = doc
            .select(&sel)
            .find(|e| e.value().name() == "form")
            .ok_or_else(|| {
                anyhow!(
                    "no form `{css}` on {} ({}):\n{}",
                    self.url,
                    self.status,
                    self.summary()
                )
            })?;
        let action = match el.value().attr("action") {
            Some(a) if !a.is_empty() => self.url.join(a)?,
            _ => self.url.clone(),
        };
        let method = match el
            .value()
            .attr("method")
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("POST") => Method::POST,
            _ => Method::GET,
        };
        let fields_sel = selector("input[name], textarea[name]");
        let mut fields = Vec::new();
        for f in el.select(&fields_sel) {
            let v = f.value();
            let kind = v.attr("type").unwrap_or("text").to_ascii_lowercase();
            let checked = v.attr("checked").is_some();
            let skip = matches!(kind.as_str(), "submit" | "button" | "image" | "reset")
                || (matches!(kind.as_str(), "checkbox" | "radio") && !checked);
            if skip {
                continue;
            }
            let name = v.attr("name").unwrap_or_default().to_owned();
            let value = if v.name() == "textarea" {
                f.text().collect()
            } else {
                v.attr("value").unwrap_or_default().to_owned()
            };
            fields.push((name, value));
        }
        Ok(Form {
            action,
            method,
            fields,
        })
    }

    /// A short description for assertion messages: status, URL, error
    /// code and title if any.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut s = format!("{} {} {}", self.method, self.url, self.status);
        if let Some(l) = self.header("location") {
            s.push_str(&format!(" -> {l}"));
        }
        if let Some(code) = self.error_code() {
            s.push_str(&format!(
                " [{code}] {}",
                self.text("#error-title").unwrap_or_default()
            ));
        }
        s
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"))
}

/// A query parameter of a URL.
#[must_use]
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// An HTML form, ready to submit.
#[derive(Clone, Debug)]
pub struct Form {
    /// Absolute action URL.
    pub action: Url,
    /// `GET` or `POST`.
    pub method: Method,
    /// Fields in document order (submit buttons excluded).
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// Sets a field (replacing its value, or adding it, e.g. a button).
    #[must_use]
    pub fn set(mut self, name: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some(f) => f.1 = value.to_owned(),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Adds one more value for `name` (a second ticked checkbox).
    #[must_use]
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes a field.
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.fields.retain(|(k, _)| k != name);
        self
    }

    /// A field's value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The responses of a navigation, redirects included.
#[derive(Clone, Debug)]
pub struct Trail {
    /// Every response, in order.
    pub hops: Vec<Page>,
}

impl Trail {
    /// The final page.
    ///
    /// # Panics
    /// Never: a trail has at least one page.
    #[must_use]
    pub fn last(&self) -> &Page {
        self.hops.last().expect("a trail is never empty")
    }

    /// The final page, owned.
    ///
    /// # Panics
    /// Never: a trail has at least one page.
    #[must_use]
    pub fn into_last(mut self) -> Page {
        self.hops.pop().expect("a trail is never empty")
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

    /// One line per hop, for assertion messages.
    #[must_use]
    pub fn describe(&self) -> String {
        self.hops
            .iter()
            .map(|p| format!("  {}\n", p.summary()))
            .collect()
    }
}
