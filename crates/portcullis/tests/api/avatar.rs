//! Avatars over HTTP: uploads are decoded, squared, re-encoded and served; anything else is a
//! 422 in the account API's shape.

use crate::harness::{each_backend, json, TestServer};
use reqwest::Method;
use serde_json::json as body;
use std::io::Cursor;

pub(crate) fn picture(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

async fn upload(server: &TestServer, token: &str, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    json(
        server
            .request(Method::PUT, "/api/me/avatar")
            .bearer_auth(token)
            .header("content-type", "image/jpeg")
            .body(bytes)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn an_uploaded_image_becomes_a_served_square_png() {
    each_backend!(|server| {
        let token = server.signed_in("pictured", "User").await;
        let (status, user) =
            upload(&server, &token, picture(300, 200, image::ImageFormat::Jpeg)).await;
        assert_eq!(status, 200, "{user}");
        let url = user["avatar"].as_str().unwrap().to_owned();
        let prefix = "http://portcullis.test/api/avatars/";
        assert!(url.starts_with(prefix), "{url}");
        assert_eq!(
            server.get("/api/me", &token).await.1["avatar"],
            url.as_str()
        );

        let path = url.replace("http://portcullis.test", "");
        let response = server.request(Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/png");
        let png = response.bytes().await.unwrap();
        let decoded = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (160, 160));

        // A new upload replaces the old one, which is gone.
        let (_, user) = upload(&server, &token, picture(64, 64, image::ImageFormat::Png)).await;
        assert_ne!(user["avatar"], url.as_str());
        assert_eq!(
            server.call(Method::GET, &path).await,
            (404, body!({ "error": "Resource not found." }))
        );
        assert_eq!(
            server
                .call(Method::GET, "/api/avatars/..%2F..%2Fetc")
                .await
                .0,
            404
        );
    });
}

#[tokio::test]
async fn what_is_not_an_image_is_refused() {
    each_backend!(|server| {
        let token = server.signed_in("prankster", "User").await;
        assert_eq!(
            upload(&server, &token, Vec::new()).await,
            (422, body!({ "file": ["The file is required."] }))
        );
        let not_image = body!({ "file": ["The file must be an image."] });
        for bytes in [
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            b"\x89PNG\r\n\x1a\ntruncated".to_vec(),
            // A BMP header: a real image format, but not one we take.
            b"BM6\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00".to_vec(),
        ] {
            assert_eq!(
                upload(&server, &token, bytes).await,
                (422, not_image.clone())
            );
        }
        // A PNG that claims to be 100000 pixels square is not decoded.
        let mut bomb = picture(1, 1, image::ImageFormat::Png);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert_eq!(upload(&server, &token, bomb).await, (422, not_image));
        let (status, _) = upload(&server, &token, vec![0u8; 6 * 1024 * 1024]).await;
        assert_eq!(status, 413);
        assert_eq!(
            server.get("/api/me", &token).await.1["avatar"],
            serde_json::Value::Null
        );
    });
}

#[tokio::test]
async fn an_external_avatar_must_be_an_http_url() {
    each_backend!(|server| {
        let token = server.signed_in("linked", "User").await;
        let put = |payload: serde_json::Value| {
            server
                .request(Method::PUT, "/api/me/avatar/external")
                .bearer_auth(&token)
                .json(&payload)
                .send()
        };
        assert_eq!(
            json(put(body!({})).await.unwrap()).await,
            (422, body!({ "url": ["The url field is required."] }))
        );
        assert_eq!(
            json(put(body!({ "url": "javascript:alert(1)" })).await.unwrap()).await,
            (422, body!({ "url": ["The url format is invalid."] }))
        );
        let url = "https://s.gravatar.com/avatar/20208b38fbb6018920da7d038fbc58dc?s=80";
        let (status, user) = json(put(body!({ "url": url })).await.unwrap()).await;
        assert_eq!((status, &user["avatar"]), (200, &body!(url)));
        assert_eq!(
            json(
                server
                    .request(Method::PUT, "/api/me/avatar/external")
                    .json(&body!({ "url": url }))
                    .send()
                    .await
                    .unwrap()
            )
            .await,
            (401, body!({ "error": "Unauthorized." }))
        );
    });
}
