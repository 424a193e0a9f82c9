//! The hosted login page's captcha, once an address failed often: one solved picture lets one
//! password be checked, however many posts carry it at once.

use crate::harness::each_backend;
use crate::pages::Browser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_solved_picture_checks_one_password() {
    each_backend!(|server| {
        server.create_user("target", "User").await;
        let mut browser = Browser::new(&server);
        browser.get("/login").await;
        let wrong = [("login", "target"), ("password", "guess-0")];
        for _ in 0..5 {
            assert_eq!(browser.post("/login", &wrong).await.status, 401);
        }
        // The attacker solves one picture (here: the test knows its answer) ...
        let made = server
            .app
            .services
            .new_captcha(&server.tenant)
            .await
            .unwrap();
        let (key, answer) = (
            made.key.expose().to_owned(),
            made.answer.expose().to_owned(),
        );
        let csrf = browser.cookie("portcullis_csrf").unwrap();
        let cookie = format!("portcullis_csrf={csrf}");
        // ... and sends it with eight guesses at once.
        let posts = (0..8).map(|n| {
            let guess = format!("guess-{}", n + 1);
            let request = reqwest::Client::new()
                .post(format!("{}/login", server.base))
                .header("cookie", cookie.clone())
                .form(&[
                    ("login", "target"),
                    ("password", guess.as_str()),
                    ("captcha_key", key.as_str()),
                    ("captcha", answer.as_str()),
                    ("csrf_token", csrf.as_str()),
                ]);
            async move { request.send().await.unwrap().status().as_u16() }
        });
        let statuses = futures_util::future::join_all(posts).await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 422).count();
        assert_eq!((checked, refused), (1, 7), "{statuses:?}");
    });
}
