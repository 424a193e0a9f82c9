//! `GET /api/me` and `GET /api/countries` as document 001 shows them.

use crate::harness::each_backend;
use serde_json::Value;

fn is_timestamp(value: &Value) -> bool {
    let Some(s) = value.as_str() else {
        return false;
    };
    let b = s.as_bytes();
    s.len() == 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':'
}

#[tokio::test]
async fn me_has_the_documented_fields_and_includes() {
    each_backend!(|server| {
        let user = server.create_user("johndoe", "Admin").await;
        let token = server.login("johndoe").await;

        let (status, me) = server.get("/api/me", &token).await;
        assert_eq!(status, 200);
        let keys: Vec<&str> = me.as_object().unwrap().keys().map(String::as_str).collect();
        let documented = [
            "id",
            "first_name",
            "last_name",
            "username",
            "email",
            "phone",
            "avatar",
            "address",
            "country_id",
            "role_id",
            "status",
            "birthday",
            "last_login",
            "two_factor_country_code",
            "two_factor_phone",
            "two_factor_options",
            "created_at",
            "updated_at",
        ];
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        let mut sorted_documented = documented.to_vec();
        sorted_documented.sort_unstable();
        assert_eq!(sorted_keys, sorted_documented);
        assert_eq!(me["id"], user.id.0);
        assert_eq!(me["email"], "johndoe@example.com");
        assert_eq!(me["status"], "Active");
        assert!(
            is_timestamp(&me["created_at"]) && is_timestamp(&me["updated_at"]),
            "{me}"
        );
        assert!(
            is_timestamp(&me["last_login"]),
            "login sets last_login: {me}"
        );

        let (status, me) = server.get("/api/me?include=role,country", &token).await;
        assert_eq!(status, 200);
        assert_eq!(me["role"]["name"], "Admin");
        assert_eq!(me["role"]["id"], me["role_id"]);
        assert_eq!(me["role"]["removable"], false);
        assert!(is_timestamp(&me["role"]["created_at"]));
        assert!(
            me.get("country").is_some_and(Value::is_null),
            "no country yet: {me}"
        );

        let (_, only_role) = server.get("/api/me?include=role", &token).await;
        assert!(only_role.get("country").is_none());
        let (_, plain) = server.get("/api/me?include=nonsense", &token).await;
        assert!(plain.get("role").is_none());
    });
}

#[tokio::test]
async fn countries_are_complete_with_documented_fields() {
    each_backend!(|server| {
        let token = server.signed_in("geo", "User").await;
        let (status, body) = server.get("/api/countries", &token).await;
        assert_eq!(status, 200);
        let countries = body.as_array().unwrap();
        assert_eq!(countries.len(), 249);
        let serbia = countries.iter().find(|c| c["id"] == 688).expect("Serbia");
        assert_eq!(serbia["iso_3166_2"], "RS");
        assert_eq!(serbia["iso_3166_3"], "SRB");
        assert_eq!(serbia["calling_code"], 381);
        let bahamas = countries.iter().find(|c| c["id"] == 44).expect("Bahamas");
        let expected = serde_json::json!({
            "id": 44, "name": "Bahamas", "full_name": "Commonwealth of the Bahamas", "capital": "Nassau",
            "citizenship": "Bahamian", "country_code": 44, "currency": "Bahamian dollar", "currency_code": "BSD",
            "currency_sub_unit": "cent", "currency_symbol": "$", "iso_3166_2": "BS", "iso_3166_3": "BHS",
            "region_code": 19, "sub_region_code": 29, "eea": false, "calling_code": 1,
            "flag": "http://portcullis.test/flags/BS.png"
        });
        assert_eq!(bahamas, &expected);
        let (status, _) = server.get("/api/countries", "nope").await;
        assert_eq!(status, 401);
    });
}

#[tokio::test]
async fn me_reflects_a_later_login_at_once() {
    each_backend!(|server| {
        let first = server.signed_in("twice", "User").await;
        let (_, before) = server.get("/api/me", &first).await;
        server.clock.advance(time::Duration::seconds(5));
        server.login("twice").await;
        let (_, after) = server.get("/api/me", &first).await;
        assert_ne!(
            before["last_login"], after["last_login"],
            "a remembered lookup went stale"
        );
    });
}
