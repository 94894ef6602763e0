//! A small W3C WebDriver client (JSON over HTTP), enough to drive the
//! citizen app's window through `tauri-driver`: find elements by CSS, read
//! their text, click, run a script, take screenshots, switch windows.
//! Every wait is bounded and says what it waited for.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use serde_json::{Value, json};

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How often waits poll.
const POLL: Duration = Duration::from_millis(200);

/// A WebDriver session.
#[derive(Debug)]
pub struct WebDriver {
    http: reqwest::Client,
    /// `http://127.0.0.1:{port}/session/{id}`.
    base: String,
}

/// An element of the page, by its WebDriver reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element(String);

impl WebDriver {
    /// Opens a session on the server at `server` (`http://127.0.0.1:4444`)
    /// with `capabilities` (the `alwaysMatch` object), waiting at most
    /// `timeout` for the browser (here: the app) to start.
    ///
    /// # Errors
    /// When the server refuses or does not answer in time.
    pub async fn open(server: &str, capabilities: Value, timeout: Duration) -> Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()?;
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let answer = http
            .post(format!("{server}/session"))
            .json(&body)
            .send()
            .await
            .with_context(|| {
                format!("no answer from the WebDriver server {server} within {timeout:?}")
            })?;
        let value = value_of(answer)
            .await
            .context("opening a WebDriver session")?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no sessionId in the new session answer: {value}"))?;
        // Later commands get a shorter time-out than the start.
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            http,
            base: format!("{server}/session/{id}"),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(&body);
        } else if method == reqwest::Method::POST {
            request = request.json(&json!({}));
        }
        let answer = request
            .send()
            .await
            .with_context(|| format!("WebDriver {method} {path}: no answer"))?;
        value_of(answer)
            .await
            .with_context(|| format!("WebDriver {method} {path}"))
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// The elements matching `css`, in document order.
    ///
    /// # Errors
    /// When the driver fails (an invalid selector, a closed window).
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let value = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        value
            .as_array()
            .ok_or_else(|| anyhow!("find {css}: not a list: {value}"))?
            .iter()
            .map(|e| {
                e[ELEMENT_KEY]
                    .as_str()
                    .map(|id| Element(id.to_owned()))
                    .ok_or_else(|| anyhow!("find {css}: not an element: {e}"))
            })
            .collect()
    }

    /// The visible text of `element`.
    ///
    /// # Errors
    /// When the element is gone.
    pub async fn text(&self, element: &Element) -> Result<String> {
        let value = self.get(&format!("/element/{}/text", element.0)).await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Clicks `element`.
    ///
    /// # Errors
    /// When the element is gone or cannot be clicked.
    pub async fn click(&self, element: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", element.0), json!({}))
            .await
            .map(drop)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page
    /// and returns its result.
    ///
    /// # Errors
    /// When the script throws.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// The text of the whole page (`document.body.innerText`).
    ///
    /// # Errors
    /// When the page cannot be read.
    pub async fn page_text(&self) -> Result<String> {
        let value = self
            .execute(
                "return document.body ? document.body.innerText : '';",
                json!([]),
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// The first element matching `css` whose text contains `text` (any
    /// element matching `css` when `text` is empty).
    ///
    /// # Errors
    /// When the driver fails.
    pub async fn find_with_text(&self, css: &str, text: &str) -> Result<Option<Element>> {
        for element in self.find_all(css).await? {
            // An element may go away between the search and the read.
            if let Ok(t) = self.text(&element).await
                && t.contains(text)
            {
                return Ok(Some(element));
            }
        }
        Ok(None)
    }

    /// Waits at most `timeout` for an element matching `css` whose text
    /// contains `text`.
    ///
    /// # Errors
    /// At the time-out, with the page's text; when the driver fails.
    pub async fn wait_for(&self, css: &str, text: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.find_with_text(css, text).await? {
                return Ok(e);
            }
            if Instant::now() >= deadline {
                let page = self
                    .page_text()
                    .await
                    .unwrap_or_else(|e| format!("({e:#})"));
                bail!(
                    "no element `{css}` with the text {text:?} after {timeout:?}; the window shows:\n{}",
                    indent(&page)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for the element as [`WebDriver::wait_for`] does, then clicks it.
    ///
    /// # Errors
    /// As [`WebDriver::wait_for`] and [`WebDriver::click`].
    pub async fn click_on(&self, css: &str, text: &str, timeout: Duration) -> Result<()> {
        let element = self.wait_for(css, text, timeout).await?;
        self.click(&element).await
    }

    /// A PNG picture of the current window.
    ///
    /// # Errors
    /// When the driver cannot take it.
    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        let value = self.get("/screenshot").await?;
        let b64 = value
            .as_str()
            .ok_or_else(|| anyhow!("screenshot: not a string"))?;
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .context("screenshot: not base64")
    }

    /// Types `value` into the field `css` as a person would end up with
    /// it: the value set, then an `input` event (what the interface's
    /// handlers listen to). Waits up to `timeout` for the field.
    ///
    /// # Errors
    /// When the field does not appear or the driver fails.
    pub async fn fill(&self, css: &str, value: &str, timeout: Duration) -> Result<()> {
        self.wait_for(css, "", timeout).await?;
        self.execute(
            "const e = document.querySelector(arguments[0]);
             e.focus();
             e.value = arguments[1];
             e.dispatchEvent(new InputEvent('input', {bubbles: true, data: arguments[1]}));",
            json!([css, value]),
        )
        .await
        .map(drop)
    }

    /// The handle of the current window.
    ///
    /// # Errors
    /// When the driver fails or answers something else than a string.
    pub async fn window_handle(&self) -> Result<String> {
        let value = self.get("/window").await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("window handle: not a string: {value}"))
    }

    /// The handles of the session's windows.
    ///
    /// # Errors
    /// When the driver fails.
    pub async fn window_handles(&self) -> Result<Vec<String>> {
        let value = self.get("/window/handles").await?;
        Ok(value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Makes `handle` the current window.
    ///
    /// # Errors
    /// When there is no such window.
    pub async fn switch_to_window(&self, handle: &str) -> Result<()> {
        self.post("/window", json!({ "handle": handle }))
            .await
            .map(drop)
    }

    /// Ends the session (the driver closes the app).
    ///
    /// # Errors
    /// When the driver does not answer.
    pub async fn close(&self) -> Result<()> {
        self.call(reqwest::Method::DELETE, "", None).await.map(drop)
    }
}

/// The `value` of a WebDriver answer, or its error as an error.
async fn value_of(answer: reqwest::Response) -> Result<Value> {
    let status = answer.status();
    let body: Value = answer.json().await.context("the answer is not JSON")?;
    if status.is_success() {
        return Ok(body["value"].clone());
    }
    let v = &body["value"];
    bail!(
        "{status}: {} — {}",
        v["error"].as_str().unwrap_or("unknown error"),
        v["message"].as_str().unwrap_or_default()
    )
}

/// `text` with every line indented, for error messages.
#[must_use]
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
}
