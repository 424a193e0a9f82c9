//! The token endpoint and the tokens it issues: codes, refresh tokens, ID tokens, access and
//! client tokens, and their revocation.

use super::*;

#[tokio::test]
async fn a_reused_code_fails_and_revokes_the_tokens_it_issued() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let (verifier, path) = pkce_authorize_path(&app.id, &[]);
        let code = code_for(&server, &cookie, &path).await;
        let (status, first) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["token_type"], "Bearer");
        assert_eq!(first["expires_in"], 3600);
        let access = str_of(&first, "access_token");
        let refresh = str_of(&first, "refresh_token");
        let live = introspect(&server, &app, access).await;
        assert_eq!(live["active"], true);
        assert_eq!(live["client_id"], app.id.as_str());
        assert_eq!(live["scope"], "openid profile email");

        let (status, body) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "The code was used already; every token it led to has been revoked."})
            )
        );
        assert_eq!(
            introspect(&server, &app, access).await,
            json!({"active": false})
        );
        let (status, _, _) = userinfo(&server, access).await;
        assert_eq!(status, 401);
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_grant")),
            "{body}"
        );
        // The browser's own session is not the family's: it still works.
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200);
    });
}

#[tokio::test]
async fn pkce_expiry_redirect_uri_and_client_authentication_are_checked() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let public = create_app(&server, json!({ "token_endpoint_auth_method": "none" })).await;
        let (verifier, challenge) = pkce();
        let with_pkce = |id: &str| {
            authorize_path(
                id,
                &[
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                ],
            )
        };
        let refused =
            |description: &str| json!({"error": "invalid_grant", "error_description": description});

        // A wrong verifier, then none at all; the code survives both.
        let code = code_for(&server, &cookie, &with_pkce(&app.id)).await;
        let (wrong, _) = pkce();
        let (status, body) = redeem(&server, &app, &code, &wrong).await;
        assert_eq!(
            (status, body),
            (400, refused("The code_verifier does not match."))
        );
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!((status, body), (400, refused("code_verifier is required.")));
        // Another redirect_uri than the request's.
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://rp.example.test/other"),
            ("code_verifier", verifier.as_str()),
        ];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!(
            (status, body),
            (
                400,
                refused("redirect_uri differs from the authorization request's.")
            )
        );

        // Wrong secrets, by HTTP Basic and in the form.
        let wrong_secret = App {
            id: app.id.clone(),
            secret: "not-the-secret".into(),
        };
        let response = server
            .request(Method::POST, "/oauth2/token")
            .basic_auth(&wrong_secret.id, Some(&wrong_secret.secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert!(response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("Basic"));
        let (status, body) = json(response).await;
        assert_eq!(
            (status, &body["error"]),
            (401, &json!("invalid_client")),
            "{body}"
        );
        // The client in the form: a wrong secret, then none (a confidential client).
        fn in_form<'a>(
            code: &'a str,
            verifier: &'a str,
            client: &'a str,
            secret: Option<&'a str>,
        ) -> Vec<(&'a str, &'a str)> {
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier),
                ("client_id", client),
            ];
            form.extend(secret.map(|secret| ("client_secret", secret)));
            form
        }
        let (redeemed, proof, client) = (code.as_str(), verifier.as_str(), app.id.as_str());
        for form in [
            in_form(redeemed, proof, client, Some("not-the-secret")),
            in_form(redeemed, proof, client, None),
        ] {
            let (status, body) = token(&server, &form, None).await;
            assert_eq!(
                (status, &body["error"]),
                (401, &json!("invalid_client")),
                "{body}"
            );
        }
        // The right secret in the form (client_secret_post) still redeems it.
        let form = in_form(redeemed, proof, client, Some(app.secret.as_str()));
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(status, 200, "{body}");

        // A code is another client's business only.
        let code = code_for(&server, &cookie, &with_pkce(&app.id)).await;
        let (status, body) = redeem(
            &server,
            &create_app(&server, json!({})).await,
            &code,
            &verifier,
        )
        .await;
        assert_eq!(
            (status, body),
            (
                400,
                refused("The code is unknown, or was issued to another client.")
            )
        );

        // Codes live 60 seconds.
        let code = code_for(&server, &cookie, &with_pkce(&app.id)).await;
        server.clock.advance(time::Duration::seconds(61));
        let (status, body) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!((status, body), (400, refused("The code has expired.")));

        // A public client sends its id alone, and its code needs the verifier.
        let code = code_for(&server, &cookie, &with_pkce(&public.id)).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("client_id", public.id.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!((status, body), (400, refused("code_verifier is required.")));
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("client_id", public.id.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["id_token"].is_string());

        let (status, body) = token(&server, &[("grant_type", "password")], Some(&app)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("unsupported_grant_type"))
        );
    });
}

