//! Passkeys through the account API and the management API, with a software authenticator
//! playing the browser: real ceremonies, real signatures, and the attacks on them.

use crate::harness::{backends, each_backend, with_mailed_codes, TestServer, PASSWORD};
use crate::mgmt::{api_key, v1};
use crate::webauthn_soft::{SoftAuthenticator, SoftPasskey};
use reqwest::Method;
use serde_json::{json, Value};

/// The default tenant's origin in the test servers (their `public_url`): the relying party.
const ORIGIN: &str = "http://portcullis.test";

/// Registers a passkey for the holder of `token`; the authenticator's key and the new passkey.
async fn register_with(
    server: &TestServer,
    token: &str,
    name: &str,
    authenticator: &SoftAuthenticator,
) -> (SoftPasskey, Value) {
    let options = registration_options(server, token).await;
    let (key, credential) = authenticator.register(&options, ORIGIN);
    let (status, passkey) = finish_registration(server, token, &options, name, credential).await;
    assert_eq!(status, 201, "[{}] {passkey}", server.backend_name);
    (key, passkey)
}

pub(crate) async fn register(server: &TestServer, token: &str, name: &str) -> (SoftPasskey, Value) {
    register_with(server, token, name, &SoftAuthenticator::default()).await
}

async fn registration_options(server: &TestServer, token: &str) -> Value {
    let (status, options) = server
        .send(
            Method::POST,
            "/api/me/passkeys/register/options",
            token,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "[{}] {options}", server.backend_name);
    options
}

async fn finish_registration(
    server: &TestServer,
    token: &str,
    options: &Value,
    name: &str,
    credential: Value,
) -> (u16, Value) {
    let body =
        json!({ "challenge_id": options["challenge_id"], "name": name, "credential": credential });
    server
        .send(Method::POST, "/api/me/passkeys", token, body)
        .await
}

async fn sign_in_options(server: &TestServer) -> Value {
    let (status, options) = server.post("/api/login/passkey/options", json!({})).await;
    assert_eq!(status, 200, "[{}] {options}", server.backend_name);
    options
}

async fn answer(server: &TestServer, options: &Value, credential: Value) -> (u16, Value) {
    let body = json!({ "challenge_id": options["challenge_id"], "credential": credential });
    server.post("/api/login/passkey", body).await
}

/// A whole passkey sign-in; the status and body.
async fn sign_in(server: &TestServer, key: &mut SoftPasskey) -> (u16, Value) {
    let options = sign_in_options(server).await;
    let credential = key.assert(&options, ORIGIN);
    answer(server, &options, credential).await
}

