//! Image uploads cannot exhaust the server: a picture too large to be an avatar is refused
//! from its header, and decodes run on a bounded pool that refuses (503) rather than queues.

use crate::harness::{each_backend, json, TestServer};
use reqwest::Method;
use std::io::Cursor;

/// A grey PNG of `side` pixels square: a few kilobytes that decode to `side`² bytes.
fn bomb(side: u32) -> Vec<u8> {
    let image = image::GrayImage::new(side, side);
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(server: &TestServer, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    server
        .request(Method::PUT, "/api/me/avatar")
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_picture_larger_than_any_avatar_needs_is_refused_before_decoding() {
    let big = bomb(4200);
    assert!(big.len() < 1024 * 1024, "{} bytes", big.len());
    each_backend!(|server| {
        let token = server.signed_in("bomber", "User").await;
        let (status, body) = json(upload(&server, &token, big.clone()).await).await;
        assert_eq!(
            (status, body),
            (
                422,
                serde_json::json!({ "file": ["The file must be an image."] })
            )
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_decodes_are_bounded_and_the_rest_are_told_to_come_back() {
    let heavy = bomb(4000);
    each_backend!(|server| {
        let token = server.signed_in("crowd", "User").await;
        let uploads = (0..8).map(|_| {
            let (server, token, heavy) = (&server, token.clone(), heavy.clone());
            async move {
                let response = upload(server, &token, heavy).await;
                let retry = response.headers().get("retry-after").cloned();
                let (status, body) = json(response).await;
                (status, body, retry)
            }
        });
        let answers = futures_util::future::join_all(uploads).await;
        let busy: Vec<_> = answers
            .iter()
            .filter(|(status, ..)| *status == 503)
            .collect();
        assert!(
            answers
                .iter()
                .all(|(status, ..)| matches!(status, 200 | 503)),
            "{answers:?}"
        );
        assert!(
            !busy.is_empty(),
            "two decoders, eight uploads at once: {answers:?}"
        );
        assert!(busy.iter().all(|(_, body, retry)| retry.is_some()
            && body["error"] == "Too many requests at once; try again shortly."));
        assert!(answers.iter().any(|(status, ..)| *status == 200));
    });
}