#[tokio::test]
async fn refresh_tokens_rotate_narrow_and_a_reused_one_revokes_the_family() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let first = tokens(&server, &app, &cookie).await;
        let refresh = |token: &str, scope: Option<&str>| {
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", token.to_owned()),
            ];
            if let Some(scope) = scope {
                form.push(("scope", scope.to_owned()));
            }
            form
        };
        let send = |form: Vec<(&'static str, String)>| {
            let server = &server;
            let app = &app;
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                token(server, &form, Some(app)).await
            }
        };
        let (status, body) = send(refresh(
            str_of(&first, "refresh_token"),
            Some("openid phone"),
        ))
        .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_scope", "error_description": "A refresh may narrow the granted scope, never widen it."})
            )
        );
        let (status, second) = send(refresh(str_of(&first, "refresh_token"), Some("openid"))).await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["scope"], "openid");
        let (status, info, _) = userinfo(&server, str_of(&second, "access_token")).await;
        assert_eq!(status, 200);
        assert!(info.get("email").is_none(), "narrowed: {info}");
        // A refresh token introspects as live until it is used.
        let live = introspect(&server, &app, str_of(&second, "refresh_token")).await;
        assert_eq!(live["active"], true, "{live}");
        assert_eq!(live["token_kind"], "refresh");
        assert_eq!(live["client_id"], app.id.as_str());
        assert_eq!(live["scope"], "openid profile email");
        let used = introspect(&server, &app, str_of(&first, "refresh_token")).await;
        assert_eq!(used, json!({"active": false}));
        let (status, third) = send(refresh(str_of(&second, "refresh_token"), None)).await;
        assert_eq!(status, 200, "{third}");
        assert_eq!(third["scope"], "openid profile email", "the grant's scope");

        // The first refresh token again: rotated out, so the whole family dies.
        let (status, body) = send(refresh(str_of(&first, "refresh_token"), None)).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "The refresh token was used already; every token of its grant has been revoked."})
            )
        );
        for issued in [&first, &second, &third] {
            let access = str_of(issued, "access_token");
            assert_eq!(
                introspect(&server, &app, access).await,
                json!({"active": false})
            );
        }
        let (status, body) = send(refresh(str_of(&third, "refresh_token"), None)).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
    });
}

#[tokio::test]
async fn ending_the_session_ends_refresh_and_access_tokens() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let other = server.login("alice").await;
        let (status, sessions) = server.get("/api/me/sessions", &other).await;
        assert_eq!(status, 200);
        assert_eq!(sessions.as_array().unwrap().len(), 2, "{sessions}");
        // The browser's session is the older one; the other login ends it.
        let (_, me) = server.get("/api/me", &cookie).await;
        let browser_session = sessions
            .as_array()
            .unwrap()
            .iter()
            .map(|s| str_of(s, "id").to_owned())
            .find(|id| {
                let claims = id_token_claims(str_of(&issued, "id_token"));
                claims["sid"] == id.as_str()
            })
            .expect("the ID token's sid is a session of /api/me/sessions");
        let (status, body) = server
            .send(
                Method::DELETE,
                &format!("/api/sessions/{browser_session}"),
                &other,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body} {me}");
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", str_of(&issued, "refresh_token")),
        ];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "The sign-in this grant was made in has ended."})
            )
        );
        let (status, _, challenge) = userinfo(&server, str_of(&issued, "access_token")).await;
        assert_eq!(status, 401);
        assert!(challenge.contains("invalid_token"), "{challenge}");
    });
}

