//! Provisioning's reading of an id_token's claims (README "Single sign-on",
//! provisioning): `IdClaims::new` over any JSON object, then what a new identity would
//! be given: the verified e-mail (`verified_email`), the domain rule (`domain_admits`),
//! the user name from the claim map (`wanted_username`, `Username::from_claim` and its
//! collision suffix), the display name, and each rule's plan for an identity whose
//! e-mail nobody holds. Input: selector byte (the rule, a domain list or none), then
//! the claims as JSON.
#![no_main]

use gatehouse::credentials::idps::provision::{
    Plan, display_name, domain_admits, plan, verified_email, wanted_username,
};
use gatehouse::credentials::idps::{Provider, Provisioning};
use gatehouse::credentials::oidc::flow::SsoError;
use gatehouse::credentials::oidc::id_token::IdClaims;
use gatehouse::credentials::oidc::url::OutboundRule;
use gatehouse::credentials::users::Username;
use gatehouse::requests::idps::IdpBody;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

/// A provider with `rule`, admitting only `corp.example` when `domains`.
fn provider(rule: &str, domains: bool) -> Provider {
    let list: Vec<&str> = if domains {
        vec!["corp.example"]
    } else {
        vec![]
    };
    let body = json!({"id": "fuzz", "display_name": "Fuzz", "issuer": "https://idp.example.com",
        "client_id": "gatehouse", "client_secret": "a-client-secret-of-some-length",
        "provisioning": rule, "allowed_email_domains": list});
    let body: IdpBody = serde_json::from_value(body).expect("a valid body");
    let rule_ = OutboundRule {
        allow_insecure_loopback: false,
    };
    body.new_provider(&rule_, "fuzz", 0)
        .expect("a valid provider")
        .0
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(rest) else {
        return;
    };
    let rules = ["auto_create", "link_verified_email", "existing_only"];
    let p = provider(rules[usize::from(selector % 3)], selector & 0x80 != 0);
    let c = IdClaims::new(&p.issuer, "sub".into(), claims.clone());
    assert_eq!(
        c.email_verified,
        claims.get("email_verified") == Some(&Value::Bool(true))
    );

    let email = verified_email(&c);
    if let Some(e) = &email {
        assert!(c.email_verified, "only a verified e-mail counts");
        assert_eq!(Some(e.shown()), c.email.as_deref().map(str::trim));
    }
    let admitted = domain_admits(&p, email.as_ref());
    if p.allowed_email_domains.is_empty() {
        assert!(admitted, "an empty list admits everyone");
    } else {
        assert_eq!(
            admitted,
            email.as_ref().is_some_and(|e| e.domain() == "corp.example")
        );
    }

    if let Some(name) = wanted_username(&p, &c) {
        let again = Username::parse(name.as_str()).expect("a user name");
        assert_eq!(again, name);
        assert!((3..=59).contains(&name.as_str().len()));
        let suffixed = name.with_suffix();
        assert_eq!(
            Username::parse(suffixed.as_str()).ok(),
            Some(suffixed.clone())
        );
        assert!(
            suffixed
                .as_str()
                .starts_with(&format!("{}-", name.as_str()))
        );
    }
    if let Some(shown) = display_name(&p, &c) {
        assert!(!shown.chars().any(char::is_control));
    }

    let planned = plan(&p, email.as_ref(), None);
    let expected = match p.provisioning {
        Provisioning::AutoCreate => Ok(Plan::Create { replaces: None }),
        Provisioning::LinkVerifiedEmail => Err(SsoError::LinkRequiresVerifiedAccount),
        Provisioning::ExistingOnly => Err(SsoError::NoLinkedAccount),
    };
    assert_eq!(planned, expected);
});
