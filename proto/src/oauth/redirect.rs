//! Redirect URIs of native apps (RFC 8252): a private-use URI scheme
//! (`pivot://callback`, `fr.gouv.pivot:/callback`) and the loopback
//! interface with any port (`http://127.0.0.1:{port}/callback`), alongside
//! the usual `https` (and `http`) redirect URIs of web services.

use url::Url;

/// Schemes that are never a redirect target.
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "file",
    "vbscript",
    "about",
    "blob",
    "ftp",
    "ws",
    "wss",
];

/// Whether `uri` can be a redirect URI: an absolute `http(s)` URL with a
/// host, or a private-use scheme URL (RFC 8252 §7.1); never a fragment,
/// credentials, whitespace or control characters.
#[must_use]
pub fn is_valid_redirect_uri(uri: &str) -> bool {
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    let clean = url.fragment().is_none() && url.username().is_empty() && url.password().is_none();
    match url.scheme() {
        "http" | "https" => clean && url.host().is_some(),
        s => clean && !FORBIDDEN_SCHEMES.contains(&s),
    }
}

/// Whether `uri` is a loopback redirect of a native app (RFC 8252 §7.3):
/// `http` on `127.0.0.1` or `[::1]`.
#[must_use]
pub fn is_loopback_redirect(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http"
            && matches!(
                u.host(),
                Some(url::Host::Ipv4(ip)) if ip.is_loopback()
            ) | matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
    })
}

/// Whether a requested redirect URI matches a registered one: exactly, or,
/// for a native app (`native`) whose registered URI is a loopback one, on
/// every part but the port (the app listens on a port of its choosing).
#[must_use]
pub fn redirect_matches(registered: &str, requested: &str, native: bool) -> bool {
    if registered == requested {
        return true;
    }
    if !native || !is_loopback_redirect(registered) || !is_loopback_redirect(requested) {
        return false;
    }
    match (Url::parse(registered), Url::parse(requested)) {
        (Ok(mut r), Ok(mut q)) => {
            // Ports aside, everything must be equal.
            let _ = r.set_port(None);
            let _ = q.set_port(None);
            r == q
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_schemes_are_redirects_dangerous_ones_are_not() {
        for ok in [
            "https://fs.example/callback",
            "http://127.0.0.1:8080/cb",
            "pivot://callback",
            "fr.gouv.pivot:/callback",
        ] {
            assert!(is_valid_redirect_uri(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "pivot://callback#frag",
            "https://user:pw@fs.example/cb",
            "pivot://call back",
            "/relative",
            "https://",
        ] {
            assert!(!is_valid_redirect_uri(bad), "{bad}");
        }
    }

    #[test]
    fn loopback_redirects_match_on_any_port_for_native_apps_only() {
        let reg = "http://127.0.0.1/callback";
        assert!(redirect_matches(
            reg,
            "http://127.0.0.1:49152/callback",
            true
        ));
        assert!(redirect_matches(reg, reg, false));
        assert!(!redirect_matches(
            reg,
            "http://127.0.0.1:49152/callback",
            false
        ));
        assert!(!redirect_matches(reg, "http://127.0.0.1:49152/other", true));
        assert!(!redirect_matches(
            reg,
            "http://localhost:49152/callback",
            true
        ));
        assert!(!redirect_matches(
            reg,
            "https://127.0.0.1:49152/callback",
            true
        ));
        assert!(!redirect_matches(
            reg,
            "http://127.0.0.1:49152/callback?x=1",
            true
        ));
        assert!(redirect_matches(
            "http://[::1]/cb",
            "http://[::1]:5000/cb",
            true
        ));
        assert!(!redirect_matches(
            "https://fs.example/cb",
            "https://fs.example:444/cb",
            true
        ));
    }
}
