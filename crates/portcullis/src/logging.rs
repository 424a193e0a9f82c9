//! Log output: human-readable lines (coloured on a terminal) or one JSON object per line.
//! Each request's lines carry its span (`request{id=… method=… route=…}`), so they can be
//! found by request id.

use crate::Config;
use tracing::Subscriber;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Installs the process-wide subscriber, writing to stderr; call once, at startup.
pub fn init(config: &Config) {
    let ansi = config.log_format == "text" && std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::registry()
        .with(layer(config, std::io::stderr, ansi))
        .init();
}

/// The configured format and filter, writing to `writer`.
pub fn layer<S, W>(config: &Config, writer: W, ansi: bool) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter: Targets = config.log.parse().unwrap_or_else(|_| Targets::new());
    let format = tracing_subscriber::fmt::layer().with_writer(writer);
    if config.log_format == "json" {
        format
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter)
            .boxed()
    } else {
        format.with_ansi(ansi).with_filter(filter).boxed()
    }
}
