//! A software WebAuthn authenticator (a "virtual passkey") that answers the server's ceremony
//! options the way a browser and a platform authenticator would together, so the API tests can
//! register and sign in with passkeys over real HTTP.
//!
//! It reads and writes webauthn-rs's JSON as is: `CreationChallengeResponse` and
//! `RequestChallengeResponse` in, `RegisterPublicKeyCredential` and `PublicKeyCredential` out.
//! Credentials are ES256 (P-256) with "none" attestation, and always discoverable: the user
//! handle is kept whatever `residentKey` asks, as platform passkeys do.
//!
//! Unlike a browser it does not hold the origin to the rp id: a test passes whichever origin it
//! plays, a phishing one included, and the server has to be the one to refuse.

// Each test module uses the knobs its cases need; the others would otherwise be dead code.
#![allow(dead_code)]

use std::collections::BTreeMap;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::elliptic_curve::Generate;
use serde_cbor_2::Value as Cbor;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const BACKUP_ELIGIBLE: u8 = 0x08;
const BACKED_UP: u8 = 0x10;
const ATTESTED_CREDENTIAL_DATA: u8 = 0x40;

/// COSE algorithm ES256: ECDSA over P-256 with SHA-256.
const ES256: i64 = -7;

/// What the server sends is unpadded, but reading padding too keeps a quirk in the options from
/// failing here instead of in the server check the test is about.
const LENIENT_BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The device a passkey is made on: what it tells the server about itself at registration. The
/// default is an anonymous (all-zero AAGUID), device-bound authenticator whose counter starts at 0.
#[derive(Clone, Debug, Default)]
pub struct SoftAuthenticator {
    aaguid: [u8; 16],
    backed_up: bool,
    initial_counter: u32,
}

impl SoftAuthenticator {
    /// Names the authenticator model, for the server's allowed-AAGUID list.
    pub fn with_aaguid(mut self, aaguid: uuid::Uuid) -> Self {
        self.aaguid = aaguid.into_bytes();
        self
    }

    /// A synced passkey (a password manager's): backup eligible and backed up, in every ceremony.
    pub fn backed_up(mut self) -> Self {
        self.backed_up = true;
        self
    }

    /// The counter reported at registration; each assertion reports one more than the last.
    pub fn with_initial_counter(mut self, counter: u32) -> Self {
        self.initial_counter = counter;
        self
    }

    /// Answers `navigator.credentials.create()` options with a user-verified registration.
    pub fn register(&self, options: &Value, origin: &str) -> (SoftPasskey, Value) {
        self.register_with(options, origin, None, true)
    }

    /// Answers `navigator.credentials.create()` options; `rp_id_override` is hashed into the
    /// authenticator data in place of the options' rp id, and `user_verified` sets the UV flag.
    pub fn register_with(
        &self,
        options: &Value,
        origin: &str,
        rp_id_override: Option<&str>,
        user_verified: bool,
    ) -> (SoftPasskey, Value) {
        let options = public_key(options, "navigator.credentials.create()");
        let rp_id = options["rp"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("the creation options name no rp.id: {options}"));
        // A real authenticator fails with NotSupportedError when it shares no algorithm with the
        // server; saying so here points at the options rather than at a later, vaguer refusal.
        let offers_es256 = options["pubKeyCredParams"]
            .as_array()
            .is_some_and(|params| params.iter().any(|param| param["alg"] == ES256));
        assert!(
            offers_es256,
            "the creation options do not offer ES256 (alg -7), the only algorithm this passkey has: {options}"
        );

        let backup_flags = if self.backed_up {
            BACKUP_ELIGIBLE | BACKED_UP
        } else {
            0
        };
        let passkey = SoftPasskey {
            credential_id: <[u8; 32]>::generate().to_vec(),
            key: SigningKey::generate(),
            rp_id: rp_id.to_owned(),
            user_handle: decode(&options["user"]["id"], "publicKey.user.id"),
            next_counter: self.initial_counter.wrapping_add(1),
            backup_flags,
        };

        let flags = USER_PRESENT
            | ATTESTED_CREDENTIAL_DATA
            | backup_flags
            | if user_verified { USER_VERIFIED } else { 0 };
        let mut auth_data =
            authenticator_data(rp_id_override.unwrap_or(rp_id), flags, self.initial_counter);
        auth_data.extend_from_slice(&self.aaguid);
        let id_len = u16::try_from(passkey.credential_id.len()).expect("a short credential id");
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&passkey.credential_id);
        auth_data.extend_from_slice(&passkey.cose_public_key());

