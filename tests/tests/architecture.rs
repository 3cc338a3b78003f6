//! Architecture test: the layering of `shared/src` (crate `gatehouse`), read from disk.
//!
//! DESIGN.md section 1 (modules grouped by concern, one module per function never
//! importing another, adapters the only place SDK types appear) and section 7 ("one rule,
//! one home"). Every module name the rules depend on is in the table just below; the rest
//! is a small Rust lexer (comments, string literals, `#[cfg(test)]` modules, `crate::` and
//! `super::` paths) and pure checkers over `&[(path, source)]` that return every
//! violation, each with self-tests on in-memory fixtures so that it cannot silently pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// ---- The layout: module paths (`a::b` includes `a::b::*`; `crate` is lib.rs alone) ----

/// The crate root in the tables below.
const ROOT: &str = "crate";
/// One module per Lambda; none imports a sibling.
const FUNCTIONS: &str = "functions";
/// Everything that touches the AWS SDK, reqwest or the Lambda runtime.
const ADAPTERS: &str = "adapters";
/// The headers primitive: single_value, the cookie jar.
const HEADERS: &str = "primitives::headers";
/// Longest file, not counting its `#[cfg(test)]` modules.
const MAX_LINES: usize = 400;

/// The rules homes: (rule, its homes, its finder). Outside the homes, in code (not in
/// comments, not in `#[cfg(test)]` modules), the finder finds nothing.
#[rustfmt::skip]
const HOMES: &[(&str, &[&str], Finder)] = &[
    ("ALLOWED_ORIGINS is read",                       &["config"],                 allowed_origins),
    ("the Origin header is read",                     &["authz::origin", HEADERS], origin_header),
    ("a Cookie header is split",                      &[HEADERS],                  cookie_header),
    ("an issuer is formatted from a domain",          &["http::issuer"],           issuer_format),
    ("a multi-valued header is read",                 &[HEADERS],                  get_all),
    ("an SDK, HTTP client or runtime crate is named", &[ADAPTERS, ROOT],           sdk_crates),
    ("a DynamoDB key is formatted",                   &["records::keys"],          dynamo_key),
];

/// Crates only adapters name (`*`: a prefix). lambda_http, aws_lambda_events: anywhere.
const SDK_CRATES: &str =
    "aws_sdk_* aws_config aws_smithy_* aws_sigv4 aws_credential_types reqwest lambda_runtime";

/// Backticked paths with these prefixes in `## Folder map` of docs/ARCHITECTURE.md exist.
const MAP_PREFIXES: &str = "shared/ functions/ local/ tests/ fuzz/ docs/";

type Finder = fn(&Source) -> Vec<(usize, String)>;

// ---- Parsing ----

/// One file: `code` is the source with comments and literal contents blanked (same lines).
struct Source {
    path: String,
    module: Vec<String>,
    code: String,
    /// String literals: position of the opening quote in `code`, contents.
    literals: Vec<(usize, String)>,
    line_starts: Vec<usize>,
    /// `test[line]` (1-based): the line is in a `#[cfg(test)]` module.
    test: Vec<bool>,
    /// `#[cfg(test)] mod name;`: child files that are all tests.
    test_children: Vec<String>,
    /// Inline `mod name { .. }`: name, open and close brace (to resolve `super::`).
    inline_mods: Vec<(String, usize, usize)>,
}

impl Source {
    fn line(&self, pos: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= pos)
    }
    fn is_test(&self, line: usize) -> bool {
        self.test.get(line).copied().unwrap_or(false)
    }
    /// The module at `pos`: the file's, plus the inline modules around it.
    fn module_at(&self, pos: usize) -> Vec<String> {
        let around = self
            .inline_mods
            .iter()
            .filter(|(_, o, c)| *o < pos && pos < *c);
        [self.module.clone(), around.map(|m| m.0.clone()).collect()].concat()
    }
}

