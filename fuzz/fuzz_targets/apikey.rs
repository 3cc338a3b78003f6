//! API-key strings (`x-api-key`, REST TOKEN authorizers): the format check, the
//! constant-time secret check, and the cached verifier against an in-memory store.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use gatehouse::credentials::apikey::{ApiKeyVerifier, KEY_LEN, PREFIX, parse};
use gatehouse_fuzz::{API_KEY, MemStore, runtime};
use libfuzzer_sys::fuzz_target;

fn verifier() -> &'static ApiKeyVerifier<MemStore> {
    static V: OnceLock<ApiKeyVerifier<MemStore>> = OnceLock::new();
    V.get_or_init(|| ApiKeyVerifier::new(MemStore, Duration::from_secs(60)))
}

fuzz_target!(|data: &[u8]| {
    let Ok(key) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = parse(key) {
        assert_eq!(key.len(), KEY_LEN);
        assert!(key.starts_with(PREFIX));
        assert_eq!(p.id, &key[PREFIX.len()..PREFIX.len() + 16]);
        assert_eq!(key.as_bytes()[PREFIX.len() + 16], b'_');
    }
    let now = gatehouse::primitives::time::now_epoch();
    if let Ok(principal) = runtime().block_on(verifier().verify(key, now)) {
        assert_eq!(key, API_KEY, "a key other than the stored one verified");
        assert_eq!(principal.key_id.as_deref(), Some(&API_KEY[3..19]));
    }
});
