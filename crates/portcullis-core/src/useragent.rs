//! Splits a User-Agent header into the browser, platform and device a session list shows.

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Agent {
    pub browser: Option<String>,
    pub platform: Option<String>,
    pub device: Option<String>,
}

pub fn parse(user_agent: &str) -> Agent {
    let Some(parsed) = woothee::parser::Parser::new().parse(user_agent) else {
        return Agent::default();
    };
    let known =
        |s: &str| (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_owned());
    Agent {
        browser: known(parsed.name),
        platform: known(parsed.os),
        device: device(user_agent).or_else(|| known(parsed.category)),
    }
}

/// The hardware family, where the agent names one.
fn device(user_agent: &str) -> Option<String> {
    [
        "iPhone",
        "iPad",
        "iPod",
        "Macintosh",
        "Nexus",
        "Kindle",
        "BlackBerry",
        "Windows Phone",
    ]
    .into_iter()
    .find(|name| user_agent.contains(name))
    .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_documented_example() {
        let ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36";
        let agent = super::parse(ua);
        assert_eq!(agent.browser.as_deref(), Some("Chrome"));
        assert_eq!(agent.platform.as_deref(), Some("Mac OSX"));
        assert_eq!(agent.device.as_deref(), Some("Macintosh"));
    }

    #[test]
    fn unknown_agents_give_nothing() {
        assert_eq!(super::parse("xyzzy").browser, None);
    }
}