/// The claims of a JWT, unverified (the relying-party test verifies signatures).
pub(crate) fn id_token_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn id_tokens_and_userinfo_carry_the_claims_of_their_scopes() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let claims = id_token_claims(str_of(&issued, "id_token"));
        assert_eq!(claims["iss"], "http://portcullis.test");
        assert_eq!(claims["aud"], app.id.as_str());
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["email"], "alice@example.com");
        assert_eq!(claims["preferred_username"], "alice");
        assert_eq!(claims["amr"], json!(["pwd"]), "a password sign-in");
        assert!(
            claims.get("acr").is_none(),
            "a password can be phished: {claims}"
        );
        for claim in [
            "sub",
            "exp",
            "iat",
            "auth_time",
            "at_hash",
            "sid",
            "updated_at",
        ] {
            assert!(!claims[claim].is_null(), "{claim} in {claims}");
        }
        let (status, info, _) = userinfo(&server, str_of(&issued, "access_token")).await;
        assert_eq!(status, 200);
        assert_eq!(info["sub"], claims["sub"]);
        assert_eq!(info["email"], "alice@example.com");
        assert_eq!(info["email_verified"], true);

        // Only openid: sub alone.
        let (verifier, path) = pkce_authorize_path(&app.id, &[("scope", "openid")]);
        let code = code_for(&server, &cookie, &path).await;
        let (_, narrow) = redeem(&server, &app, &code, &verifier).await;
        let (_, info, _) = userinfo(&server, str_of(&narrow, "access_token")).await;
        assert_eq!(info, json!({ "sub": claims["sub"] }));

        // Userinfo wants an OIDC access token: none, a bad one, a login token without openid.
        let response = server
            .request(Method::GET, "/oauth2/userinfo")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"portcullis\""
        );
        assert_eq!(response.status(), 401);
        let (status, body, _) = userinfo(&server, "1|nope").await;
        assert_eq!((status, body), (401, json!({"error": "invalid_token"})));
        let (status, body, challenge) = userinfo(&server, &cookie).await;
        assert_eq!(
            (status, body),
            (403, json!({"error": "insufficient_scope"}))
        );
        assert!(challenge.contains("insufficient_scope"), "{challenge}");

        // POST, with the token as a form field (RFC 6750 §2.2), but never both ways at once.
        let access = str_of(&issued, "access_token");
        let post = |bearer: Option<&str>, form: &[(&str, &str)]| {
            let mut request = server.request(Method::POST, "/oauth2/userinfo").form(form);
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            async move { json(request.send().await.unwrap()).await }
        };
        let (status, info) = post(None, &[("access_token", access)]).await;
        assert_eq!((status, &info["sub"]), (200, &claims["sub"]), "{info}");
        let (status, info) = post(Some(access), &[]).await;
        assert_eq!((status, &info["sub"]), (200, &claims["sub"]), "{info}");
        let (status, body) = post(Some(access), &[("access_token", access)]).await;
        assert_eq!((status, body), (400, json!({"error": "invalid_request"})));
        let (status, body) = post(None, &[("access_token", "1|nope")]).await;
        assert_eq!((status, body), (401, json!({"error": "invalid_token"})));
    });
}

#[tokio::test]
async fn access_tokens_carry_only_the_oidc_scopes() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let (status, body) = server.get("/api/me", str_of(&issued, "access_token")).await;
        assert_eq!(
            (status, body),
            (
                403,
                json!({"error": "Forbidden.", "missing_scope": "view-profile"})
            )
        );
    });
}

