//! Social logins: a token must be this tenant's, and a local account is linked by email only
//! when its owner proved the address.

use crate::harness::{each_backend, user_id_by_email};
use crate::social::{configure, social, start_provider, OUR_CLIENT};
use portcullis_core::model::SocialNetwork;
use serde_json::json;

#[tokio::test]
async fn a_token_another_site_obtained_does_not_log_its_holder_in() {
    let provider = start_provider().await;
    each_backend!(|server| {
        configure(&mut server, &provider).await;
        // Alice uses "Sign in with Google" here once.
        let (status, body) = social(&server, "google", "token-alice").await;
        assert_eq!(status, 200, "{body}");
        // A site she also signed in to with Google replays the token it got from her: the
        // network says it belongs to Alice, but it was issued to another client.
        assert_eq!(
            social(&server, "google", "token-foreign").await,
            (
                403,
                json!({ "error": "The social token was not issued to this site's application." })
            )
        );
        // Nor does it link to, or create, anyone on a network matched by email alone.
        assert_eq!(social(&server, "acme", "token-foreign").await.0, 403);
        let inspect = server.inspect().await;
        let (activity,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM activities WHERE description = 'Logged in.'")
                .fetch_one(&inspect)
                .await
                .unwrap();
        assert_eq!(activity, 1, "only Alice's own login");
    });
}

#[tokio::test]
async fn a_network_that_cannot_name_a_tokens_client_takes_no_raw_tokens() {
    let provider = start_provider().await;
    each_backend!(|server| {
        let refusal = json!({ "error": "This network cannot confirm which application its tokens were issued to; sign in on the login page instead." });
        // A custom network told nothing about how to check a token's client.
        let unchecked = SocialNetwork {
            network: "acme".into(),
            userinfo_url: Some(format!("{provider}/acme")),
            id_field: Some("data.id".into()),
            client_id: Some(OUR_CLIENT.into()),
            ..SocialNetwork::default()
        };
        // A preset with no client of ours registered: whose token could it confirm?
        let unregistered = SocialNetwork {
            network: "google".into(),
            userinfo_url: Some(format!("{provider}/me")),
            audience_url: Some(format!("{provider}/tokeninfo")),
            ..SocialNetwork::default()
        };
        server
            .set_settings(|s| s.social_networks = vec![unchecked, unregistered])
            .await;
        assert_eq!(
            social(&server, "acme", "token-alice").await,
            (403, refusal.clone())
        );
        assert_eq!(
            social(&server, "google", "token-alice").await,
            (403, refusal)
        );
    });
}

#[tokio::test]
async fn an_address_registered_first_by_someone_else_is_not_linked() {
    let provider = start_provider().await;
    each_backend!(|server| {
        configure(&mut server, &provider).await;
        // The attacker registers the victim's address (instant sign-up, never confirmed) and
        // knows that account's password.
        let (status, _) = server
            .post(
                "/api/register",
                json!({ "username": "trap", "email": "carol@example.com",
                        "password": crate::harness::PASSWORD,
                        "password_confirmation": crate::harness::PASSWORD }),
            )
            .await;
        assert_eq!(status, 201);
        // Carol signs in with Google, whose address is verified: no link to the trap.
        assert_eq!(
            social(&server, "google", "token-carol").await,
            (
                403,
                json!({ "error": "An account with this email address exists but its address is not verified; sign in with its password first." })
            )
        );
        let trap = user_id_by_email(&server, "carol@example.com").await;
        let inspect = server.inspect().await;
        let (links,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM social_identities WHERE user_id = $1")
                .bind(trap.0)
                .fetch_one(&inspect)
                .await
                .unwrap();
        assert_eq!(links, 0);
    });
}