async fn activities(server: &TestServer) -> Vec<String> {
    let db = server.inspect().await;
    sqlx::query_as::<_, (String,)>("SELECT description FROM activities ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|(d,)| d)
        .collect()
}

#[tokio::test]
async fn a_passkey_is_registered_and_signs_in_without_a_password_or_second_factor() {
    each_backend!(|server| {
        // A second factor on the account: a passkey that verified its user skips it.
        let token = with_mailed_codes(&mut server, "ada").await;

        let options = registration_options(&server, &token).await;
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rp"]["id"], "portcullis.test");
        assert_eq!(
            public_key["authenticatorSelection"]["residentKey"],
            "required"
        );
        assert_eq!(
            public_key["authenticatorSelection"]["userVerification"],
            "required"
        );
        let (mut key, credential) = SoftPasskey::register(&options, ORIGIN);
        let (status, passkey) =
            finish_registration(&server, &token, &options, " Laptop ", credential).await;
        assert_eq!(status, 201, "{passkey}");
        assert_eq!(passkey["name"], "Laptop");
        assert_eq!(passkey["aaguid"], "00000000-0000-0000-0000-000000000000");
        assert_eq!(passkey["last_used_at"], Value::Null);
        assert!(
            passkey.get("credential").is_none() && passkey.get("public_key").is_none(),
            "no key material: {passkey}"
        );
        let notice = server
            .wait_for_mail_with("ada@example.com", "passkey", 1)
            .await;
        assert!(notice.contains("A passkey (Laptop) was added"), "{notice}");

        let (status, body) = sign_in(&server, &mut key).await;
        assert_eq!(status, 200, "{body}");
        let bearer = body["token"].as_str().expect("a token, not a challenge");
        let (status, me) = server.get("/api/me", bearer).await;
        assert_eq!((status, &me["username"]), (200, &json!("ada")));

        let (status, list) = server.get("/api/me/passkeys", bearer).await;
        assert_eq!(status, 200);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_ne!(list[0]["last_used_at"], Value::Null);

        let path = format!("/api/me/passkeys/{}", passkey["id"]);
        let (status, renamed) = server
            .send(
                Method::PATCH,
                &path,
                bearer,
                json!({ "name": "Work laptop" }),
            )
            .await;
        assert_eq!((status, &renamed["name"]), (200, &json!("Work laptop")));
        let (status, errors) = server
            .send(Method::PATCH, &path, bearer, json!({ "name": "" }))
            .await;
        assert_eq!(
            (status, errors),
            (422, json!({ "name": ["The name field is required."] }))
        );
        let (status, _) = server
            .send(
                Method::PATCH,
                &path,
                bearer,
                json!({ "name": "Laptop\nAll is fine" }),
            )
            .await;
        assert_eq!(status, 422, "no line breaks to dress a notice up");
        assert!(activities(&server)
            .await
            .iter()
            .any(|a| a == "Signed in with a passkey (Laptop)."));

        let (status, _) = server.send(Method::DELETE, &path, bearer, json!({})).await;
        assert_eq!(status, 200);
        let (status, list) = server.get("/api/me/passkeys", bearer).await;
        assert_eq!((status, list), (200, json!([])));
        assert_eq!(sign_in(&server, &mut key).await.0, 401, "a removed passkey");
    });
}

#[tokio::test]
async fn each_challenge_is_answered_once_and_an_answer_is_never_replayed() {
    each_backend!(|server| {
        let token = server.signed_in("bea", "User").await;
        let (mut key, _) = register(&server, &token, "Phone").await;
        let options = sign_in_options(&server).await;
        let credential = key.assert(&options, ORIGIN);
        assert_eq!(answer(&server, &options, credential.clone()).await.0, 200);
        // The same answer again: its challenge is spent.
        let (status, errors) = answer(&server, &options, credential.clone()).await;
        assert_eq!(
            (status, errors),
            (
                422,
                json!({ "challenge_id": ["The selected challenge id is invalid."] })
            )
        );
        // Under a fresh challenge, the old signature signs the wrong one.
        let fresh = sign_in_options(&server).await;
        assert_eq!(answer(&server, &fresh, credential).await.0, 401);
        // A registration's challenge is no sign-in's, and the other way round.
        let registering = registration_options(&server, &token).await;
        let signed = key.assert(&sign_in_options(&server).await, ORIGIN);
        assert_eq!(answer(&server, &registering, signed).await.0, 422);
        // Two answers to one challenge at once: one signs in.
        let options = sign_in_options(&server).await;
        let credential = key.assert(&options, ORIGIN);
        let (a, b) = tokio::join!(
            answer(&server, &options, credential.clone()),
            answer(&server, &options, credential)
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 422]);
    });
}

#[tokio::test]
async fn a_signature_counter_that_goes_backwards_is_refused_and_logged() {
    each_backend!(|server| {
        let token = server.signed_in("cy", "User").await;
        let (mut key, _) = register(&server, &token, "Key").await;
        assert_eq!(sign_in(&server, &mut key).await.0, 200);
        assert_eq!(sign_in(&server, &mut key).await.0, 200);
        // A copy of the key, behind the original.
        key.set_counter(1);
        assert_eq!(sign_in(&server, &mut key).await.0, 401);
        assert!(activities(&server)
            .await
            .iter()
            .any(|a| a.contains("signature counter went backwards")));
        // The passkey is disabled until someone looks, and its owner is told.
        key.set_counter(10);
        assert_eq!(sign_in(&server, &mut key).await.0, 401);
        let notice = server.wait_for_mail_with("cy@example.com", "copy", 1).await;
        assert!(notice.contains("now disabled"), "{notice}");
    });
}