#[tokio::test]
async fn client_credentials_tokens_belong_to_the_application_alone() {
    each_backend!(|server| {
        let app = create_app(&server, json!({ "access_token_format": "opaque" })).await;
        let public = create_app(&server, json!({ "token_endpoint_auth_method": "none" })).await;
        let (status, issued) =
            token(&server, &[("grant_type", "client_credentials")], Some(&app)).await;
        assert_eq!(status, 200, "{issued}");
        assert!(issued.get("refresh_token").is_none() && issued.get("id_token").is_none());
        let access = str_of(&issued, "access_token");
        assert!(access.starts_with("cc_"), "{access}");
        let key = api_key(&server, None).await;
        let response = server
            .request(Method::POST, "/oauth2/introspect")
            .bearer_auth(&key)
            .form(&[("token", access)])
            .send()
            .await
            .unwrap();
        let (_, live) = json(response).await;
        assert_eq!(live["active"], true, "{live}");
        assert_eq!(live["client_id"], app.id.as_str());
        assert_eq!(live["token_kind"], "client");
        assert!(
            live.get("sub").is_none() && live.get("email").is_none(),
            "{live}"
        );
        // No user, so no account API.
        let (status, _) = server.get("/api/me", access).await;
        assert_eq!(status, 401);
        // Only registered scopes.
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", "view-users"),
        ];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_scope")),
            "{body}"
        );
        // Public clients have no credentials to act on their own.
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", public.id.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("unauthorized_client")),
            "{body}"
        );

        assert_eq!(revoke(&server, &app, access).await, 200);
        assert_eq!(
            introspect(&server, &app, access).await,
            json!({"active": false})
        );
    });
}

#[tokio::test]
async fn revoking_an_access_or_refresh_token_revokes_its_grant_not_the_session() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        assert_eq!(
            revoke(&server, &app, str_of(&issued, "refresh_token")).await,
            200
        );
        let access = str_of(&issued, "access_token");
        assert_eq!(
            introspect(&server, &app, access).await,
            json!({"active": false})
        );
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "the person stays signed in");

        // The access token likewise takes its refresh token along, and leaves the session be.
        let issued = tokens(&server, &app, &cookie).await;
        assert_eq!(
            revoke(&server, &app, str_of(&issued, "access_token")).await,
            200
        );
        let refresh = str_of(&issued, "refresh_token");
        assert_eq!(
            introspect(&server, &app, refresh).await,
            json!({"active": false})
        );
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "the person stays signed in");
    });
}

#[tokio::test]
async fn a_public_client_revokes_its_own_tokens_by_its_id_alone() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let public = create_app(&server, json!({ "token_endpoint_auth_method": "none" })).await;
        let other = create_app(&server, json!({ "token_endpoint_auth_method": "none" })).await;
        let confidential = create_app(&server, json!({})).await;
        let (verifier, path) = pkce_authorize_path(&public.id, &[]);
        let code = code_for(&server, &cookie, &path).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.as_str()),
            ("client_id", public.id.as_str()),
        ];
        let (status, issued) = token(&server, &form, None).await;
        assert_eq!(status, 200, "{issued}");
        let refresh = str_of(&issued, "refresh_token");
        let by_id = |client_id: &str| {
            server
                .request(Method::POST, "/oauth2/revoke")
                .form(&[("token", refresh), ("client_id", client_id)])
                .send()
        };
        // A confidential client must authenticate; another public client's word changes
        // nothing about this one's tokens.
        assert_eq!(by_id(&confidential.id).await.unwrap().status(), 401);
        assert_eq!(by_id("nobody").await.unwrap().status(), 401);
        assert_eq!(by_id(&other.id).await.unwrap().status(), 200);
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", public.id.as_str()),
        ];
        let (status, refreshed) = token(&server, &form, None).await;
        assert_eq!(status, 200, "still live: {refreshed}");

        let refresh = str_of(&refreshed, "refresh_token");
        let response = server
            .request(Method::POST, "/oauth2/revoke")
            .form(&[("token", refresh), ("client_id", public.id.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", public.id.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        // Introspection stays for confidential clients and API keys.
        let response = server
            .request(Method::POST, "/oauth2/introspect")
            .form(&[("token", refresh), ("client_id", public.id.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    });
}

#[tokio::test]
async fn of_two_concurrent_redemptions_of_a_code_one_wins() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let (verifier, path) = pkce_authorize_path(&app.id, &[]);
        for _ in 0..3 {
            let code = code_for(&server, &cookie, &path).await;
            let (a, b) = tokio::join!(
                redeem(&server, &app, &code, &verifier),
                redeem(&server, &app, &code, &verifier)
            );
            let mut statuses = [a.0, b.0];
            statuses.sort();
            assert_eq!(statuses, [200, 400], "{} {}", a.1, b.1);
            let loser = if a.0 == 400 { &a.1 } else { &b.1 };
            assert_eq!(loser["error"], "invalid_grant");
        }
    });
}