        let attestation_object = serde_cbor_2::to_vec(&Cbor::Map(BTreeMap::from([
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(BTreeMap::new())),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ])))
        .expect("the attestation object encodes");
        let challenge = decode(&options["challenge"], "publicKey.challenge");
        let id = passkey.credential_id();
        let response = json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "attestationObject": URL_SAFE_NO_PAD.encode(attestation_object),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data_json("webauthn.create", &challenge, origin)),
            },
            "extensions": {},
        });
        (passkey, response)
    }
}

/// One ES256 credential, as an authenticator stores it after registration.
pub struct SoftPasskey {
    credential_id: Vec<u8>,
    key: SigningKey,
    rp_id: String,
    user_handle: Vec<u8>,
    /// The counter the next assertion reports.
    next_counter: u32,
    /// BE|BS for a synced passkey, fixed at registration as the server expects them to stay.
    backup_flags: u8,
}

impl SoftPasskey {
    /// Answers `navigator.credentials.create()` options with a user-verified registration on a
    /// default [`SoftAuthenticator`].
    pub fn register(options: &Value, origin: &str) -> (SoftPasskey, Value) {
        SoftAuthenticator::default().register(options, origin)
    }

    /// [`SoftAuthenticator::register_with`] on a default [`SoftAuthenticator`].
    pub fn register_with(
        options: &Value,
        origin: &str,
        rp_id_override: Option<&str>,
        user_verified: bool,
    ) -> (SoftPasskey, Value) {
        SoftAuthenticator::default().register_with(options, origin, rp_id_override, user_verified)
    }

    /// Answers `navigator.credentials.get()` options with a user-verified assertion.
    pub fn assert(&mut self, options: &Value, origin: &str) -> Value {
        self.assert_with(options, origin, None, true)
    }