#[tokio::test]
async fn a_phishing_origin_or_another_relying_party_is_refused() {
    each_backend!(|server| {
        let token = server.signed_in("di", "User").await;
        // Registration relayed by another site.
        let options = registration_options(&server, &token).await;
        let (_, credential) =
            SoftPasskey::register(&options, "http://portcullis.test.evil.example");
        let (status, errors) =
            finish_registration(&server, &token, &options, "Phished", credential).await;
        assert_eq!(status, 422, "{errors}");
        let options = registration_options(&server, &token).await;
        let (_, credential) = SoftAuthenticator::default().register_with(
            &options,
            ORIGIN,
            Some("evil.example"),
            true,
        );
        assert_eq!(
            finish_registration(&server, &token, &options, "Other RP", credential)
                .await
                .0,
            422
        );
        // Without user verification it is no passkey.
        let options = registration_options(&server, &token).await;
        let (_, credential) =
            SoftAuthenticator::default().register_with(&options, ORIGIN, None, false);
        assert_eq!(
            finish_registration(&server, &token, &options, "No UV", credential)
                .await
                .0,
            422
        );

        let (mut key, _) = register(&server, &token, "Real").await;
        let options = sign_in_options(&server).await;
        let phished = key.assert(&options, "https://evil.example");
        assert_eq!(answer(&server, &options, phished).await.0, 401);
        let options = sign_in_options(&server).await;
        let other_rp = key.assert_with(&options, ORIGIN, Some("evil.example"), true);
        assert_eq!(answer(&server, &options, other_rp).await.0, 401);
        let options = sign_in_options(&server).await;
        let unverified = key.assert_with(&options, ORIGIN, None, false);
        assert_eq!(answer(&server, &options, unverified).await.0, 401);
        // Garbage is a clear 422, never a 500.
        for bad in [
            json!({}),
            json!({ "id": "x", "rawId": 1 }),
            json!("'; DROP TABLE passkeys; --"),
        ] {
            let options = sign_in_options(&server).await;
            let body = json!({ "challenge_id": options["challenge_id"], "credential": bad });
            let (status, errors) = server.post("/api/login/passkey", body).await;
            assert_eq!(status, 422, "{bad}: {errors}");
        }
        assert_eq!(
            sign_in(&server, &mut key).await.0,
            200,
            "the real key still works"
        );
    });
}

#[tokio::test]
async fn allow_hardware_off_refuses_every_ceremony_and_keeps_the_list() {
    each_backend!(|server| {
        let token = server.signed_in("eve", "User").await;
        let (mut key, _) = register(&server, &token, "Key").await;
        server.set_settings(|s| s.allow_hardware = false).await;
        let off = json!({ "error": "Passkeys are turned off for this tenant." });
        let (status, body) = server
            .send(
                Method::POST,
                "/api/me/passkeys/register/options",
                &token,
                json!({}),
            )
            .await;
        assert_eq!((status, body), (403, off.clone()));
        assert_eq!(
            server.post("/api/login/passkey/options", json!({})).await,
            (403, off)
        );
        let (status, list) = server.get("/api/me/passkeys", &token).await;
        assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(1)));
        server.set_settings(|s| s.allow_hardware = true).await;
        assert_eq!(sign_in(&server, &mut key).await.0, 200);
    });
}

#[tokio::test]
async fn a_banned_user_cannot_sign_in_with_a_passkey() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let user = server.create_user("fay", "User").await;
        let token = server.login("fay").await;
        let (mut key, _) = register(&server, &token, "Key").await;
        let path = format!("/api/users/{}", user.id.0);
        let (status, _) = server
            .send(Method::PUT, &path, &admin, json!({ "status": "Banned" }))
            .await;
        assert_eq!(status, 201, "document 001 answers an update so");
        let (status, body) = sign_in(&server, &mut key).await;
        assert_eq!(status, 403, "{body}");
    });
}

