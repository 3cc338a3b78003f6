//! Rule paths: segments, parameters and wildcards, and how a path spelling compares.

/// One segment of a rule path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Literal(String),
    Param(String),
    AnyOne,
}

/// A rule path, parsed once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    segments: Vec<Segment>,
    /// A final `/*`: the rest of the path, zero or more segments.
    rest: bool,
}

/// The segments of `/a/b` (`/` has none; a trailing slash leaves a final empty one).
pub(super) fn segments(path: &str) -> Vec<&str> {
    match path.strip_prefix('/') {
        Some("") | None => Vec::new(),
        Some(p) => p.split('/').collect(),
    }
}

/// A route parameter's name: what API Gateway allows between the braces.
fn valid_param_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A rule path `ROUTE_RULES` may not use; shown as "rule path `<path>`: <problem>".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule path `{path}`: {problem}")]
pub struct BadPath {
    pub path: String,
    pub problem: PathProblem,
}

/// What is wrong with a rule path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathProblem {
    #[error("must start with `/`")]
    NoLeadingSlash,
    #[error("empty segment")]
    EmptySegment,
    #[error("a parameter is `{{name}}` with a name of [A-Za-z0-9_] (no greedy `{{name+}}`)")]
    BadParameter,
    #[error("`*` and `{{name}}` must be whole segments")]
    PartialWildcard,
}

impl Pattern {
    pub(super) fn parse(path: &str) -> Result<Pattern, BadPath> {
        let bad = |problem| BadPath {
            path: path.to_owned(),
            problem,
        };
        if !path.starts_with('/') {
            return Err(bad(PathProblem::NoLeadingSlash));
        }
        let mut parts = segments(path);
        let rest = parts.last() == Some(&"*");
        if rest {
            parts.pop();
        }
        let mut out = Vec::with_capacity(parts.len());
        for seg in parts {
            out.push(match seg {
                "" => return Err(bad(PathProblem::EmptySegment)),
                "*" => Segment::AnyOne,
                s if s.starts_with('{') && s.ends_with('}') => {
                    let name = &s[1..s.len() - 1];
                    if !valid_param_name(name) {
                        return Err(bad(PathProblem::BadParameter));
                    }
                    Segment::Param(name.to_owned())
                }
                s if s.contains(['*', '{', '}']) => {
                    return Err(bad(PathProblem::PartialWildcard));
                }
                s => Segment::Literal(s.to_owned()),
            });
        }
        Ok(Pattern {
            segments: out,
            rest,
        })
    }

    /// Against the path template of a matched route: a literal equals the template's
    /// segment, `{name}` matches only `{name}`, `*` any one segment.
    pub(super) fn match_template(&self, template: &[&str]) -> Option<Vec<&str>> {
        if !self.length_fits(template.len()) {
            return None;
        }
        let mut params = Vec::new();
        for (seg, t) in self.segments.iter().zip(template) {
            match seg {
                Segment::Literal(l) if l == t => {}
                Segment::Param(n)
                    if t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) == Some(n) =>
                {
                    params.push(n.as_str());
                }
                Segment::AnyOne => {}
                _ => return None,
            }
        }
        Some(params)
    }

    /// Against a real path: a literal equals the segment (`loose`: ignoring case and
    /// percent-encoding of unreserved characters), `{name}` and `*` match any one
    /// segment. `Some(false)`: the shape matched but a `{name}` segment is empty.
    pub(super) fn match_path(
        &self,
        path: &[&str],
        loose: bool,
    ) -> Option<(bool, Vec<(String, String)>)> {
        if !self.length_fits(path.len()) {
            return None;
        }
        let mut params = Vec::new();
        let mut valid = true;
        for (seg, s) in self.segments.iter().zip(path) {
            match seg {
                Segment::Literal(l) if l == s => {}
                Segment::Literal(l) if loose && loosely_equal(l, s) => {}
                Segment::Literal(_) => return None,
                Segment::Param(n) => {
                    valid &= !s.is_empty();
                    params.push((n.clone(), (*s).to_owned()));
                }
                Segment::AnyOne if s.is_empty() => return None,
                Segment::AnyOne => {}
            }
        }
        Some((valid, params))
    }

    /// Whether `{name}` is one of the segments.
    pub(super) fn has_param(&self, name: &str) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Param(n) if n == name))
    }

    fn length_fits(&self, len: usize) -> bool {
        if self.rest {
            len >= self.segments.len()
        } else {
            len == self.segments.len()
        }
    }
}

/// Whether two segments read the same to a lenient backend: unreserved characters
/// percent-decoded, ASCII case folded. Allocates nothing.
fn loosely_equal(a: &str, b: &str) -> bool {
    canonical_bytes(a).eq(canonical_bytes(b))
}

fn canonical_bytes(segment: &str) -> impl Iterator<Item = u8> + '_ {
    let bytes = segment.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *bytes.get(i)?;
        let decoded = (b == b'%')
            .then(|| segment.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .filter(|d| d.is_ascii_alphanumeric() || b"-._~".contains(d));
        match decoded {
            Some(d) => {
                i += 3;
                Some(d.to_ascii_lowercase())
            }
            None => {
                i += 1;
                Some(b.to_ascii_lowercase())
            }
        }
    })
}