    /// Answers `navigator.credentials.get()` options; `rp_id_override` is hashed into the
    /// authenticator data in place of the registered rp id, and `user_verified` sets the UV flag.
    ///
    /// Panics, as a browser would find nothing to offer, when the options ask for another rp id or
    /// list allowed credentials without this one.
    pub fn assert_with(
        &mut self,
        options: &Value,
        origin: &str,
        rp_id_override: Option<&str>,
        user_verified: bool,
    ) -> Value {
        let options = public_key(options, "navigator.credentials.get()");
        assert_eq!(
            options["rpId"].as_str(),
            Some(self.rp_id.as_str()),
            "the sign-in options ask for another rp id than this passkey's: {options}"
        );
        let allowed = options["allowCredentials"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let allows_this_key = allowed.iter().any(|credential| {
            decode(&credential["id"], "allowCredentials[].id") == self.credential_id
        });
        assert!(
            allowed.is_empty() || allows_this_key,
            "the sign-in options allow other credentials than this passkey ({}): {options}",
            self.credential_id()
        );

        let counter = self.next_counter;
        self.next_counter = counter.wrapping_add(1);
        let flags =
            USER_PRESENT | self.backup_flags | if user_verified { USER_VERIFIED } else { 0 };
        let auth_data = authenticator_data(rp_id_override.unwrap_or(&self.rp_id), flags, counter);
        let challenge = decode(&options["challenge"], "publicKey.challenge");
        let client_data = client_data_json("webauthn.get", &challenge, origin);

        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: DerSignature = self.key.sign(&signed);

        let id = self.credential_id();
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "authenticatorData": URL_SAFE_NO_PAD.encode(auth_data),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data),
                "signature": URL_SAFE_NO_PAD.encode(signature.as_bytes()),
                "userHandle": URL_SAFE_NO_PAD.encode(&self.user_handle),
            },
            "extensions": {},
        })
    }

    /// The next assertion reports `counter`, and later ones count up from it: a value at or below
    /// one the server has seen is what a cloned key would send.
    pub fn set_counter(&mut self, counter: u32) {
        self.next_counter = counter;
    }

    /// The credential id, base64url without padding, as the server's JSON spells it.
    pub fn credential_id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.credential_id)
    }

    /// The public key as a COSE_Key: EC2 on P-256 for ES256.
    fn cose_public_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let coordinate =
            |c: Option<&p256::FieldBytes>| Cbor::Bytes(c.expect("an uncompressed point").to_vec());
        let cose = BTreeMap::from([
            (Cbor::Integer(1), Cbor::Integer(2)),
            (Cbor::Integer(3), Cbor::Integer(ES256.into())),
            (Cbor::Integer(-1), Cbor::Integer(1)),
            (Cbor::Integer(-2), coordinate(point.x())),
            (Cbor::Integer(-3), coordinate(point.y())),
        ]);
        serde_cbor_2::to_vec(&Cbor::Map(cose)).expect("the COSE key encodes")
    }
}

/// The `publicKey` member of the server's options, which the browser hands the authenticator.
fn public_key<'a>(options: &'a Value, ceremony: &str) -> &'a Value {
    options
        .get("publicKey")
        .unwrap_or_else(|| panic!("{ceremony} options without publicKey: {options}"))
}

fn decode(value: &Value, what: &str) -> Vec<u8> {
    value
        .as_str()
        .and_then(|text| LENIENT_BASE64URL.decode(text).ok())
        .unwrap_or_else(|| panic!("{what} is not base64url: {value}"))
}

/// rpIdHash | flags | signCount, the part common to both ceremonies.
fn authenticator_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    data
}

fn client_data_json(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
    // Browsers write these members in this order and the spec's limited verification algorithm
    // relies on it, so no serde_json map, which would sort them.
    format!(
        r#"{{"type":{},"challenge":{},"origin":{},"crossOrigin":false}}"#,
        json!(kind),
        json!(URL_SAFE_NO_PAD.encode(challenge)),
        json!(origin),
    )
    .into_bytes()
}

mod self_check {
    //! webauthn-rs itself, with no server around it, accepts what the soft passkey answers and
    //! refuses what its attack knobs produce; the HTTP tests build on both.

    use super::*;
    use webauthn_rs::prelude::{
        PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
        WebauthnError,
    };

    const ORIGIN: &str = "http://portcullis.test";

    fn webauthn() -> Webauthn {
        WebauthnBuilder::new("portcullis.test", &Url::parse(ORIGIN).unwrap())
            .unwrap()
            .build()
            .unwrap()
    }

