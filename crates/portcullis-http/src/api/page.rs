//! Document 001's list envelope: `{"data": [...], "meta": {total, per_page, current_page,
//! last_page, next_page_url, prev_page_url, from, to}}`, with page links that keep the
//! request's other query parameters.

use portcullis_core::model::{Page, Paging};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `page`, `per_page` and `search`, read leniently: a value that is not a number is ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1-based page number.
    pub page: Option<String>,
    /// Items per page: 20 unless given, at most 100.
    pub per_page: Option<String>,
    /// A case-insensitive substring to filter by.
    pub search: Option<String>,
    /// Relations to embed, comma-separated.
    pub include: Option<String>,
}

impl ListQuery {
    pub fn paging(&self) -> Paging {
        let number = |v: &Option<String>| v.as_deref().and_then(|s| s.trim().parse().ok());
        Paging::new(number(&self.page), number(&self.per_page))
    }
}

#[derive(Serialize, ToSchema)]
pub struct PageMeta {
    total: i64,
    per_page: i64,
    current_page: i64,
    last_page: i64,
    next_page_url: Option<String>,
    prev_page_url: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
}

#[derive(Serialize)]
pub struct PageJson<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

impl<T> PageJson<T> {
    /// `path` is the request's path; `query` its raw query string, whose parameters other
    /// than `page` the links keep.
    pub fn new<U>(page: Page<U>, data: Vec<T>, path: &str, query: Option<&str>) -> Self {
        let Paging {
            page: current,
            per_page,
        } = page.page;
        let last = page.page.last_page(page.total);
        let link = |number: i64| {
            let mut pairs: Vec<(String, String)> = query
                .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
                .unwrap_or_default();
            pairs.retain(|(key, _)| key != "page");
            pairs.insert(0, ("page".to_owned(), number.to_string()));
            let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            format!("{path}?{encoded}")
        };
        let range = page.page.range(page.total);
        Self {
            data,
            meta: PageMeta {
                total: page.total,
                per_page,
                current_page: current,
                last_page: last,
                next_page_url: (current < last).then(|| link(current + 1)),
                prev_page_url: (current > 1).then(|| link((current - 1).min(last))),
                from: range.map(|(from, _)| from),
                to: range.map(|(_, to)| to),
            },
        }
    }
}
