//! The single sign-on queries: `GET /sso/callback` and `GET /sso/start` parsed from a
//! query string (as the gateway hands it over, percent-decoded), and the return path.
//! Input: the first byte picks the reader, the rest is the query string.
#![no_main]

use gatehouse::credentials::oidc::flow::return_path;
use gatehouse::requests::sso::{CallbackQuery, MAX_PARAM, StartQuery, is_provider_id};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(rest).into_owned().collect();
    let borrowed = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let count = |name: &str| pairs.iter().filter(|(k, _)| k == name).count();
    match pick % 3 {
        0 => {
            if let Ok(q) = CallbackQuery::parse(borrowed()) {
                assert!(count("state") == 1 && count("code") <= 1 && count("iss") <= 1);
                assert!(!q.state.is_empty() && q.state.len() <= MAX_PARAM);
                assert!(
                    q.code.is_some() || q.error,
                    "a code unless the provider erred"
                );
                assert!(q.code.iter().all(|c| !c.is_empty() && c.len() <= MAX_PARAM));
                assert!(q.state.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
        1 => {
            if let Ok(q) = StartQuery::parse(borrowed()) {
                assert!(count("idp") == 1 && count("return_to") <= 1);
                assert!(is_provider_id(&q.idp));
                assert_eq!(
                    return_path(Some(&q.return_to)).as_deref(),
                    Ok(&*q.return_to)
                );
            }
        }
        _ => {
            let raw = String::from_utf8_lossy(rest);
            if let Ok(path) = return_path(Some(&raw)) {
                assert_eq!(path, raw);
                assert!(path.starts_with('/') && !path.starts_with("//"));
                assert!(!path.contains('\\') && path.len() <= 512);
                assert!(path.bytes().all(|b| b.is_ascii_graphic()));
                let second = path.get(1..4).map(str::to_ascii_lowercase);
                assert!(!matches!(second.as_deref(), Some("%2f" | "%5c")));
            }
        }
    }
});