#[tokio::test]
async fn only_a_login_session_adds_a_passkey_and_a_stale_one_gives_the_password() {
    each_backend!(|server| {
        let token = server.signed_in("gil", "User").await;
        let (status, personal) = server
            .send(
                Method::POST,
                "/api/me/tokens",
                &token,
                json!({ "name": "script", "scopes": ["*"] }),
            )
            .await;
        assert_eq!(status, 201);
        let personal = personal["token"].as_str().unwrap();
        let (status, _) = server
            .send(
                Method::POST,
                "/api/me/passkeys/register/options",
                personal,
                json!({}),
            )
            .await;
        assert_eq!(status, 403, "a personal token is no sign-in");
        // Another session cannot finish what this one began.
        let other = server.login("gil").await;
        let options = registration_options(&server, &token).await;
        let (_, credential) = SoftPasskey::register(&options, ORIGIN);
        let (status, errors) =
            finish_registration(&server, &other, &options, "Stolen", credential).await;
        assert_eq!(status, 422, "{errors}");

        server.set_settings(|s| s.reauth_seconds = Some(300)).await;
        server.clock.advance(time::Duration::minutes(6));
        let (status, errors) = server
            .send(
                Method::POST,
                "/api/me/passkeys/register/options",
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, 422, "{errors}");
        assert!(errors.get("current_password").is_some(), "{errors}");
        let (status, _) = server
            .send(
                Method::POST,
                "/api/me/passkeys/register/options",
                &token,
                json!({ "current_password": PASSWORD }),
            )
            .await;
        assert_eq!(status, 200);
    });
}

#[tokio::test]
async fn a_challenge_expires_after_five_minutes() {
    each_backend!(|server| {
        let token = server.signed_in("hal", "User").await;
        let (mut key, _) = register(&server, &token, "Key").await;
        let options = sign_in_options(&server).await;
        let credential = key.assert(&options, ORIGIN);
        server
            .clock
            .advance(time::Duration::minutes(5) + time::Duration::seconds(1));
        assert_eq!(answer(&server, &options, credential).await.0, 422);
    });
}

#[tokio::test]
async fn the_tenant_may_accept_only_the_keys_it_issues() {
    each_backend!(|server| {
        let issued = uuid::Uuid::parse_str("2fc0579f-8113-47ea-b116-bb5a8db9202a").unwrap();
        server
            .set_settings(|s| s.allowed_aaguids = vec![issued.to_string()])
            .await;
        let token = server.signed_in("ivy", "User").await;
        let options = registration_options(&server, &token).await;
        let (_, credential) = SoftPasskey::register(&options, ORIGIN);
        let (status, _) =
            finish_registration(&server, &token, &options, "Any key", credential).await;
        assert_eq!(status, 403);
        let (_, passkey) = register_with(
            &server,
            &token,
            "Issued key",
            &SoftAuthenticator::default().with_aaguid(issued),
        )
        .await;
        assert_eq!(passkey["aaguid"], issued.to_string());
    });
}

#[tokio::test]
async fn the_management_api_lists_disables_and_deletes_passkeys_but_never_creates_one() {
    each_backend!(|server| {
        let token = server.signed_in("jo", "User").await;
        let (mut key, passkey) = register(&server, &token, "Key").await;
        let mgmt = api_key(&server, None).await;
        let users = format!("/v1/tenants/{}/users", server.tenant.id);
        let (_, _, list) = v1(&server, Method::GET, &users, &mgmt, None).await;
        let user = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["profile"]["email"] == "jo@example.com")
            .expect("jo is listed")
            .clone();
        let credentials = format!("{users}/{}/credentials", user["id"].as_str().unwrap());
        let (status, _, list) = v1(&server, Method::GET, &credentials, &mgmt, None).await;
        assert_eq!(status, 200);
        let kinds: Vec<&Value> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["type"])
            .collect();
        assert_eq!(
            kinds,
            [&json!("PasswordCredential"), &json!("WebAuthnCredential")]
        );
        let webauthn = &list["data"][1];
        let id = format!("webauthn_{}", passkey["id"]);
        assert_eq!(webauthn["id"], id);
        assert_eq!(webauthn["webauthn"]["name"], "Key");
        assert_eq!(webauthn["webauthn"]["backup_eligible"], false);
        assert!(
            webauthn.get("disabled").is_none() && webauthn["webauthn"].get("credential").is_none(),
            "{webauthn}"
        );

        let one = format!("{credentials}/{id}");
        let (status, _, disabled) = v1(
            &server,
            Method::POST,
            &one,
            &mgmt,
            Some(json!({ "type": "WebAuthnCredential", "disabled": true, "metadata": { "why": "lost" } })),
        )
        .await;
        assert_eq!(
            (status, &disabled["disabled"]),
            (200, &json!(true)),
            "{disabled}"
        );
        assert_eq!(disabled["metadata"], json!({ "why": "lost" }));
        assert_eq!(
            sign_in(&server, &mut key).await.0,
            401,
            "a disabled passkey"
        );
        let (status, _, _) = v1(&server, Method::POST, &one, &mgmt, Some(json!({}))).await;
        assert_eq!(status, 200);
        assert_eq!(sign_in(&server, &mut key).await.0, 200, "enabled again");
        let (status, _, refused) = v1(
            &server,
            Method::POST,
            &one,
            &mgmt,
            Some(json!({ "password": { "alg": "plain", "hash": "x" } })),
        )
        .await;
        assert_eq!(status, 400, "{refused}");

        let (status, _, refused) = v1(
            &server,
            Method::POST,
            &credentials,
            &mgmt,
            Some(json!({ "type": "WebAuthnCredential" })),
        )
        .await;
        assert_eq!(status, 400);
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("WebAuthnCredential"),
            "{refused}"
        );

        let (status, _, last) = v1(&server, Method::DELETE, &one, &mgmt, None).await;
        assert_eq!((status, &last["id"]), (200, &json!(id)));
        let (status, _, _) = v1(&server, Method::GET, &one, &mgmt, None).await;
        assert_eq!(status, 404);
        assert_eq!(sign_in(&server, &mut key).await.0, 401, "a deleted passkey");
    });
}

