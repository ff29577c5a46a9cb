use base64::Engine;
use serde_json::json;

use super::*;
use crate::role::Role;

fn settings() -> OidcSettings {
    OidcSettings {
        issuer: "https://login.example.com/realms/staff".into(),
        client_id: "loopdesk".into(),
        client_secret: Some("s3cret".into()),
        scopes: default_scopes(),
        username_claim: default_username_claim(),
        groups_claim: default_groups_claim(),
        groups: vec![GroupRule {
            group: "dispatch".into(),
            roles: vec!["dispatcher".into()],
        }],
        button_label: None,
    }
}

fn jwt(claims: &Value) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256"}"#),
        b64(claims.to_string().as_bytes()),
        b64(b"signature")
    )
}

#[test]
fn the_pkce_challenge_is_the_rfcs() {
    // RFC 7636, appendix B.
    assert_eq!(
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn an_id_token_must_answer_this_sign_in_for_this_client() {
    let issuer = "https://login.example.com/realms/staff";
    let good =
        json!({ "iss": issuer, "aud": "loopdesk", "nonce": "n-1", "exp": 1000, "sub": "u1" });
    let check = |c: &Value| id_token_claims(&jwt(c), issuer, "loopdesk", "n-1", 1000);
    assert_eq!(check(&good).map(|c| c["sub"].clone()), Ok(json!("u1")));
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        check(&c)
    };
    assert_eq!(
        with("iss", json!("https://evil.example.com")),
        Err(TokenRefusal::Issuer)
    );
    assert_eq!(
        with("aud", json!("someone-else")),
        Err(TokenRefusal::Audience)
    );
    assert_eq!(
        with("aud", json!(["loopdesk", "other"])),
        Err(TokenRefusal::Audience)
    );
    let mut shared = good.clone();
    shared["aud"] = json!(["loopdesk", "other"]);
    shared["azp"] = json!("loopdesk");
    assert!(check(&shared).is_ok());
    assert_eq!(with("nonce", json!("n-2")), Err(TokenRefusal::Nonce));
    assert_eq!(with("exp", json!(900)), Err(TokenRefusal::Expired));
    assert!(with("exp", json!(941)).is_ok(), "a minute's leeway");
    assert_eq!(with("sub", json!("")), Err(TokenRefusal::Subject));
    assert_eq!(
        id_token_claims("not-a-jwt", issuer, "loopdesk", "n-1", 1000),
        Err(TokenRefusal::Malformed)
    );
}

#[test]
fn groups_and_names_are_read_from_the_claims() {
    let s = settings();
    let claims = json!({ "sub": "u1", "preferred_username": "zhang.wei", "groups": ["Dispatch", "canteen"] });
    assert_eq!(s.username_in(&claims), Some("zhang.wei"));
    assert_eq!(
        s.roles_for(s.groups_in(&claims)),
        [Role::Dispatcher].into_iter().collect()
    );
    let bare = json!({ "sub": "u1" });
    assert_eq!(s.username_in(&bare), Some("u1"));
    assert!(s.roles_for(s.groups_in(&bare)).is_empty());
}

#[test]
fn settings_are_checked_field_by_field() {
    assert_eq!(settings().validate(), Ok(()));
    let refused = |change: fn(&mut OidcSettings)| {
        let mut s = settings();
        change(&mut s);
        s.validate().map_err(|e| e.field)
    };
    assert_eq!(
        refused(|s| s.issuer = "http://login.example.com".into()),
        Err("issuer")
    );
    assert_eq!(
        refused(|s| s.issuer = "http://127.0.0.1:4555".into()),
        Ok(())
    );
    assert_eq!(refused(|s| s.client_id = " ".into()), Err("client_id"));
    assert_eq!(
        refused(|s| s.scopes = "profile email".into()),
        Err("scopes")
    );
    assert_eq!(refused(|s| s.groups.clear()), Err("groups"));
    assert_eq!(
        refused(|s| s.groups[0].roles = vec!["customer".into()]),
        Err("groups")
    );
}