/// `lib.rs` is the root, `a/mod.rs` is `a`, `a/b.rs` and `a/b/mod.rs` are `a::b`.
fn module_path(path: &str) -> Vec<String> {
    let mut segs: Vec<String> = path
        .trim_end_matches(".rs")
        .split('/')
        .map(Into::into)
        .collect();
    if segs.last().is_some_and(|s| s == "mod") || segs == ["lib"] {
        segs.pop();
    }
    segs
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        ROOT.into()
    } else {
        module.join("::")
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Blanks comments and the contents of string and char literals (keeping newlines, so
/// lines stay put) and returns the string literals apart.
fn strip(src: &str) -> (String, Vec<(usize, String)>) {
    let s: Vec<char> = src.chars().collect();
    let at = |i: usize| s.get(i).copied().unwrap_or('\0');
    let blank = |code: &mut String, c: char| code.push(if c == '\n' { c } else { ' ' });
    let (mut code, mut literals, mut i) = (String::new(), Vec::new(), 0);
    while i < s.len() {
        let (c, before) = (s[i], |k: usize| if i >= k { s[i - k] } else { '\0' });
        let raw = c == 'r' && (!is_ident(before(1)) || (before(1) == 'b' && !is_ident(before(2))));
        let hashes = (i + 1..).take_while(|&j| at(j) == '#').count();
        if c == '/' && at(i + 1) == '/' {
            while i < s.len() && s[i] != '\n' {
                code.push(' ');
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < s.len() {
                let step = match (s[i], at(i + 1)) {
                    ('/', '*') => 1,
                    ('*', '/') => -1,
                    _ => 0,
                };
                let n = if step == 0 { 1 } else { 2 };
                for &ch in &s[i..(i + n).min(s.len())] {
                    blank(&mut code, ch);
                }
                (depth, i) = (depth + step, i + n);
                if depth == 0 {
                    break;
                }
            }
        } else if c == '"' || (raw && at(i + 1 + hashes) == '"') {
            // `"..."` (escapes skipped two chars at a time) or `r#"..."#` (no escapes).
            let hashes = if c == '"' { 0 } else { hashes };
            let open = if c == '"' { 1 } else { 2 + hashes };
            code.extend(&s[i..i + open]);
            let (pos, mut text) = (code.len() - 1, String::new());
            i += open;
            let end = |i: usize| s[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#');
            while i < s.len() && !end(i) {
                let n = if s[i] == '\\' && c == '"' { 2 } else { 1 };
                for &ch in &s[i..(i + n).min(s.len())] {
                    text.push(ch);
                    blank(&mut code, ch);
                }
                i += n;
            }
            code.extend(&s[i.min(s.len())..(i + 1 + hashes).min(s.len())]);
            i += 1 + hashes;
            literals.push((pos, text));
        } else if c == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A char literal ('"', '\'', '\u{7b}'); otherwise a lifetime or a label.
            let close =
                (i + 2..s.len()).find(|&j| s[j] == '\'' && (j > i + 2 || at(i + 1) != '\\'));
            let close = close.unwrap_or(s.len());
            code.push('\'');
            s[i + 1..close.min(s.len())]
                .iter()
                .for_each(|&ch| blank(&mut code, ch));
            code.push('\'');
            i = close + 1;
        } else {
            code.push(c);
            i += 1;
        }
    }
    (code, literals)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn ident_at(b: &[u8], i: usize) -> Option<(String, usize)> {
    let len = b
        .get(i..)?
        .iter()
        .take_while(|&&c| is_ident(c as char))
        .count();
    let id = String::from_utf8_lossy(&b[i..i + len]).into_owned();
    (len > 0 && !b[i].is_ascii_digit()).then_some((id, i + len))
}

/// Positions of `word` in `code` as a whole word.
fn words<'a>(code: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let b = code.as_bytes();
    let edge = move |i: usize| b.get(i).is_none_or(|&c| !is_ident(c as char));
    let hits = code.match_indices(word).map(|(i, _)| i);
    hits.filter(move |&i| (i == 0 || edge(i - 1)) && edge(i + word.len()))
}

/// The index of `close` matching the bracket at `open`.
fn matching(b: &[u8], open: usize, close: u8) -> usize {
    let mut depth = 0;
    for (i, &x) in b.iter().enumerate().skip(open) {
        depth += i32::from(x == b[open]) - i32::from(x == close);
        if depth == 0 {
            return i;
        }
    }
    b.len().saturating_sub(1)
}

/// Expands the path or `use` tree at `*i`: `a::{b, c::{self, d as e}}` gives `a::b`,
/// `a::c`, `a::c::d`, each with the position of its last segment.
fn tree(b: &[u8], i: &mut usize, mut path: Vec<String>, out: &mut Vec<(Vec<String>, usize)>) {
    let mut last = *i;
    loop {
        *i = skip_ws(b, *i);
        if b.get(*i) == Some(&b'{') {
            *i += 1;
            while b.get(skip_ws(b, *i)).is_some_and(|&c| c != b'}') {
                let before = skip_ws(b, *i);
                *i = before;
                if b[before] != b',' {
                    tree(b, i, path.clone(), out);
                }
                *i = (*i).max(before + 1);
            }
            *i = skip_ws(b, *i) + 1;
            return;
        }
        let star = (b.get(*i) == Some(&b'*')).then(|| ("*".to_string(), *i + 1));
        let Some((seg, end)) = ident_at(b, *i).or(star) else {
            break;
        };
        if seg != "self" || path.is_empty() {
            path.push(seg);
            last = *i;
        }
        *i = skip_ws(b, end);
        if !b[(*i).min(b.len())..].starts_with(b"::") {
            break;
        }
        *i += 2;
    }
    if word_at(b, *i, "as") {
        *i = ident_at(b, skip_ws(b, *i + 3)).map_or(*i + 3, |(_, end)| end);
    }
    if !path.is_empty() {
        out.push((path, last));
    }
}

/// `w` at `i`, not followed by an identifier character.
fn word_at(b: &[u8], i: usize, w: &str) -> bool {
    let rest = &b[i.min(b.len())..];
    rest.starts_with(w.as_bytes()) && !rest.get(w.len()).is_some_and(|&c| is_ident(c as char))
}

fn paths_at(b: &[u8], mut i: usize) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    tree(b, &mut i, Vec::new(), &mut out);
    out
}

/// `crate::a::b` is `a::b`; `super::c` from `a::b` is `a::c`; None above the root.
fn resolve(here: &[String], raw: &[String]) -> Option<Vec<String>> {
    if raw[0] == "crate" {
        return Some(raw[1..].to_vec());
    }
    let ups = raw.iter().take_while(|s| *s == "super").count();
    let base = here.get(..here.len().checked_sub(ups)?)?;
    Some([base, &raw[ups..]].concat())
}

fn parse(path: &str, src: &str) -> Source {
    let (code, literals) = strip(src);
    let b = code.as_bytes();
    let mut line_starts = vec![0];
    line_starts.extend(code.match_indices('\n').map(|(i, _)| i + 1));
    let (module, test) = (module_path(path), vec![false; line_starts.len() + 2]);
    let (test_children, inline_mods) = (Vec::new(), Vec::new());
    let path = path.to_string();
    let mut s = Source {
        path,
        module,
        code: String::new(),
        literals,
        line_starts,
        test,
        test_children,
        inline_mods,
    };
    for m in words(&code, "mod") {
        let Some((n, end)) = ident_at(b, skip_ws(b, m + 3)) else {
            continue;
        };
        let open = skip_ws(b, end);
        if b.get(open) == Some(&b'{') {
            s.inline_mods.push((n, open, matching(b, open, b'}')));
        }
    }
    for at in code.match_indices("#[cfg(test)]").map(|(i, _)| i) {
        // Skip this and other attributes and a visibility, then expect `mod name`.
        let mut i = skip_ws(b, at);
        while b[i..].starts_with(b"#[") || word_at(b, i, "pub") {
            i = match b[i] {
                b'#' => matching(b, i + 1, b']') + 1,
                _ if b.get(skip_ws(b, i + 3)) == Some(&b'(') => {
                    matching(b, skip_ws(b, i + 3), b')') + 1
                }
                _ => i + 3,
            };
            i = skip_ws(b, i);
        }
        let Some((n, end)) = ident_at(b, skip_ws(b, i + 3)).filter(|_| word_at(b, i, "mod")) else {
            continue;
        };
        let open = skip_ws(b, end);
        let close = match b.get(open) {
            Some(b'{') => matching(b, open, b'}'),
            Some(b';') => open,
            _ => continue,
        };
        if b[open] == b';' {
            s.test_children.push(n);
        }
        (s.line(at)..=s.line(close)).for_each(|l| s.test[l] = true);
    }
    s.code = code;
    s
}

/// Parses every file; a file declared `#[cfg(test)] mod x;` is all tests.
fn parse_all(files: &[(&str, &str)]) -> Vec<Source> {
    let mut all: Vec<Source> = files.iter().map(|(p, src)| parse(p, src)).collect();
    let child = |s: &Source, c: &String| [s.module.clone(), vec![c.clone()]].concat();
    let tests: Vec<Vec<String>> = all
        .iter()
        .flat_map(|s| s.test_children.iter().map(|c| child(s, c)))
        .collect();
    for s in all
        .iter_mut()
        .filter(|s| tests.iter().any(|t| s.module.starts_with(t)))
    {
        s.test.iter_mut().for_each(|t| *t = true);
    }
    all
}

/// Every `crate::` and `super::` path of the file, tests included: (line, absolute path).
fn references(s: &Source) -> Vec<(usize, Vec<String>)> {
    let b = s.code.as_bytes();
    let starts = words(&s.code, "crate").chain(words(&s.code, "super"));
    let mut out = Vec::new();
    for at in starts.filter(|&i| !b[..i].trim_ascii_end().ends_with(b"::")) {
        for (raw, pos) in paths_at(b, at).into_iter().filter(|(p, _)| p.len() > 1) {
            out.extend(resolve(&s.module_at(at), &raw).map(|abs| (s.line(pos), abs)));
        }
    }
    out
}

/// The module a path names: its longest prefix that is a module of the tree.
fn module_of(known: &BTreeSet<Vec<String>>, path: &[String]) -> Vec<String> {
    let prefixes = (0..=path.len()).rev().map(|n| path[..n].to_vec());
    prefixes
        .into_iter()
        .find(|p| known.contains(p))
        .unwrap_or_default()
}

fn known_modules(all: &[Source]) -> BTreeSet<Vec<String>> {
    all.iter()
        .flat_map(|s| (0..=s.module.len()).map(|n| s.module[..n].to_vec()))
        .collect()
}

fn in_home(module: &[String], homes: &[&str]) -> bool {
    let segs = |h: &str| h.split("::").map(String::from).collect::<Vec<_>>();
    homes.iter().any(|h| {
        if *h == ROOT {
            module.is_empty()
        } else {
            module.starts_with(&segs(h))
        }
    })
}

// ---- Rules: pure checkers over (path relative to shared/src, source) ----

/// Rule 1: cycles between top-level modules, each with its edges.
fn cycles(files: &[(&str, &str)]) -> Vec<String> {
    let all = parse_all(files);
    let known = known_modules(&all);
    let mut edges: BTreeMap<&String, BTreeMap<String, String>> = BTreeMap::new();
    for s in all.iter().filter(|s| !s.module.is_empty()) {
        for (line, path) in references(s) {
            let to = module_of(&known, &path);
            if to.first().is_some_and(|to| *to != s.module[0]) {
                let at = format!("{}:{line}", s.path);
                edges
                    .entry(&s.module[0])
                    .or_default()
                    .entry(to[0].clone())
                    .or_insert(at);
            }
        }
    }
    let reach = |from: &String| {
        let (mut seen, mut todo) = (BTreeSet::new(), vec![from.clone()]);
        while let Some(n) = todo.pop() {
            let next = edges.get(&n).into_iter().flat_map(|e| e.keys());
            todo.extend(next.filter(|m| seen.insert((*m).clone())).cloned());
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|n| (*n, reach(n))).collect();
    let (mut done, mut out) = (BTreeSet::new(), Vec::new());
    for (n, r) in reaches.iter().filter(|(n, r)| r.contains(**n)) {
        let back = |m: &&String| reaches.get(*m).is_some_and(|rm| rm.contains(*n));
        let members: Vec<&String> = r.iter().filter(back).collect();
        if !done.insert(members.clone()) {
            continue;
        }
        let inside = |a: &&String| edges[*a].iter().filter(|(b, _)| members.contains(b));
        let via: Vec<String> = members
            .iter()
            .flat_map(|a| inside(a).map(move |(b, at)| format!("{a} -> {b} ({at})")))
            .collect();
        let names: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
        out.push(format!(
            "cycle between {{{}}}: {}",
            names.join(", "),
            via.join("; ")
        ));
    }
    out
}

/// Rule 2: a module under `functions` importing another one.
fn function_siblings(files: &[(&str, &str)]) -> Vec<String> {
    let all = parse_all(files);
    let known = known_modules(&all);
    let mut out = Vec::new();
    for s in all
        .iter()
        .filter(|s| s.module.len() > 1 && s.module[0] == FUNCTIONS)
    {
        for (line, path) in references(s) {
            let to = module_of(&known, &path);
            if to.len() > 1 && to[0] == FUNCTIONS && to[1] != s.module[1] {
                let (from, to) = (name(&s.module), name(&path));
                out.push(format!("{}:{line}: {from} imports {to}", s.path));
            }
        }
    }
    out
}

/// Rule 3: `crate::adapters` named outside adapters.
fn adapter_refs(files: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for s in parse_all(files)
        .iter()
        .filter(|s| s.module.first().is_none_or(|m| m != ADAPTERS))
    {
        for (line, path) in references(s).into_iter().filter(|(_, p)| p[0] == ADAPTERS) {
            let (from, to) = (name(&s.module), name(&path));
            out.push(format!("{}:{line}: {from} references {to}", s.path));
        }
    }
    out
}

/// Rule 4: files longer than `max` lines, not counting `#[cfg(test)]` modules.
fn long_files(files: &[(&str, &str)], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for s in parse_all(files) {
        let n = (1..=s.code.lines().count())
            .filter(|&l| !s.is_test(l))
            .count();
        if n > max {
            out.push(format!(
                "{}: {n} lines without #[cfg(test)] modules (limit {max})",
                s.path
            ));
        }
    }
    out
}

/// Rule 5: what each finder finds outside its homes, in code outside tests.
fn home_violations(files: &[(&str, &str)], table: &[(&str, &[&str], Finder)]) -> Vec<String> {
    let (all, mut out) = (parse_all(files), Vec::new());
    for (rule, homes, find) in table {
        for s in all.iter().filter(|s| !in_home(&s.module, homes)) {
            let mut hits = BTreeMap::new(); // the first hit of each line
            for (line, what) in find(s).into_iter().filter(|(l, _)| !s.is_test(*l)) {
                hits.entry(line).or_insert(what);
            }
            let homes = homes.join(", ");
            out.extend(
                hits.iter()
                    .map(|(l, w)| format!("{}:{l}: {rule} outside {{{homes}}}: {w}", s.path)),
            );
        }
    }
    out
}

// ---- Finders of rule 5: (line, what) ----

fn literal_hits(s: &Source, hit: impl Fn(&str) -> bool) -> Vec<(usize, String)> {
    let lits = s.literals.iter().filter(|(_, text)| hit(text));
    lits.map(|(pos, text)| (s.line(*pos), format!("\"{text}\"")))
        .collect()
}

fn allowed_origins(s: &Source) -> Vec<(usize, String)> {
    literal_hits(s, |t| t == "ALLOWED_ORIGINS")
}

fn issuer_format(s: &Source) -> Vec<(usize, String)> {
    literal_hits(s, |t| t.contains("https://{"))
}

fn dynamo_key(s: &Source) -> Vec<(usize, String)> {
    literal_hits(s, |t| t.contains("#{"))
}

fn get_all(s: &Source) -> Vec<(usize, String)> {
    s.code
        .match_indices(".get_all(")
        .map(|(p, m)| (s.line(p), m.into()))
        .collect()
}

fn sdk_crates(s: &Source) -> Vec<(usize, String)> {
    let is_sdk = |id: &str, c: &str| c.strip_suffix('*').map_or(id == c, |p| id.starts_with(p));
    let (b, mut hits, mut i) = (s.code.as_bytes(), Vec::new(), 0);
    while i < b.len() {
        match ident_at(b, i) {
            Some((id, end)) => {
                if SDK_CRATES.split(' ').any(|c| is_sdk(&id, c)) {
                    hits.push((s.line(i), id));
                }
                i = end;
            }
            None => i += 1,
        }
    }
    hits
}

fn origin_header(s: &Source) -> Vec<(usize, String)> {
    [
        header_const(s, "ORIGIN", false),
        header_literal(s, "origin"),
    ]
    .concat()
}

fn cookie_header(s: &Source) -> Vec<(usize, String)> {
    [header_const(s, "COOKIE", true), header_literal(s, "cookie")].concat()
}

/// `header::NAME` as a path or in a `use http::header::{..}` group; the bare identifier
/// `NAME` too when `bare`, or after `use http::header::*`.
fn header_const(s: &Source, name: &str, bare: bool) -> Vec<(usize, String)> {
    let (mut hits, mut glob) = (Vec::new(), false);
    for (path, pos) in words(&s.code, "header").flat_map(|at| paths_at(s.code.as_bytes(), at)) {
        match path.get(1) {
            Some(n) if n == name => hits.push((s.line(pos), format!("header::{name}"))),
            Some(n) => glob |= n == "*",
            None => {}
        }
    }
    if bare || glob {
        hits.extend(words(&s.code, name).map(|p| (s.line(p), name.to_string())));
    }
    hits
}

/// A literal `name` (any case) used as a header name: the statement around it mentions
/// `header` (`headers.get("origin")`, `single_header(h, "origin")`, `HeaderName::..`).
fn header_literal(s: &Source, name: &str) -> Vec<(usize, String)> {
    let b = s.code.as_bytes();
    let stop = |c: &u8| matches!(c, b';' | b'{' | b'}');
    let statement = |pos: usize| {
        let start = b[..pos].iter().rposition(stop).map_or(0, |i| i + 1);
        let end = b[pos..].iter().position(stop).map_or(b.len(), |i| pos + i);
        s.code[start..end].to_ascii_lowercase()
    };
    let is_name = |(pos, text): &&(usize, String)| {
        text.eq_ignore_ascii_case(name) && statement(*pos).contains("header")
    };
    let used = s.literals.iter().filter(is_name);
    used.map(|(pos, text)| (s.line(*pos), format!("\"{text}\" as a header name")))
        .collect()
}

// ---- The architecture map ----

/// Backticked paths of `## Folder map` exist (per `exists`), and every directory of
/// `dirs` (`shared/src/..`, from the repository root) is listed there.
fn folder_map(doc: &str, exists: &dyn Fn(&str) -> bool, dirs: &[String]) -> Vec<String> {
    let mut lines = doc.lines().skip_while(|l| l.trim_end() != "## Folder map");
    if lines.next().is_none() {
        return vec!["docs/ARCHITECTURE.md has no `## Folder map` section".into()];
    }
    let section = lines.take_while(|l| !l.starts_with("# ") && !l.starts_with("## "));
    let (mut listed, mut out) = (BTreeSet::new(), Vec::new());
    for line in section.filter(|l| !l.trim_start().starts_with("```")) {
        let spans = line.split('`').skip(1).step_by(2).map(str::trim);
        for path in spans.filter(|p| MAP_PREFIXES.split(' ').any(|pre| p.starts_with(pre))) {
            if !exists(path) {
                out.push(format!("`{path}` is in the folder map but not on disk"));
            }
            listed.insert(path.trim_end_matches('/'));
        }
    }
    let missing = dirs.iter().filter(|d| !listed.contains(d.as_str()));
    out.extend(missing.map(|d| format!("directory `{d}/` is not in the folder map")));
    out
}

// ---- The real tree ----

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under shared/src (path relative to it, source) and every directory
/// (relative to the repository root), sorted.
fn tree_on_disk() -> (Vec<(String, String)>, Vec<String>) {
    let (mut files, mut dirs, mut todo) = (Vec::new(), Vec::new(), vec![String::new()]);
    while let Some(rel) = todo.pop() {
        let dir = repo().join("shared/src").join(&rel);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for e in entries.map(|e| e.expect("a directory entry")) {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if e.path().is_dir() {
                dirs.push(format!("shared/src/{rel}"));
                todo.push(rel);
            } else if name.ends_with(".rs") {
                files.push((
                    rel,
                    std::fs::read_to_string(e.path()).expect("a source file"),
                ));
            }
        }
    }
    files.sort();
    dirs.sort();
    assert!(
        files.iter().any(|(p, _)| p == "lib.rs") && files.len() > 1,
        "shared/src unread"
    );
    (files, dirs)
}

fn check(rule: &str, find: impl Fn(&[(&str, &str)]) -> Vec<String>) {
    let (files, _) = tree_on_disk();
    let v = find(
        &files
            .iter()
            .map(|(p, s)| (p.as_str(), s.as_str()))
            .collect::<Vec<_>>(),
    );
    let n = v.len();
    assert!(
        v.is_empty(),
        "{rule}: {n} violation(s), paths under shared/src\n  {}\n",
        v.join("\n  ")
    );
}

#[test]
fn rule_1_no_cycle_between_top_level_modules() {
    check("rule 1, no cycle between top-level modules", cycles);
}

#[test]
fn rule_2_no_function_module_imports_another() {
    check(
        "rule 2, a module under `functions` never imports another",
        function_siblings,
    );
}

#[test]
fn rule_3_only_adapters_reference_adapters() {
    check(
        "rule 3, no module outside `adapters` references it",
        adapter_refs,
    );
}

#[test]
fn rule_4_no_file_over_the_line_limit() {
    check("rule 4, no file over the line limit", |f| {
        long_files(f, MAX_LINES)
    });
}

#[test]
fn rule_5_one_home_per_rule() {
    check("rule 5, one home per rule", |f| home_violations(f, HOMES));
}

#[test]
fn architecture_map_lists_the_folders() {
    let doc = std::fs::read_to_string(repo().join("docs/ARCHITECTURE.md"));
    let doc = doc.unwrap_or_else(|e| panic!("docs/ARCHITECTURE.md is missing ({e})"));
    let v = folder_map(&doc, &|p| repo().join(p).exists(), &tree_on_disk().1);
    let n = v.len();
    assert!(
        v.is_empty(),
        "docs/ARCHITECTURE.md `## Folder map`: {n} problem(s)\n  {}\n",
        v.join("\n  ")
    );
}

// ---- Self-tests of the checkers ----

fn targets(path: &str, src: &str) -> Vec<String> {
    let refs = references(&parse(path, src));
    refs.iter()
        .map(|(line, path)| format!("{}@{line}", name(path)))
        .collect()
}

#[test]
fn file_paths_map_to_module_paths() {
    let m = |p: &str| name(&module_path(p));
    assert_eq!(
        [m("lib.rs"), m("authz/mod.rs"), m("authz/origin.rs")],
        ["crate", "authz", "authz::origin"]
    );
    assert_eq!(m("functions/token/mod.rs"), "functions::token");
    assert!(in_home(
        &module_path("primitives/headers/cookie.rs"),
        &[HEADERS]
    ));
    assert!(!in_home(
        &module_path("primitives/headers_extra.rs"),
        &[HEADERS]
    ));
    assert!(in_home(&[], &[ROOT]) && !in_home(&module_path("config.rs"), &[ROOT]));
}

#[test]
fn comments_strings_raw_strings_and_chars_are_blanked() {
    let src = r##"let q = '"'; // crate::x
let e = '\''; let r = r#"crate::y "q" "#; /* crate::z /* nested */ crate::z */
let s = "a\"crate::v"; let l: &'static str = b"w"; let u = '\u{22}'; crate::w::f();"##;
    let (code, lits) = strip(src);
    assert_eq!(code.lines().count(), src.lines().count());
    assert!(
        code.contains("crate::w::f()") && code.contains("&'static str"),
        "{code}"
    );
    for gone in ["crate::x", "crate::y", "crate::z", "crate::v", "22"] {
        assert!(!code.contains(gone), "{gone} in {code}");
    }
    let texts: Vec<&str> = lits.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts, [r#"crate::y "q" "#, r#"a\"crate::v"#, "w"]);
    assert_eq!(targets("a.rs", src), ["w::f@3"]);
}

#[test]
fn grouped_inline_and_super_paths_are_resolved() {
    let src = r"use crate::{a::b, c::{self, d, e as f}};
fn g() { crate::h::i(); }
use super::sib::X;
#[cfg(test)]
mod tests {
    use super::*;
    use super::super::up;
}";
    let expect = [
        "a::b@1",
        "c@1",
        "c::d@1",
        "c::e@1",
        "h::i@2",
        "m::sib::X@3",
        "m::n::*@6",
        "m::up@7",
    ];
    assert_eq!(targets("m/n.rs", src), expect);
    assert!(targets("lib.rs", "pub(crate) fn f() {} use super::x;").is_empty());
}

#[test]
fn a_two_module_cycle_is_found_and_root_items_are_no_edge() {
    let lib = ("lib.rs", "pub mod a;\npub mod b;\npub use error::Error;");
    let a = ("a/mod.rs", "use crate::b::B;\npub struct A;");
    let b = ("b.rs", "use crate::{Error, a::A};\npub struct B;");
    let found = cycles(&[lib, a, b]);
    assert_eq!(
        found,
        ["cycle between {a, b}: a -> b (a/mod.rs:1); b -> a (b.rs:1)"]
    );
    let b = (
        "b.rs",
        "use crate::Error;\nfn f() -> crate::Result<()> { Ok(()) }",
    );
    assert!(cycles(&[lib, a, b]).is_empty());
    let (b, c) = (
        ("b.rs", "use crate::c as _;"),
        ("c.rs", "fn f() { super::a::A; }"),
    );
    let found = cycles(&[lib, a, b, c]);
    assert_eq!(
        found,
        ["cycle between {a, b, c}: a -> b (a/mod.rs:1); b -> c (b.rs:1); c -> a (c.rs:1)"]
    );
}

#[test]
fn a_function_importing_another_is_found() {
    let files = [
        (
            "functions/mod.rs",
            "pub mod a;\npub mod b;\npub struct Deps;",
        ),
        (
            "functions/a.rs",
            "use super::Deps;\nuse crate::functions::a::x;\nuse super::b::handle;",
        ),
        (
            "functions/b/mod.rs",
            "fn handle() {}\n#[cfg(test)]\nmod t { use crate::functions::{a::x}; }",
        ),
    ];
    let expect = [
        "functions/a.rs:3: functions::a imports functions::b::handle",
        "functions/b/mod.rs:3: functions::b imports functions::a::x",
    ];
    assert_eq!(function_siblings(&files), expect);
}

#[test]
fn adapters_referenced_from_outside_are_found() {
    let files = [
        ("lib.rs", "#[cfg(feature = \"aws\")]\npub mod adapters;"),
        (
            "adapters/mod.rs",
            "pub mod dynamo;\nuse crate::adapters::dynamo::Table;",
        ),
        (
            "functions/token.rs",
            "// crate::adapters::x\nfn f() { crate::adapters::dynamo::T::new() }",
        ),
    ];
    let expect = ["functions/token.rs:2: functions::token references adapters::dynamo::T::new"];
    assert_eq!(adapter_refs(&files), expect);
}

#[test]
fn cfg_test_modules_are_excluded_from_the_line_count() {
    let src = "fn a() {}
fn b() {}
#[cfg(test)]
#[allow(dead_code)]
pub(crate) mod tests {
    fn c() { let _ = '}'; }
}";
    assert!(long_files(&[("a.rs", src)], 2).is_empty());
    let expect = ["a.rs: 2 lines without #[cfg(test)] modules (limit 1)"];
    assert_eq!(long_files(&[("a.rs", src)], 1), expect);
    let lib = ("lib.rs", "pub mod a;\n#[cfg(test)]\nmod test_log;");
    assert!(
        long_files(
            &[lib, ("test_log.rs", "fn x() {}\nfn y() {}\nfn z() {}")],
            1
        )
        .is_empty()
    );
}

#[test]
fn homes_ignore_comments_tests_and_set_cookie_and_find_the_rest() {
    let outside = r#"//! Splits `header::COOKIE`? No, a comment does not.
use http::header::{HeaderValue, SET_COOKIE};
const ORIGIN: &str = "origin"; // an attribute name
use http::header::{ORIGIN as O, COOKIE};
fn f(h: &HeaderMap) { h.get_all(COOKIE); single_header(h, "Origin"); }
fn g(d: &str) -> String { format!("https://{d}") + &format!("{}#{d}", "p") + "ALLOWED_ORIGINS" }
use aws_sdk_dynamodb::Client; use lambda_http::Request;
#[cfg(test)]
mod tests { fn t(h: &HeaderMap) { h.get_all(http::header::ORIGIN); } }"#;
    let expect = [
        "w.rs:6: ALLOWED_ORIGINS is read outside {config}: \"ALLOWED_ORIGINS\"",
        "w.rs:4: the Origin header is read outside {authz::origin, primitives::headers}: header::ORIGIN",
        "w.rs:5: the Origin header is read outside {authz::origin, primitives::headers}: \"Origin\" as a header name",
        "w.rs:4: a Cookie header is split outside {primitives::headers}: header::COOKIE",
        "w.rs:5: a Cookie header is split outside {primitives::headers}: COOKIE",
        "w.rs:6: an issuer is formatted from a domain outside {http::issuer}: \"https://{d}\"",
        "w.rs:5: a multi-valued header is read outside {primitives::headers}: .get_all(",
        "w.rs:7: an SDK, HTTP client or runtime crate is named outside {adapters, crate}: aws_sdk_dynamodb",
        "w.rs:6: a DynamoDB key is formatted outside {records::keys}: \"{}#{d}\"",
    ];
    assert_eq!(home_violations(&[("w.rs", outside)], HOMES), expect);
    let homes = [
        ("config/mod.rs", r#"fn v() { var("ALLOWED_ORIGINS") }"#),
        (
            "primitives/headers.rs",
            "use http::header::*;\nfn c(h: &H) { h.get_all(COOKIE); h.get_all(ORIGIN); }",
        ),
        (
            "authz/origin.rs",
            "fn o(h: &HeaderMap) { h.get(http::header::ORIGIN) }",
        ),
        (
            "http/issuer.rs",
            r#"fn i(d: &str) -> String { format!("https://{d}") }"#,
        ),
        (
            "records/keys.rs",
            r#"fn k(id: &str) -> String { format!("key#{id}") }"#,
        ),
        (
            "adapters/dynamo.rs",
            "use aws_sdk_dynamodb::Client; use reqwest::Client as Http;",
        ),
        (
            "lib.rs",
            "#[cfg(feature = \"aws\")]\nfn run() { lambda_runtime::run(); }",
        ),
    ];
    let v = home_violations(&homes, HOMES);
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn the_folder_map_is_checked_both_ways() {
    let doc = "# Architecture
## Folder map

- `shared/src/authz/` rules; `shared/src/authz/origin.rs` the Origin rule
- `functions/token/` and `docs/GONE.md`; `Cargo.toml` is not checked
```
shared/src/x/
```
## Next
`shared/src/records/`
";
    let exists = |p: &str| p != "docs/GONE.md";
    let dirs = [
        "shared/src/authz".to_string(),
        "shared/src/records".to_string(),
    ];
    let expect = [
        "`docs/GONE.md` is in the folder map but not on disk",
        "directory `shared/src/records/` is not in the folder map",
    ];
    assert_eq!(folder_map(doc, &exists, &dirs), expect);
    let none = folder_map("# Architecture\n", &exists, &dirs);
    assert_eq!(
        none,
        ["docs/ARCHITECTURE.md has no `## Folder map` section"]
    );
}
