//! The second step of a login cannot be brute-forced by someone who knows the password: each
//! challenge evaluates at most five codes however many arrive at once, and each account
//! allows `throttle_attempts` wrong codes per window however many challenges are minted.

use crate::harness::{each_backend, token_after, with_mailed_codes, TestServer};
use crate::two_factor::{challenge, second_factor};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn parallel_guesses_on_one_challenge_are_evaluated_five_times_at_most() {
    each_backend!(|server| {
        // Room in the account's window for every guess: the challenge alone must hold.
        server.set_settings(|s| s.throttle_attempts = 100).await;
        with_mailed_codes(&mut server, "victim").await;
        let guessed = challenge(&server, "victim", "email").await;
        let code = token_after(
            &server
                .wait_for_mail_with("victim@example.com", "Your login code is ", 1)
                .await,
            "Your login code is ",
        );
        // Forty wrong codes at once, none of them the right one.
        let wrong: Vec<String> = (0..40)
            .map(|n| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + n) % 1_000_000))
            .collect();
        let answers = futures_join_all(&server, &guessed, &wrong).await;
        let evaluated = answers
            .iter()
            .filter(|(status, body)| *status == 422 && body.get("code").is_some())
            .count();
        let refused = answers
            .iter()
            .filter(|(status, body)| *status == 422 && body.get("challenge").is_some())
            .count();
        assert!(
            evaluated <= 5,
            "{evaluated} codes were checked: {answers:?}"
        );
        assert_eq!(evaluated + refused, 40, "{answers:?}");
        // The challenge is spent: even the right code is refused now.
        assert_eq!(
            second_factor(&server, &guessed, &code).await,
            (
                422,
                json!({ "challenge": ["The challenge is invalid or has expired."] })
            )
        );
    });
}

/// The code of the `n`th login-code mail to the victim (other mails skipped).
async fn last_code(server: &TestServer, n: usize) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let codes: Vec<String> = server
            .mails_to("victim@example.com")
            .into_iter()
            .filter(|mail| mail.contains("Your login code is "))
            .collect();
        if let Some(mail) = codes.get(n - 1) {
            return token_after(mail, "Your login code is ");
        }
        assert!(tokio::time::Instant::now() < deadline, "no code mail #{n}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn futures_join_all(
    server: &TestServer,
    challenge: &str,
    codes: &[String],
) -> Vec<(u16, serde_json::Value)> {
    let mut running = tokio::task::JoinSet::new();
    for code in codes {
        let request = server
            .request(Method::POST, "/api/login/2fa")
            .json(&json!({ "challenge": challenge, "code": code }));
        running.spawn(async move { crate::harness::json(request.send().await.unwrap()).await });
    }
    running.join_all().await
}

#[tokio::test]
async fn fresh_challenges_do_not_buy_more_guesses_and_the_owner_is_told() {
    each_backend!(|server| {
        server
            .set_settings(|s| {
                s.throttle_attempts = 4;
                s.throttle_lockout_time = 10;
            })
            .await;
        with_mailed_codes(&mut server, "victim").await;
        // The attacker knows the password: each right password mints a new challenge, and
        // each challenge takes a wrong code.
        for n in 1..=4 {
            let fresh = challenge(&server, "victim", "email").await;
            assert_eq!(
                second_factor(&server, &fresh, "000000x").await.0,
                422,
                "guess {n}"
            );
        }
        // The password step still answers (it is not what is locked) ...
        let fresh = challenge(&server, "victim", "email").await;
        let code = last_code(&server, 5).await;
        // ... but the second step is locked, even for the right code.
        let response = server
            .request(Method::POST, "/api/login/2fa")
            .json(&json!({ "challenge": fresh, "code": code }))
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("retry-after"));
        let (status, body) = crate::harness::json(response).await;
        assert_eq!(status, 429, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("Too many two-factor codes."),
            "{body}"
        );
        // The owner heard about it when the lock tripped.
        let told = server
            .mails_to("victim@example.com")
            .into_iter()
            .filter(|mail| mail.contains("Sign-ins to your account are paused"))
            .count();
        assert_eq!(told, 1);
        assert!(server
            .mails_to("victim@example.com")
            .iter()
            .any(|mail| mail.contains("http://portcullis.test/forgot-password")));

        // When the window ends, the owner signs in.
        server.clock.advance(time::Duration::minutes(11));
        let (status, body) = second_factor(&server, &fresh, &code).await;
        assert_eq!(
            status, 422,
            "the challenge itself expired meanwhile: {body}"
        );
        let fresh = challenge(&server, "victim", "email").await;
        let code = last_code(&server, 6).await;
        let (status, body) = second_factor(&server, &fresh, &code).await;
        assert_eq!(status, 200, "{body}");
    });
}
