//! Prometheus metrics: per-request counts and latencies by route template, and the domain's
//! figures (hash pool, database pool, token cache, logins) read at scrape time.
//!
//! Each app owns its registry (no global recorder), so several servers in one process, as in
//! the tests, never mix their figures.

use axum::extract::MatchedPath;
use axum::http::{Method, StatusCode};
use portcullis_core::Services;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// The content type of [`Metrics::render`]'s output (OpenMetrics text, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Latency buckets in seconds: from a cached token lookup to a request timeout.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
}

/// A route template as a label value. Requests that matched no route share one value, so an
/// unknown path never becomes a label of its own.
#[derive(Clone, Debug)]
pub struct Route(Option<MatchedPath>);

impl Route {
    pub fn new(matched: Option<&MatchedPath>) -> Self {
        Self(matched.cloned())
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Route {}

impl Hash for Route {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        std::fmt::Write::write_str(encoder, self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    route: Route,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: Route,
}

/// The standard methods by name; anything else is `other`, so a client cannot mint labels.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    pub fn new(services: Services) -> Self {
        let mut registry = Registry::with_prefix("portcullis");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(LATENCY_BUCKETS)) as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response, by route template",
            latency.clone(),
        );
        registry.register_collector(Box::new(DomainCollector(services)));
        Self {
            registry,
            requests,
            latency,
        }
    }

    pub fn record(&self, route: Route, method: &Method, status: StatusCode, took: Duration) {
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method: method_label(method),
                status: status.as_u16(),
            })
            .inc();
    }

    pub fn render(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Reads the domain's figures when Prometheus scrapes, so the hot paths only bump atomics.
struct DomainCollector(Services);

impl std::fmt::Debug for DomainCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DomainCollector")
    }
}

impl Collector for DomainCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.0.stats();
        let hash = stats.hash_pool;
        gauge(
            &mut encoder,
            "password_hash_workers",
            "Password hashes computed at once, at most",
            hash.workers,
        )?;
        gauge(
            &mut encoder,
            "password_hash_in_use",
            "Password-hash workers busy now",
            hash.in_use,
        )?;
        gauge(
            &mut encoder,
            "password_hash_queued",
            "Password hashes waiting for a worker",
            hash.queued,
        )?;
        gauge(
            &mut encoder,
            "password_hash_queue_max",
            "Waiting hashes beyond which logins are refused with 503",
            hash.queue_max,
        )?;
        let db = stats.database_pool;
        gauge(
            &mut encoder,
            "db_pool_max",
            "Database connections the pool may open",
            db.max,
        )?;
        gauge(
            &mut encoder,
            "db_pool_open",
            "Database connections open",
            db.open,
        )?;
        gauge(
            &mut encoder,
            "db_pool_idle",
            "Database connections open and idle",
            db.idle,
        )?;
        gauge(
            &mut encoder,
            "db_pool_waiting",
            "Store operations waiting for a connection (estimate)",
            db.waiting,
        )?;
        let cache = stats.token_cache;
        labelled_counter(
            &mut encoder,
            "token_cache_lookups",
            "Bearer-token lookups, by whether this node's cache answered",
            "result",
            &[("hit", cache.hits), ("miss", cache.misses)],
        )?;
        let logins = stats.logins;
        labelled_counter(
            &mut encoder,
            "logins",
            "Password logins on every surface: succeeded, failed (wrong credentials or banned), refused (throttled or overloaded)",
            "result",
            &[
                ("succeeded", logins.succeeded),
                ("failed", logins.failed),
                ("refused", logins.refused),
            ],
        )?;
        labelled_counter(
            &mut encoder,
            "egress_refused",
            "Requests made on a tenant's say-so that the egress policy refused, by reason",
            "reason",
            &stats.egress_refused,
        )
    }
}

fn gauge<N: prometheus_client::encoding::EncodeGaugeValue>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: N,
) -> Result<(), std::fmt::Error> {
    let gauge = ConstGauge::new(value);
    let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
    gauge.encode(metric)
}

fn labelled_counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &str,
    values: &[(&str, u64)],
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(
        name,
        help,
        None,
        prometheus_client::metrics::MetricType::Counter,
    )?;
    for (value, count) in values {
        let labels = [(label, *value)];
        ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
    }

    #[test]
    fn unmatched_requests_share_one_route_label() {
        assert_eq!(Route::new(None).as_str(), "unmatched");
        assert_eq!(Route::new(None), Route::new(None));
    }
}