#[tokio::test]
async fn codes_are_sealed_and_nothing_is_stored_until_one_is_redeemed() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let other = create_app(&server, json!({})).await;
        let (verifier, path) = pkce_authorize_path(&app.id, &[("nonce", "n-secret-nonce")]);
        let code = code_for(&server, &cookie, &path).await;
        assert!(code.starts_with("pc1."), "{code}");
        assert!(!code.contains("rp.example.test") && !code.contains("n-secret-nonce"));
        let db = server.inspect().await;
        let rows = |table: &'static str| {
            let db = db.clone();
            async move {
                let sql = format!("SELECT count(*) FROM {table}");
                let (n,): (i64,) = sqlx::query_as(&sql).fetch_one(&db).await.unwrap();
                n
            }
        };
        assert_eq!(
            (rows("oauth_codes").await, rows("oauth_grants").await),
            (0, 0)
        );

        // Altered, or presented by another client, it is no code.
        let mut altered = code.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        for (client, presented) in [(&app, altered.as_str()), (&other, code.as_str())] {
            let (status, body) = redeem(&server, client, presented, &verifier).await;
            assert_eq!(
                (status, &body["error"]),
                (400, &json!("invalid_grant")),
                "{body}"
            );
        }
        assert_eq!(rows("oauth_grants").await, 0);

        let (status, body) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(rows("oauth_grants").await, 1);
        // Past its minute, a code is refused.
        let late = code_for(&server, &cookie, &path).await;
        server.clock.advance(time::Duration::seconds(61));
        let (status, body) = redeem(&server, &app, &late, &verifier).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_grant")),
            "{body}"
        );
    });
}

#[tokio::test]
async fn expired_client_tokens_are_purged_as_new_ones_are_made() {
    each_backend!(|server| {
        let app = create_app(&server, json!({ "access_token_format": "opaque" })).await;
        let grant = [("grant_type", "client_credentials")];
        let (status, first) = token(&server, &grant, Some(&app)).await;
        assert_eq!(status, 200, "{first}");
        let db = server.inspect().await;
        let count = || async {
            let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM oauth_client_tokens")
                .fetch_all(&db)
                .await
                .unwrap();
            rows.len()
        };
        let (_, second) = token(&server, &grant, Some(&app)).await;
        assert_eq!(count().await, 2, "a live token stays");

        // Past their hour and the grace after it, the next token clears both away.
        server.clock.advance(time::Duration::hours(3));
        let (status, third) = token(&server, &grant, Some(&app)).await;
        assert_eq!(status, 200, "{third}");
        assert_eq!(count().await, 1);
        let key = api_key(&server, None).await;
        for (issued, active) in [(&first, false), (&second, false), (&third, true)] {
            let response = server
                .request(Method::POST, "/oauth2/introspect")
                .bearer_auth(&key)
                .form(&[("token", str_of(issued, "access_token"))])
                .send()
                .await
                .unwrap();
            assert_eq!(json(response).await.1["active"], active);
        }
    });
}

