//! Document 002's captcha: `GET /api/v1/captcha`, and the checks the token endpoint makes.

use crate::harness::{each_backend, json, TestServer};
use base64::Engine;
use portcullis_core::captcha::{NewCaptcha, CAPTCHA_GRACE, CAPTCHA_TTL, IMAGE_SIZE};
use portcullis_core::{Error, Result};
use reqwest::Method;
use time::Duration;

/// A captcha made directly by the domain, which (unlike the client) learns the answer.
async fn fresh(server: &TestServer) -> NewCaptcha {
    server
        .app
        .services
        .new_captcha(&server.tenant)
        .await
        .expect("captcha")
}

async fn check(server: &TestServer, key: &str, answer: &str) -> Result<()> {
    server
        .app
        .services
        .check_captcha(&server.tenant, key, answer)
        .await
}

/// The 422 message on `captcha`, or a panic for anything else.
#[track_caller]
fn refusal(result: Result<()>) -> String {
    match result {
        Err(Error::Invalid(problems)) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].field, "captcha");
            portcullis_http::field_message(&problems[0])
        }
        other => panic!("expected a captcha refusal, got {other:?}"),
    }
}

fn is_key(key: &str) -> bool {
    key.len() == 40 && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[tokio::test]
async fn the_endpoint_serves_a_png_and_an_opaque_key() {
    each_backend!(|server| {
        let response = server
            .request(Method::GET, "/api/v1/captcha")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers().get("cache-control").unwrap(),
            "no-store",
            "{}",
            server.backend_name
        );
        let (status, body) = json(response).await;
        assert_eq!(status, 200, "{body}");
        let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["img", "key"], "nothing but the image and the key");

        let img = body["img"].as_str().unwrap();
        let encoded = img
            .strip_prefix("data:image/png;base64,")
            .unwrap_or_else(|| panic!("a PNG data URL: {img:.40}"));
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let format = image::guess_format(&png).unwrap();
        assert_eq!(format, image::ImageFormat::Png);
        let decoded = image::load_from_memory_with_format(&png, format).unwrap();
        assert_eq!((decoded.width(), decoded.height()), IMAGE_SIZE);

        let key = body["key"].as_str().unwrap();
        assert!(is_key(key), "{key}");
        let (_, again) = server.call(Method::GET, "/api/v1/captcha").await;
        assert_ne!(again["key"], body["key"]);
        assert_ne!(again["img"], body["img"]);

        // The server keeps neither the key nor anything short of it.
        let db = server.inspect().await;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT key_hash, answer_hash FROM captchas")
                .fetch_all(&db)
                .await
                .unwrap();
        db.close().await;
        assert_eq!(rows.len(), 2);
        for (key_hash, answer_hash) in rows {
            assert!(!key_hash.contains(key) && !answer_hash.contains(key));
            assert_eq!((key_hash.len(), answer_hash.len()), (64, 64));
        }

        // A client that guesses is refused, and the key is spent.
        refusal(check(&server, key, "AAAAA").await);
    });
}

#[tokio::test]
async fn a_right_answer_passes_in_any_case_and_again_within_120_seconds() {
    each_backend!(|server| {
        let captcha = fresh(&server).await;
        let (key, answer) = (captcha.key.expose(), captcha.answer.expose());
        assert!(is_key(key), "{key}");
        assert_eq!(answer.len(), 5);
        assert!(!key.contains(answer));
        assert!(captcha.png.starts_with(b"\x89PNG"));

        check(&server, key, &answer.to_lowercase()).await.unwrap();
        // A retry after a 419 sends the same captcha again.
        check(&server, key, answer).await.unwrap();
        check(&server, key, &format!(" {} ", answer.to_uppercase()))
            .await
            .unwrap();
        server.clock.advance(CAPTCHA_GRACE - Duration::seconds(1));
        check(&server, key, answer).await.unwrap();
        // The grace runs from the first right answer; passing again does not extend it.
        server.clock.advance(Duration::seconds(2));
        let message = refusal(check(&server, key, answer).await);
        assert!(message.contains("expired"), "{message}");
    });
}

