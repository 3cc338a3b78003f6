//! Reading request headers: the one "single value, refuse repeats" rule and the one
//! cookie jar. Every header a decision depends on is read through here; a value sent
//! twice is refused, never resolved by picking one (README "Origin checks", docs/SECURITY.md).

use http::HeaderMap;
use http::header::{AsHeaderName, COOKIE};

/// Why a value that must be single is refused. Callers map it to their own error or
/// deny reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSingle {
    /// Sent more than once.
    Repeated,
    /// A header value that is not visible ASCII text.
    NotText,
}

/// The one value of `values`: `Ok(None)` when there is none, `Err` when there are two
/// or more.
pub(crate) fn single<T>(values: impl IntoIterator<Item = T>) -> Result<Option<T>, NotSingle> {
    let mut values = values.into_iter();
    match (values.next(), values.next()) {
        (Some(_), Some(_)) => Err(NotSingle::Repeated),
        (first, _) => Ok(first),
    }
}

/// The one value of header `name`: `Ok(None)` when absent, `Err` when sent twice or not
/// text. API Gateway HTTP APIs join repeats with commas into one value, which is
/// returned as it is: a caller for whom a comma cannot be data checks for one.
pub(crate) fn single_value<K: AsHeaderName>(
    headers: &HeaderMap,
    name: K,
) -> Result<Option<&str>, NotSingle> {
    match single(headers.get_all(name))? {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| NotSingle::NotText),
    }
}

/// The text values of the request's `Cookie` headers; one that is not text is skipped
/// (a browser never sends one).
pub(crate) fn cookie_headers(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
}

/// The cookies of `Cookie` header values (`a=1; b=2`): each `name=value` as sent,
/// trimmed, empty ones skipped. This is how API Gateway builds the payload-2.0
/// `cookies` list.
pub fn cookie_strings<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> impl Iterator<Item = &'a str> {
    values
        .into_iter()
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// The name/value pairs of `Cookie` header values or of payload-2.0 `cookies`, split at
/// the first `=` (a value may contain more); a cookie without `=` is skipped.
pub(crate) fn cookie_pairs<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    cookie_strings(values).filter_map(|c| c.split_once('='))
}

/// The one value of cookie `name` across all of `values` (`Cookie` header values or
/// payload-2.0 `cookies`): `Err` when the cookie is sent twice, in one header or two.
pub(crate) fn single_cookie<'a>(
    values: impl IntoIterator<Item = &'a str>,
    name: &str,
) -> Result<Option<&'a str>, NotSingle> {
    single(
        cookie_pairs(values)
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v),
    )
}

/// [`single_cookie`] over the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, NotSingle> {
    single_cookie(cookie_headers(headers), name)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(name: &str, values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        let name = http::header::HeaderName::from_bytes(name.as_bytes()).unwrap();
        for v in values {
            h.append(name.clone(), HeaderValue::from_bytes(v).unwrap());
        }
        h
    }

    #[test]
    fn a_single_value_is_one_value() {
        assert_eq!(single(Vec::<u8>::new()), Ok(None));
        assert_eq!(single([1]), Ok(Some(1)));
        assert_eq!(single([1, 1]), Err(NotSingle::Repeated));
        assert_eq!(single([1, 2, 3]), Err(NotSingle::Repeated));
    }

    #[test]
    fn a_header_sent_twice_or_not_text_is_refused() {
        let v = |values: &[&[u8]]| {
            single_value(&headers("x-api-key", values), "x-api-key").map(|v| v.map(String::from))
        };
        assert_eq!(v(&[]), Ok(None), "absent");
        assert_eq!(v(&[b"k"]), Ok(Some("k".into())));
        assert_eq!(v(&[b"k", b"k"]), Err(NotSingle::Repeated));
        assert_eq!(v(&[b"k", b"\xff"]), Err(NotSingle::Repeated));
        assert_eq!(v(&[b"\xff"]), Err(NotSingle::NotText), "not UTF-8");
        assert_eq!(
            v(&["caf\u{e9}".as_bytes()]),
            Err(NotSingle::NotText),
            "UTF-8, not ASCII"
        );
        // HTTP APIs join repeats: one value, the caller looks for the comma.
        assert_eq!(v(&[b"a,b"]), Ok(Some("a,b".into())), "comma-joined");
        // Names are case-insensitive.
        let h = headers("X-Api-Key", &[b"k"]);
        assert_eq!(single_value(&h, "x-api-key"), Ok(Some("k")));
        assert_eq!(single_value(&h, http::header::ORIGIN), Ok(None));
    }

    #[test]
    fn cookies_are_split_into_pairs() {
        let pairs: Vec<_> = cookie_pairs(["a=1;b=2 ;  c = 3; ;flag; d==x=", "e=", ""]).collect();
        assert_eq!(
            pairs,
            [
                ("a", "1"),
                ("b", "2"),
                ("c ", " 3"),
                ("d", "=x="),
                ("e", "")
            ]
        );
        let strings: Vec<_> = cookie_strings([" a=1 ;; flag "]).collect();
        assert_eq!(strings, ["a=1", "flag"]);
    }

    #[test]
    fn cookie_values_are_found() {
        let h = headers(
            "cookie",
            &[b"a=1; __Host-gh_admin=xyz", b"__Host-gh_admin=later"],
        );
        assert_eq!(
            cookie(&h, "__Host-gh_admin"),
            Err(NotSingle::Repeated),
            "sent twice"
        );
        assert_eq!(cookie(&h, "a"), Ok(Some("1")));
        assert_eq!(cookie(&h, "b"), Ok(None));
        assert_eq!(cookie(&HeaderMap::new(), "a"), Ok(None));
        // With spaces, `=` in the value, twice in one header, a header that is not text.
        let h = headers("cookie", &[b"  s = x ;  t=a=b==  ", b"\xff; u=1"]);
        assert_eq!(cookie(&h, "t"), Ok(Some("a=b==")));
        assert_eq!(cookie(&h, "s "), Ok(Some(" x")), "names and values as sent");
        assert_eq!(cookie(&h, "s"), Ok(None));
        assert_eq!(cookie(&h, "u"), Ok(None), "skipped: not text");
        let h = headers("cookie", &[b"n=1; n=1"]);
        assert_eq!(
            cookie(&h, "n"),
            Err(NotSingle::Repeated),
            "twice in one header"
        );
        // Payload-2.0 `cookies`: one cookie per string.
        assert_eq!(single_cookie(["a=1", "n=2"], "n"), Ok(Some("2")));
        assert_eq!(single_cookie(["n=1", "n=2"], "n"), Err(NotSingle::Repeated));
    }
}
