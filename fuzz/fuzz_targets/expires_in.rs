//! Lifetimes (`expiresIn`, `expirationTime`): whole seconds as a number or digits, or
//! digits with a unit. Input: a JSON value, or else the bytes as a string.
#![no_main]

use gatehouse::requests::widget::parse_duration;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const MAX: i64 = 86_400;

fuzz_target!(|data: &[u8]| {
    let v = serde_json::from_slice::<Value>(data)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(data).into_owned()));
    if let Ok(secs) = parse_duration(&v, "expiresIn", MAX) {
        assert!(secs > 0 && secs <= MAX, "{secs}");
        assert_eq!(
            parse_duration(&json!(secs), "expiresIn", MAX).ok(),
            Some(secs)
        );
        assert_eq!(
            parse_duration(&json!(format!("{secs}s")), "expiresIn", MAX).ok(),
            Some(secs)
        );
        assert_eq!(
            parse_duration(&json!(secs.to_string()), "expiresIn", MAX).ok(),
            Some(secs)
        );
    }
});