#[tokio::test]
async fn the_grace_is_120_seconds_after_solving() {
    each_backend!(|server| {
        let captcha = fresh(&server).await;
        let (key, answer) = (captcha.key.expose(), captcha.answer.expose());
        check(&server, key, answer).await.unwrap();
        server.clock.advance(Duration::seconds(121));
        refusal(check(&server, key, answer).await);
    });
}

#[tokio::test]
async fn a_wrong_answer_burns_the_captcha() {
    each_backend!(|server| {
        let captcha = fresh(&server).await;
        let (key, answer) = (captcha.key.expose(), captcha.answer.expose());
        let wrong: String = answer
            .chars()
            .map(|c| if c == 'A' { 'C' } else { 'A' })
            .collect();
        let message = refusal(check(&server, key, &wrong).await);
        assert!(message.contains("incorrect"), "{message}");
        refusal(check(&server, key, answer).await);

        // A solved captcha is burned by a wrong answer too.
        let solved = fresh(&server).await;
        let (key, answer) = (solved.key.expose(), solved.answer.expose());
        check(&server, key, answer).await.unwrap();
        refusal(check(&server, key, "").await);
        refusal(check(&server, key, answer).await);
    });
}

#[tokio::test]
async fn unknown_expired_foreign_and_consumed_captchas_fail() {
    each_backend!(|server| {
        let unknown = portcullis_core::random::base62(40);
        refusal(check(&server, &unknown, "AAAAA").await);
        refusal(check(&server, "", "").await);
        refusal(check(&server, "$2y$10$3gXEas4WVUryBA8GgF37vu", "9U6yh").await);

        // Unanswered for longer than its lifetime.
        let captcha = fresh(&server).await;
        server.clock.advance(CAPTCHA_TTL + Duration::seconds(1));
        refusal(check(&server, captcha.key.expose(), captcha.answer.expose()).await);

        // Another tenant's.
        let captcha = fresh(&server).await;
        let mut other = server.tenant.clone();
        other.id = portcullis_core::TenantId("someoneelse00000".into());
        let foreign = server
            .app
            .services
            .check_captcha(&other, captcha.key.expose(), captcha.answer.expose())
            .await;
        refusal(foreign);
        check(&server, captcha.key.expose(), captcha.answer.expose())
            .await
            .unwrap();

        // Used up by the login it allowed, within its grace.
        server
            .app
            .services
            .consume_captcha(captcha.key.expose())
            .await
            .unwrap();
        refusal(check(&server, captcha.key.expose(), captcha.answer.expose()).await);
        // Consuming an unknown key is not an error.
        server.app.services.consume_captcha(&unknown).await.unwrap();
    });
}

#[tokio::test]
async fn concurrent_answers_share_one_grace_and_cannot_outrun_a_burn() {
    use futures_util::future::join_all;
    each_backend!(|server| {
        // Twenty right answers at once all pass: the first sets the deadline, the rest share it.
        let captcha = fresh(&server).await;
        let (key, answer) = (captcha.key.expose(), captcha.answer.expose());
        let checks = (0..20).map(|_| check(&server, key, answer));
        for outcome in join_all(checks).await {
            outcome.unwrap();
        }

        // Right and wrong answers at once: the wrong ones all fail, and once they have landed
        // nothing passes any more.
        let captcha = fresh(&server).await;
        let (key, answer) = (captcha.key.expose(), captcha.answer.expose());
        let checks = (0..20).map(|i| {
            let sent = if i % 2 == 0 { answer } else { "WRONG" };
            let server = &server;
            async move { (sent == answer, check(server, key, sent).await) }
        });
        for (right, outcome) in join_all(checks).await {
            if !right {
                refusal(outcome);
            }
        }
        refusal(check(&server, key, answer).await);
    });
}

#[tokio::test]
async fn long_expired_captchas_are_deleted_when_new_ones_are_made() {
    each_backend!(|server| {
        fresh(&server).await;
        fresh(&server).await;
        server.clock.advance(Duration::hours(2));
        fresh(&server).await;
        let db = server.inspect().await;
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM captchas")
            .fetch_one(&db)
            .await
            .unwrap();
        db.close().await;
        assert_eq!(left, 1);
    });
}