    fn to_json(value: &impl serde::Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    fn assertion(value: Value) -> PublicKeyCredential {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn registers_and_signs_in_with_and_without_a_username() {
        let webauthn = webauthn();
        let user = Uuid::new_v4();
        let (options, registration) = webauthn
            .start_passkey_registration(user, "ada", "Ada Lovelace", None)
            .unwrap();
        let (mut key, response) = SoftPasskey::register(&to_json(&options), ORIGIN);
        let response: RegisterPublicKeyCredential = serde_json::from_value(response).unwrap();
        let mut passkey = webauthn
            .finish_passkey_registration(&response, &registration)
            .unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(passkey.cred_id()),
            key.credential_id()
        );

        let (options, state) = webauthn
            .start_passkey_authentication(std::slice::from_ref(&passkey))
            .unwrap();
        let response = assertion(key.assert(&to_json(&options), ORIGIN));
        let result = webauthn
            .finish_passkey_authentication(&response, &state)
            .unwrap();
        assert!(result.user_verified());
        assert_eq!(result.counter(), 1);
        assert_eq!(passkey.update_credential(&result), Some(true));

        key.set_counter(1);
        let (options, state) = webauthn
            .start_passkey_authentication(std::slice::from_ref(&passkey))
            .unwrap();
        let response = assertion(key.assert(&to_json(&options), ORIGIN));
        let refused = webauthn.finish_passkey_authentication(&response, &state);
        assert!(
            matches!(refused, Err(WebauthnError::CredentialPossibleCompromise)),
            "{refused:?}"
        );

        let (options, state) = webauthn.start_discoverable_authentication().unwrap();
        let options = to_json(&options);
        assert_eq!(options["publicKey"]["allowCredentials"], json!([]));
        let response = assertion(key.assert(&options, ORIGIN));
        let (user_handle, credential_id) = webauthn
            .identify_discoverable_authentication(&response)
            .unwrap();
        assert_eq!(user_handle, user);
        assert_eq!(credential_id, passkey.cred_id().as_slice());
        let result = webauthn
            .finish_discoverable_authentication_v2(&response, state, &passkey)
            .unwrap();
        assert_eq!(result.counter(), 2);
    }

    #[test]
    fn the_attack_knobs_are_refused_and_the_model_knobs_are_seen() {
        let webauthn = webauthn();
        let start = || {
            webauthn
                .start_passkey_registration(Uuid::new_v4(), "ada", "Ada", None)
                .unwrap()
        };
        let finish = |response: Value, state| {
            let response: RegisterPublicKeyCredential = serde_json::from_value(response).unwrap();
            webauthn.finish_passkey_registration(&response, state)
        };

        let (options, state) = start();
        let (_, response) =
            SoftPasskey::register_with(&to_json(&options), ORIGIN, Some("evil.test"), true);
        assert!(matches!(
            finish(response, &state),
            Err(WebauthnError::InvalidRPIDHash)
        ));

        let (options, state) = start();
        let (_, response) = SoftPasskey::register_with(&to_json(&options), ORIGIN, None, false);
        assert!(matches!(
            finish(response, &state),
            Err(WebauthnError::UserNotVerified)
        ));

        let (options, state) = start();
        let (_, response) = SoftPasskey::register(&to_json(&options), "http://evil.test");
        assert!(matches!(
            finish(response, &state),
            Err(WebauthnError::InvalidRPOrigin)
        ));

        let (options, state) = start();
        let (mut key, response) = SoftAuthenticator::default()
            .with_aaguid(Uuid::new_v4())
            .backed_up()
            .with_initial_counter(41)
            .register(&to_json(&options), ORIGIN);
        let passkey = finish(response, &state).unwrap();
        let sign_in = |key: &mut SoftPasskey, rp_id_override, user_verified| {
            let (options, state) = webauthn
                .start_passkey_authentication(std::slice::from_ref(&passkey))
                .unwrap();
            let response =
                key.assert_with(&to_json(&options), ORIGIN, rp_id_override, user_verified);
            webauthn.finish_passkey_authentication(&assertion(response), &state)
        };

        let refused = sign_in(&mut key, Some("evil.test"), true);
        assert!(
            matches!(refused, Err(WebauthnError::InvalidRPIDHash)),
            "{refused:?}"
        );
        let refused = sign_in(&mut key, None, false);
        assert!(
            matches!(refused, Err(WebauthnError::UserNotVerified)),
            "{refused:?}"
        );
        let result = sign_in(&mut key, None, true).unwrap();
        assert!(result.backup_eligible() && result.backup_state());
        assert_eq!(result.counter(), 44);
    }
}
