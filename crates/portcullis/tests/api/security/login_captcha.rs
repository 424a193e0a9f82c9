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
        // ... and sends it with eight guesses at once.
        let posts = (0..8).map(|n| {
            let guess = format!("guess-{}", n + 1);
            let request = browser.form_post(
                "/login",
                &[
                    ("login", "target"),
                    ("password", guess.as_str()),
                    ("captcha_key", key.as_str()),
                    ("captcha", answer.as_str()),
                ],
            );
            async move { request.send().await.unwrap().status().as_u16() }
        });
        let statuses = futures_util::future::join_all(posts).await;
        // One password is checked; the others are refused for the spent picture, or, past
        // the address's ten attempts counted as they arrive, told to wait.
        let checked = statuses.iter().filter(|s| **s == 401).count();
        assert_eq!(checked, 1, "{statuses:?}");
        assert!(
            statuses.iter().all(|s| matches!(s, 401 | 422 | 429)),
            "{statuses:?}"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_just_under_the_threshold_does_not_slip_past_the_captcha() {
    each_backend!(|server| {
        server.create_user("target", "User").await;
        let mut browser = Browser::new(&server);
        browser.get("/login").await;
        let wrong = [("login", "target"), ("password", "guess-0")];
        // One failure short of the picture (half of 10) ...
        for _ in 0..4 {
            assert_eq!(browser.post("/login", &wrong).await.status, 401);
        }
        // ... then six guesses at once, none with a picture: each is decided by the count
        // its own hit saw, so one more password is checked, not six.
        let posts = (0..6).map(|n| {
            let guess = format!("burst-{n}");
            let request = browser.form_post(
                "/login",
                &[("login", "target"), ("password", guess.as_str())],
            );
            async move { request.send().await.unwrap().status().as_u16() }
        });
        let statuses = futures_util::future::join_all(posts).await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        assert_eq!(checked, 1, "{statuses:?}");
        assert!(
            statuses.iter().all(|s| matches!(s, 401 | 422)),
            "{statuses:?}"
        );
    });
}
