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