#[tokio::test]
async fn a_nul_in_a_client_id_is_a_bad_request_not_a_server_error() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", "a\0b"),
            ("client_secret", "x"),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_request", "{body}");
        let response = server
            .request(Method::POST, "/oauth2/token")
            .basic_auth("a\0b", Some("x"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let (status, body) = json(response).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_request", "{body}");

        let path = "/oauth2/logout?client_id=a%00b&post_logout_redirect_uri=https%3A%2F%2Fx%2F";
        let (status, _, body) = text(browse(&server, path, Some(&cookie)).await).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("NUL"), "{body}");
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "nothing was ended");
    });
}

#[tokio::test]
async fn a_family_revoked_while_a_refresh_is_under_way_takes_the_new_tokens_too() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let first = tokens(&server, &app, &cookie).await;
        let refresh = |token: String| {
            let (server, app) = (&server, &app);
            async move {
                let form = [("grant_type", "refresh_token"), ("refresh_token", &token)];
                token_of(server, app, &form).await
            }
        };
        let (status, second) = refresh(str_of(&first, "refresh_token").to_owned()).await;
        assert_eq!(status, 200, "{second}");

        // On PostgreSQL, where writers do not wait for one another, the rotation below is
        // held up between writing its new access token and writing its new refresh token,
        // while the rotated-out first refresh token comes back and revokes the family.
        let db = server.inspect().await;
        let postgres = server.backend_name == "postgres";
        if postgres {
            for statement in [
                "CREATE FUNCTION slow_insert() RETURNS trigger AS $$ \
                 BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER slow_insert BEFORE INSERT ON oauth_refresh_tokens \
                 FOR EACH ROW EXECUTE FUNCTION slow_insert()",
            ] {
                sqlx::query(statement).execute(&db).await.unwrap();
            }
        }
        let rotation = refresh(str_of(&second, "refresh_token").to_owned());
        let reuse = async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            refresh(str_of(&first, "refresh_token").to_owned()).await
        };
        let ((_, third), (status, body)) = tokio::join!(rotation, reuse);
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        if postgres {
            sqlx::query("DROP TRIGGER slow_insert ON oauth_refresh_tokens")
                .execute(&db)
                .await
                .unwrap();
        }
        // Whatever the rotation got, if anything, died with its family.
        if let Some(access) = third["access_token"].as_str() {
            let (status, _, _) = userinfo(&server, access).await;
            assert_eq!(status, 401, "{third}");
            assert_eq!(
                introspect(&server, &app, access).await,
                json!({"active": false})
            );
        }
        if let Some(next) = third["refresh_token"].as_str() {
            let (status, body) = refresh(next.to_owned()).await;
            assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        }
    });
}

async fn token_of(server: &TestServer, app: &App, form: &[(&str, &str)]) -> (u16, Value) {
    token(server, form, Some(app)).await
}

#[tokio::test]
async fn deleting_an_application_ends_its_access_tokens_at_once() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let access = str_of(&issued, "access_token");
        let (status, _, _) = userinfo(&server, access).await;
        assert_eq!(
            status, 200,
            "live, and now remembered by the token-lookup cache"
        );

        let key = api_key(&server, None).await;
        let path = format!("/v1/tenants/{}/applications/{}", server.tenant.id.0, app.id);
        let (status, _, body) = v1(&server, Method::DELETE, &path, &key, None).await;
        assert_eq!(status, 200, "{body}");
        let (status, body, _) = userinfo(&server, access).await;
        assert_eq!(status, 401, "the application's grants went with it: {body}");
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "the browser's own session lives on");
    });
}