#[tokio::test]
async fn a_tenant_with_passkeys_keeps_its_domain_unless_forced() {
    each_backend!(|server| {
        let token = server.signed_in("kim", "User").await;
        register(&server, &token, "Key").await;
        let mgmt = api_key(&server, None).await;
        let path = format!("/v1/tenants/{}", server.tenant.id);
        let (_, _, mut tenant) = v1(&server, Method::GET, &path, &mgmt, None).await;
        tenant["settings"]["domain"] = json!("id.example.com");
        let (status, _, error) =
            v1(&server, Method::POST, &path, &mgmt, Some(tenant.clone())).await;
        assert_eq!(
            (status, &error["code"]),
            (409, &json!("conflict")),
            "{error}"
        );
        assert!(error["message"].as_str().unwrap().contains("force=true"));
        let forced = format!("{path}?force=true");
        let (status, _, moved) = v1(&server, Method::POST, &forced, &mgmt, Some(tenant)).await;
        assert_eq!(
            (status, &moved["settings"]["domain"]),
            (200, &json!("id.example.com"))
        );
    });
}

#[tokio::test]
async fn a_password_reset_takes_the_account_back_from_a_planted_passkey() {
    each_backend!(|server| {
        // Someone with a stolen session adds their own passkey ...
        let stolen = server.signed_in("lee", "User").await;
        let (mut planted, _) = register(&server, &stolen, "Mine now").await;
        // ... the owner follows the notice and resets the password.
        let (status, _) = server
            .post(
                "/api/password/remind",
                json!({ "email": "lee@example.com" }),
            )
            .await;
        assert_eq!(status, 200);
        let mail = server
            .wait_for_mail_with("lee@example.com", "minutes: ", 1)
            .await;
        let token = crate::harness::token_after(&mail, "minutes: ");
        let body = json!({ "email": "lee@example.com", "token": token,
            "password": "a-new-password-1", "password_confirmation": "a-new-password-1" });
        let (status, reset) = server.post("/api/password/reset", body).await;
        assert_eq!(status, 200, "{reset}");
        assert_eq!(sign_in(&server, &mut planted).await.0, 401);
    });
}

#[tokio::test]
async fn an_application_learns_from_the_id_token_that_a_passkey_signed_the_person_in() {
    use crate::oidc_flow::{create_app, tokens};
    each_backend!(|server| {
        let token = server.signed_in("max", "User").await;
        let (mut key, _) = register(&server, &token, "Key").await;
        let (status, body) = sign_in(&server, &mut key).await;
        assert_eq!(status, 200, "{body}");
        // A browser holds the login token as its session cookie.
        let session = body["token"].as_str().unwrap();
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, session).await;
        let claims =
            crate::oidc_flow::tokens::id_token_claims(issued["id_token"].as_str().unwrap());
        assert_eq!(claims["amr"], json!(["hwk", "user"]), "{claims}");
        assert_eq!(claims["acr"], "phr", "phishing-resistant: {claims}");
    });
}

