//! The URL arithmetic the provider's endpoints share: an origin, a query added.

/// A URL's origin (`scheme://host[:port]`), if it has one.
pub fn origin(url: &str) -> Option<String> {
    let origin = url::Url::parse(url).ok()?.origin().ascii_serialization();
    (origin != "null").then_some(origin)
}

/// `uri` with `pairs` added to its query (it may have one already).
pub(crate) fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        // Registered redirect URIs are absolute URLs; kept whole should one not parse.
        Err(_) => uri.to_owned(),
    }
}

/// The longest URL an application may register.
pub const MAX_URL_CHARS: usize = 2000;

/// Why `text` is not a URL an application may use: absolute, `https` (or `http` on localhost
/// or 127.0.0.1, or on any host when the tenant is in developer mode), no credentials and no
/// fragment (RFC 6749 §3.1.2).
pub fn url_problem(text: &str, developer_mode: bool) -> Option<&'static str> {
    if text.chars().count() > MAX_URL_CHARS {
        return Some("The URL is too long.");
    }
    let Ok(url) = url::Url::parse(text) else {
        return Some("Must be an absolute URL such as https://example.test/auth/callback.");
    };
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if local || developer_mode => {}
        "http" => {
            return Some(
                "Must use https; http only on localhost or 127.0.0.1, or when the tenant's developer_mode is on.",
            )
        }
        _ => return Some("Must be an https URL."),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Some("Must name a host.");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("Must not carry credentials.");
    }
    if url.fragment().is_some() {
        return Some("Must not have a fragment (#...).");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin("https://app.example.com/callback?x=1").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            origin("http://localhost:3000/cb").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(
            origin("https://app.example.com:443/").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(origin("com.example.app:/callback"), None);
        assert_eq!(origin("null"), None);
    }
}
