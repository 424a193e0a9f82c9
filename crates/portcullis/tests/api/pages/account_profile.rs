//! The account page's profile: details saved with the account API's checks and messages, a
//! picture uploaded through the image pipeline (a real multipart form) or removed.

use super::*;
use crate::avatar::picture;

/// A `multipart/form-data` body with the CSRF token and one file field: its content type and
/// bytes, as a browser sends them.
fn upload_body(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----portcullis-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(browser: &mut Browser, server: &TestServer, csrf: &str, file: &[u8]) -> Answer {
    let (kind, body) = upload_body(csrf, file);
    let request = browser
        .http
        .post(format!("{}/account/profile/avatar", server.base))
        .header("content-type", kind)
        .body(body);
    browser.send(request).await
}

#[tokio::test]
async fn details_are_saved_with_the_api_s_checks_and_messages() {
    each_backend!(|server| {
        let token = server.signed_in("pat", "User").await;
        let mut stranger = Browser::new(&server);
        let away = stranger.get("/account/profile").await;
        assert_eq!(away.status, 303);
        assert!(away.location().starts_with("/login"));

        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        let page = browser.get("/account/profile").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_security_headers(&page);
        let france = super::admin::option_value(&page.body, "France");
        let saved = browser
            .post(
                "/account/profile",
                &[
                    ("first_name", "Pat"),
                    ("last_name", "Doe"),
                    ("birthday", "1990-04-01"),
                    ("phone", "+33 1 23 45 67 89"),
                    ("address", "1 rue de la Paix"),
                    ("country_id", &france),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let (_, me) = server.get("/api/me", &token).await;
        assert_eq!(me["first_name"], "Pat");
        assert_eq!(me["birthday"], "1990-04-01");
        assert_eq!(me["country_id"].to_string(), france);
        let page = browser.get("/account/profile?saved=1").await;
        assert!(page.body.contains("value=\"1 rue de la Paix\""));
        assert!(page
            .body
            .contains(&format!("<option value=\"{france}\" selected>")));

        // Emptied fields are cleared.
        let cleared = browser
            .post("/account/profile", &[("first_name", "Pat"), ("phone", "")])
            .await;
        assert_eq!(cleared.status, 303);
        let (_, me) = server.get("/api/me", &token).await;
        assert_eq!(me["phone"], serde_json::Value::Null);
        assert_eq!(me["last_name"], serde_json::Value::Null);

        // The API's refusal, and the page's, name the same rule.
        let long = "x".repeat(256);
        let refused = browser
            .post("/account/profile", &[("first_name", &long)])
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("id=\"first_name-error\""),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("255"), "{}", refused.body);
        for (field, value) in [("birthday", "1990-13-45"), ("country_id", "999999")] {
            let refused = browser.post("/account/profile", &[(field, value)]).await;
            assert_eq!(refused.status, 422, "{field}: {}", refused.body);
            assert!(
                refused.body.contains(&format!("id=\"{field}-error\"")),
                "{field}: {}",
                refused.body
            );
        }
        let (_, me) = server.get("/api/me", &token).await;
        assert_eq!(me["first_name"], "Pat");

        // Forms are guarded.
        let forged = browser
            .send(
                reqwest::Client::new()
                    .post(format!("{}/account/profile", server.base))
                    .form(&[("first_name", "Forged")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        assert_eq!(browser.get("/account/profile/avatar").await.status, 405);
    });
}

#[tokio::test]
async fn a_picture_is_uploaded_as_a_square_png_and_removed() {
    each_backend!(|server| {
        let token = server.signed_in("pat", "User").await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        browser.get("/account/profile").await;
        let csrf = browser.cookie("portcullis_csrf").unwrap();

        let refused = upload(&mut browser, &server, "forged", b"x").await;
        assert_eq!(refused.status, 403);
        // A stranger's upload is sent to sign in, unread.
        let mut stranger = Browser::new(&server);
        stranger.get("/login").await;
        let stranger_csrf = stranger.cookie("portcullis_csrf").unwrap();
        let away = upload(&mut stranger, &server, &stranger_csrf, b"x").await;
        assert_eq!(away.status, 303);
        assert!(away.location().starts_with("/login"));
        let not_an_image = upload(&mut browser, &server, &csrf, b"not an image").await;
        assert_eq!(not_an_image.status, 422, "{}", not_an_image.body);
        assert!(not_an_image.body.contains("The file must be an image."));
        let none = upload(&mut browser, &server, &csrf, b"").await;
        assert_eq!(none.status, 422, "{}", none.body);

        let jpeg = picture(300, 200, image::ImageFormat::Jpeg);
        let uploaded = upload(&mut browser, &server, &csrf, &jpeg).await;
        assert_eq!(uploaded.status, 303, "{}", uploaded.body);
        let page = browser.get("/account/profile").await;
        let src = page
            .body
            .split("<img src=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the picture is shown")
            .to_owned();
        assert!(src.starts_with("/api/avatars/"), "{src}");
        let served = reqwest::get(format!("{}{src}", server.base)).await.unwrap();
        assert_eq!(served.status(), 200);
        let png = served.bytes().await.unwrap();
        let decoded = image::load_from_memory(&png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (160, 160));
        let (_, me) = server.get("/api/me", &token).await;
        assert!(me["avatar"].as_str().unwrap().ends_with(&src));

        let removed = browser.post("/account/profile/avatar/remove", &[]).await;
        assert_eq!(removed.status, 303);
        let (_, me) = server.get("/api/me", &token).await;
        assert_eq!(me["avatar"], serde_json::Value::Null);
        assert!(browser
            .get("/account/profile")
            .await
            .body
            .contains("id=\"no-avatar\""));
    });
}