#[tokio::test]
async fn a_passkey_answers_the_second_step_in_place_of_a_code() {
    use crate::oidc_flow::{create_app, tokens};
    each_backend!(|server| {
        let token = with_mailed_codes(&mut server, "nia").await;
        let (mut key, _) = register(&server, &token, "Security key").await;
        let challenge = || async {
            let (status, body) = server.try_login("nia", PASSWORD).await;
            assert_eq!(
                (status, &body["requires_2fa"]),
                (200, &json!(true)),
                "{body}"
            );
            body["challenge"].as_str().unwrap().to_owned()
        };
        let options_for = |challenge: String| {
            let server = &server;
            async move {
                server
                    .post(
                        "/api/login/2fa/passkey/options",
                        json!({ "challenge": challenge }),
                    )
                    .await
            }
        };

        let first = challenge().await;
        let (status, options) = options_for(first.clone()).await;
        assert_eq!(status, 200, "{options}");
        assert_eq!(
            options["publicKey"]["allowCredentials"][0]["id"],
            key.credential_id()
        );
        // A ceremony begun for one login does not finish another.
        let second = challenge().await;
        let credential = key.assert(&options, ORIGIN);
        let answer = |challenge: &str, options: &Value, credential: Value| json!({ "challenge": challenge, "challenge_id": options["challenge_id"], "credential": credential });
        let (status, _) = server
            .post(
                "/api/login/2fa",
                answer(&second, &options, credential.clone()),
            )
            .await;
        assert_eq!(status, 422, "bound to the first login");
        let (status, options) = options_for(first.clone()).await;
        assert_eq!(status, 200);
        let credential = key.assert(&options, ORIGIN);
        let (status, body) = server
            .post("/api/login/2fa", answer(&first, &options, credential))
            .await;
        assert_eq!(status, 200, "{body}");
        let session = body["token"].as_str().unwrap();
        // The login is used up.
        let (status, _) = options_for(first).await;
        assert_eq!(status, 422);

        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, session).await;
        let claims =
            crate::oidc_flow::tokens::id_token_claims(issued["id_token"].as_str().unwrap());
        assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]), "{claims}");
        assert_eq!(claims["acr"], "phr", "{claims}");

        // Without a passkey there is nothing to begin.
        let other = server.signed_in("oz", "User").await;
        server
            .send(
                Method::PUT,
                "/api/me/2fa",
                &other,
                json!({ "method": "email" }),
            )
            .await;
        let (status, body) = server.try_login("oz", PASSWORD).await;
        assert_eq!(status, 200);
        let (status, _) = options_for(body["challenge"].as_str().unwrap().to_owned()).await;
        assert_eq!(status, 403);
    });
}

#[tokio::test]
async fn a_passwordless_tenant_signs_people_up_with_a_passkey_once_their_address_is_proven() {
    use crate::pages::Browser;
    each_backend!(|server| {
        server.set_settings(|s| s.allow_passwords = false).await;
        // No password asked, and the address is always confirmed first, whatever
        // allow_unverified says: nobody can bind a passkey to an address that is not theirs.
        let (status, body) = server
            .post(
                "/api/register",
                json!({ "username": "pia", "email": "pia@example.com" }),
            )
            .await;
        assert_eq!(
            (status, body),
            (201, json!({ "requires_email_confirmation": true }))
        );
        let mail = server.wait_for_mail("pia@example.com", 1).await;
        let token = crate::harness::token_after(&mail, "verify-email?token=");

        let mut browser = Browser::new(&server);
        let page = browser.get(&format!("/verify-email?token={token}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("create-passkey"), "{}", page.body);
        let options_for = |browser: &Browser, token: &str| {
            browser.form_post("/verify-email/passkey/options", &[("token", token)])
        };
        let bogus = browser.send(options_for(&browser, "not-a-token")).await;
        assert_eq!(bogus.status, 403, "{}", bogus.body);
        let answer = browser.send(options_for(&browser, &token)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let options: Value = serde_json::from_str(&answer.body).unwrap();
        let (mut key, credential) = SoftPasskey::register(&options, ORIGIN);
        let credential = credential.to_string();
        let challenge_id = options["challenge_id"].as_str().unwrap().to_owned();
        let fields = [
            ("token", token.as_str()),
            ("passkey_name", "Phone"),
            ("challenge_id", challenge_id.as_str()),
            ("credential", credential.as_str()),
        ];
        let done = browser.post("/verify-email", &fields).await;
        assert_eq!(
            (done.status, done.location()),
            (303, "/account"),
            "{}",
            done.body
        );
        assert!(browser.cookie("portcullis_session").is_some());
        // The link is spent.
        assert_eq!(
            browser.send(options_for(&browser, &token)).await.status,
            403
        );

        assert_eq!(sign_in(&server, &mut key).await.0, 200);
        let (status, _) = server.try_login("pia", "any-password-at-all").await;
        assert_eq!(status, 403, "passwords stay off");
        let db = server.inspect().await;
        let (verified,): (Option<i64>,) =
            sqlx::query_as("SELECT email_verified_at FROM users WHERE email = 'pia@example.com'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert!(verified.is_some());
    });
}

/// A passwordless sign-up's last step in a browser: the confirmation link's passkey page, its
/// options, and the answer; the options' status and the final answer's.
async fn make_passkey_with_link(server: &TestServer, token: &str) -> (u16, Option<u16>) {
    use crate::pages::Browser;
    let mut browser = Browser::new(server);
    browser.get(&format!("/verify-email?token={token}")).await;
    let request = browser.form_post("/verify-email/passkey/options", &[("token", token)]);
    let answer = browser.send(request).await;
    if answer.status != 200 {
        return (answer.status, None);
    }
    let options: Value = serde_json::from_str(&answer.body).unwrap();
    let (_, credential) = SoftPasskey::register(&options, ORIGIN);
    let (credential, challenge_id) = (credential.to_string(), options["challenge_id"].to_string());
    let fields = [
        ("token", token),
        ("passkey_name", "Phone"),
        ("challenge_id", challenge_id.trim_matches('"')),
        ("credential", credential.as_str()),
    ];
    (
        200,
        Some(browser.post("/verify-email", &fields).await.status),
    )
}

#[tokio::test]
async fn only_a_sign_up_link_makes_a_first_passkey_and_what_came_before_it_goes() {
    each_backend!(|server| {
        server.set_settings(|s| s.allow_unverified = false).await;
        // Someone signs up with another person's address and a password of their own ...
        let body = json!({ "username": "squatter", "email": "quinn@example.com",
            "password": "squatters-password", "password_confirmation": "squatters-password" });
        assert_eq!(server.post("/api/register", body).await.0, 201);
        let mail = server.wait_for_mail("quinn@example.com", 1).await;
        let sign_up = crate::harness::token_after(&mail, "verify-email?token=");
        // ... and an account owner asks to move to an address someone else reads.
        let token = server.signed_in("rae", "User").await;
        let change = json!({ "email": "not-rae@example.com" });
        let (status, _) = server
            .send(Method::PATCH, "/api/me/details/auth", &token, change)
            .await;
        assert_eq!(status, 200);
        let mail = server.wait_for_mail("not-rae@example.com", 1).await;
        let address_change = crate::harness::token_after(&mail, "verify-email?token=");

        server.set_settings(|s| s.allow_passwords = false).await;
        // A bare confirmation would leave a passwordless account no way in.
        let (status, _) = server
            .post(
                &format!("/api/registration/verify-email/{sign_up}"),
                json!({}),
            )
            .await;
        assert_eq!(status, 403);
        // An address change's link makes no passkey for the account.
        assert_eq!(
            make_passkey_with_link(&server, &address_change).await,
            (403, None)
        );
        // The address's owner makes the first passkey; the squatter's password goes with it.
        assert_eq!(
            make_passkey_with_link(&server, &sign_up).await,
            (200, Some(303))
        );
        server.set_settings(|s| s.allow_passwords = true).await;
        assert_eq!(
            server.try_login("squatter", "squatters-password").await.0,
            401
        );
    });
}

#[tokio::test]
async fn a_server_reached_by_an_address_says_passkeys_need_a_name() {
    for backend in backends() {
        // An address cannot be a WebAuthn relying party's id; browsers refuse it too.
        let server = TestServer::start_with(&backend, |config| {
            config.public_url = Some("http://127.0.0.1:8080".to_owned());
        })
        .await;
        let (status, body) = server.post("/api/login/passkey/options", json!({})).await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("domain name"),
            "{body}"
        );
        server.stop().await;
    }
}
