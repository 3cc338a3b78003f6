//! Architecture test: the layering of `shared/src` (crate `gatehouse`), read from disk.
//!
//! docs/ARCHITECTURE.md describes the rules (modules grouped by concern in layers, one
//! module per function never importing another, adapters the only place SDK types
//! appear, one home per rule). Every module name the rules depend on is in the table just below; the rest
//! is a small Rust lexer (comments, string literals, `#[cfg(test)]` modules, `crate::` and
//! `super::` paths) and pure checkers over `&[(path, source)]` that return every
//! violation, each with self-tests on in-memory fixtures so that it cannot silently pass.
//! The docs' test citations are checked against `cargo test -- --list` (see
//! `the_docs_cite_tests_that_exist`).

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
/// The layers of docs/ARCHITECTURE.md, lowest first: a top-level module references only
/// modules of its own layer or lower ones.
const LAYERS: &[&[&str]] = &[
    // test_log: the unit tests' log capture (`#[cfg(test)]`), importing nothing.
    &["primitives", "test_log"],
    &["error"],
    &["authz"],
    &["records"],
    &["credentials"],
    &["requests", "answers"],
    &["config"],
    &["http"],
    &["functions"],
    &["adapters"],
];
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
    ("a DynamoDB key is formatted",                   &["records::key"],          dynamo_key),
];

/// Crates only adapters name (`*`: a prefix). lambda_http, aws_lambda_events: anywhere.
const SDK_CRATES: &str =
    "aws_sdk_* aws_config aws_smithy_* aws_sigv4 aws_credential_types reqwest lambda_runtime";

/// Backticked paths with these prefixes in `## Folder map` of docs/ARCHITECTURE.md exist.
const MAP_PREFIXES: &str = "shared/ functions/ local/ tests/ fuzz/ docs/";

type Finder = fn(&Source) -> Vec<(usize, String)>;
type Paths = Vec<(Vec<String>, usize)>;

// ---- Parsing ----

/// One file: its tokens (see `lex`) with their byte positions, and what they say.
struct Source {
    path: String,
    module: Vec<String>,
    toks: Vec<(usize, String)>,
    line_starts: Vec<usize>,
    lines: usize,
    /// `test[line]` (1-based): the line is in a `#[cfg(test)]` module.
    test: Vec<bool>,
    /// `#[cfg(test)] mod name;`: child files that are all tests.
    test_children: Vec<String>,
    /// Inline `mod name { .. }`: name, start and end (to resolve `super::`).
    inline_mods: Vec<(String, usize, usize)>,
}

impl Source {
    fn line(&self, pos: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= pos)
    }
    /// String literals: position and contents.
    fn literals(&self) -> impl Iterator<Item = (usize, &str)> {
        let toks = self.toks.iter();
        toks.filter_map(|(pos, t)| Some((*pos, t.strip_prefix('"')?)))
    }
    fn is_test(&self, line: usize) -> bool {
        self.test.get(line) == Some(&true)
    }
    fn tok(&self, j: usize) -> &str {
        self.toks.get(j).map_or("", |t| t.1.as_str())
    }
    /// The token closing the bracket opened at token `open`.
    fn close(&self, open: usize, close: &str) -> usize {
        let mut depth = 0;
        for j in open..self.toks.len() {
            depth += i32::from(self.tok(j) == self.tok(open)) - i32::from(self.tok(j) == close);
            if depth == 0 {
                return j;
            }
        }
        self.toks.len() - 1
    }
    /// The module at `pos`: the file's, plus the inline modules around it.
    fn module_at(&self, pos: usize) -> Vec<String> {
        let mods = &self.inline_mods;
        let around = mods.iter().filter(|(_, o, c)| *o < pos && pos < *c);
        [self.module.clone(), around.map(|m| m.0.clone()).collect()].concat()
    }
    /// The paths of the path or `use` tree at token `j`: `a::{b, c::{self, d as e}}`
    /// gives `a::b`, `a::c`, `a::c::d`, each with the position of its last segment.
    fn paths(&self, mut j: usize) -> Paths {
        let mut out = Vec::new();
        self.tree(&mut j, Vec::new(), &mut out);
        out
    }
    fn tree(&self, j: &mut usize, mut path: Vec<String>, out: &mut Paths) {
        let mut last = self.toks.get(*j).map_or(0, |t| t.0);
        loop {
            if self.tok(*j) == "{" {
                *j += 1;
                while !matches!(self.tok(*j), "}" | "") {
                    let before = *j;
                    if self.tok(*j) != "," {
                        self.tree(j, path.clone(), out);
                    }
                    *j = (*j).max(before + 1);
                }
                *j += 1;
                return;
            }
            let seg = self.tok(*j);
            if seg != "*" && !is_word(seg) {
                break;
            }
            if seg != "self" || path.is_empty() {
                path.push(seg.into());
                last = self.toks[*j].0;
            }
            *j += 1;
            if self.tok(*j) != "::" {
                break;
            }
            *j += 1;
        }
        if self.tok(*j) == "as" {
            *j += 2;
        }
        if !path.is_empty() {
            out.push((path, last));
        }
    }
}

/// `lib.rs` is the root, `a/mod.rs` is `a`, `a/b.rs` and `a/b/mod.rs` are `a::b`.
fn module_path(path: &str) -> Vec<String> {
    let path = path.trim_end_matches(".rs");
    let mut segs: Vec<String> = path.split('/').map(Into::into).collect();
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

fn top(module: &[String]) -> &str {
    module.first().map_or("", |s| s.as_str())
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_word(t: &str) -> bool {
    t.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// Splits Rust source into words (identifiers, numbers), `::`, single characters and
/// string literals (`".."`, `r#".."#`, `b".."`: one token, `"` and the contents, escapes
/// kept as written). Comments and char literals are left out; lifetimes are words.
fn lex(src: &str) -> Vec<(usize, String)> {
    let s: Vec<(usize, char)> = src.char_indices().collect();
    let c = |i: usize| s.get(i).map_or('\0', |x| x.1); // '\0': past the end
    let (mut out, mut i) = (Vec::new(), 0);
    while i < s.len() {
        let (pos, ch) = s[i];
        let br = usize::from(ch == 'b' && c(i + 1) == 'r');
        let hashes = (i + 1 + br..).take_while(|&j| c(j) == '#').count();
        let raw = (ch == 'r' || br == 1) && c(i + 1 + br + hashes) == '"';
        if ch == '/' && c(i + 1) == '/' {
            i = (i..).find(|&j| matches!(c(j), '\n' | '\0')).unwrap_or(i);
        } else if ch == '/' && c(i + 1) == '*' {
            let mut depth = 0;
            while i < s.len() {
                match (c(i), c(i + 1)) {
                    ('/', '*') => (depth, i) = (depth + 1, i + 2),
                    ('*', '/') => (depth, i) = (depth - 1, i + 2),
                    _ => i += 1,
                }
                if depth == 0 {
                    break;
                }
            }
        } else if ch == '"' || raw {
            let hashes = if raw { hashes } else { 0 };
            i += if raw { 2 + br + hashes } else { 1 };
            let mut text = String::from('"');
            while i < s.len() && !(c(i) == '"' && (1..=hashes).all(|k| c(i + k) == '#')) {
                let n = if c(i) == '\\' && !raw { 2 } else { 1 };
                text.extend((i..i + n).map(c));
                i += n;
            }
            out.push((pos, text));
            i += 1 + hashes;
        } else if ch == '\'' && (c(i + 1) == '\\' || c(i + 2) == '\'') {
            // A char literal ('"', '\'', '\u{7b}'), not a lifetime.
            let escaped = (i + 3..).find(|&j| matches!(c(j), '\'' | '\0'));
            i = if c(i + 1) == '\\' {
                escaped.unwrap_or(i) + 1
            } else {
                i + 3
            };
        } else if ch.is_whitespace() {
            i += 1;
        } else {
            let word = s[i..].iter().take_while(|x| is_ident(x.1)).count();
            let n = word.max(1 + usize::from(src[pos..].starts_with("::"))); // a word, `::` or one
            let end = s.get(i + n).map_or(src.len(), |x| x.0);
            out.push((pos, src[pos..end].to_string()));
            i += n;
        }
    }
    out
}

fn parse(path: &str, src: &str) -> Source {
    let mut line_starts = vec![0];
    line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
    let mut s = Source {
        path: path.into(),
        module: module_path(path),
        toks: lex(src),
        lines: src.lines().count(),
        test: vec![false; line_starts.len() + 1],
        line_starts,
        test_children: Vec::new(),
        inline_mods: Vec::new(),
    };
    const CFG_TEST: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    for j in 0..s.toks.len() {
        let (at, mut k) = (s.toks[j].0, j + CFG_TEST.len());
        if s.tok(j) == "mod" && is_word(s.tok(j + 1)) && s.tok(j + 2) == "{" {
            let end = s.toks[s.close(j + 2, "}")].0;
            s.inline_mods.push((s.tok(j + 1).into(), at, end));
        }
        if !(j..k).map(|i| s.tok(i)).eq(CFG_TEST) {
            continue;
        }
        // Other attributes and a visibility may follow, then `mod name {` or `mod name;`.
        loop {
            k = match s.tok(k) {
                "#" => s.close(k + 1, "]") + 1,
                "pub" if s.tok(k + 1) == "(" => s.close(k + 1, ")") + 1,
                "pub" => k + 1,
                _ => break,
            };
        }
        let end = match (s.tok(k), s.tok(k + 2)) {
            ("mod", "{") => s.close(k + 2, "}"),
            ("mod", ";") => k + 2,
            _ => continue,
        };
        if s.tok(end) == ";" {
            let child = s.tok(k + 1).to_string();
            s.test_children.push(child);
        }
        let lines = s.line(at)..=s.line(s.toks[end].0);
        lines.for_each(|l| s.test[l] = true);
    }
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
    for s in &mut all {
        if tests.iter().any(|t| s.module.starts_with(t)) {
            s.test.iter_mut().for_each(|t| *t = true);
        }
    }
    all
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

/// Every `crate::` and `super::` path of the file, tests included: (line, absolute path).
fn references(s: &Source) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    for j in 0..s.toks.len() {
        if !matches!(s.tok(j), "crate" | "super") || (j > 0 && s.tok(j - 1) == "::") {
            continue;
        }
        let here = s.module_at(s.toks[j].0);
        for (raw, pos) in s.paths(j).into_iter().filter(|(p, _)| p.len() > 1) {
            out.extend(resolve(&here, &raw).map(|abs| (s.line(pos), abs)));
        }
    }
    out
}

/// The module a path names: its longest prefix that is a module of the tree.
fn module_of(known: &BTreeSet<Vec<String>>, path: &[String]) -> Vec<String> {
    let mut prefixes = (0..=path.len()).rev().map(|n| path[..n].to_vec());
    prefixes.find(|p| known.contains(p)).unwrap_or_default()
}

fn known_modules(all: &[Source]) -> BTreeSet<Vec<String>> {
    let prefixes = |m: &Vec<String>| (0..=m.len()).map(|n| m[..n].to_vec()).collect::<Vec<_>>();
    all.iter().flat_map(|s| prefixes(&s.module)).collect()
}

fn in_home(module: &[String], homes: &[&str]) -> bool {
    let segs = |h: &str| h.split("::").map(String::from).collect::<Vec<_>>();
    let root = |h: &str| h == ROOT && module.is_empty();
    let within = |h: &&str| root(h) || (*h != ROOT && module.starts_with(&segs(h)));
    homes.iter().any(within)
}

// ---- Rules: pure checkers over (path relative to shared/src, source) ----

/// Rule 1: cycles between top-level modules, each with its edges.
/// Top-level module -> the top-level modules it references, each with where first.
fn top_edges(files: &[(&str, &str)]) -> BTreeMap<String, BTreeMap<String, String>> {
    let all = parse_all(files);
    let known = known_modules(&all);
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for s in all.iter().filter(|s| !s.module.is_empty()) {
        let from = top(&s.module);
        for (line, path) in references(s) {
            let to = module_of(&known, &path);
            if !to.is_empty() && to[0] != from {
                let at = format!("{}:{line}", s.path);
                let from_here = edges.entry(from.to_owned()).or_default();
                from_here.entry(to[0].clone()).or_insert(at);
            }
        }
    }
    edges
}

/// References from a top-level module to one of a higher layer ([`LAYERS`]), and
/// top-level modules the table does not place.
fn upward_imports(files: &[(&str, &str)], layers: &[&[&str]]) -> Vec<String> {
    let rank = |m: &str| layers.iter().position(|l| l.contains(&m));
    let mut out = Vec::new();
    for (from, to) in top_edges(files) {
        for (to, at) in to {
            match (rank(&from), rank(&to)) {
                (Some(a), Some(b)) if a < b => {
                    out.push(format!("{from} -> {to} ({at}): {to} is a higher layer"))
                }
                (Some(_), Some(_)) => {}
                (None, _) => out.push(format!("{from} ({at}) is in no layer")),
                (_, None) => out.push(format!("{to} ({at}) is in no layer")),
            }
        }
    }
    out
}

fn cycles(files: &[(&str, &str)]) -> Vec<String> {
    let edges = top_edges(files);
    let reach = |from: &str| {
        let (mut seen, mut todo) = (BTreeSet::new(), vec![from.to_string()]);
        while let Some(n) = todo.pop() {
            let next = edges.get(n.as_str()).into_iter().flat_map(|e| e.keys());
            todo.extend(next.filter(|m| seen.insert((*m).clone())).cloned());
        }
        seen
    };
    let reaches: BTreeMap<&str, BTreeSet<String>> =
        edges.keys().map(|n| (n.as_str(), reach(n))).collect();
    let (mut done, mut out) = (BTreeSet::new(), Vec::new());
    for (n, r) in reaches.iter().filter(|(n, r)| r.contains(**n)) {
        let back = |m: &&String| reaches.get(m.as_str()).is_some_and(|rm| rm.contains(*n));
        let scc: Vec<&String> = r.iter().filter(back).collect();
        if !done.insert(scc.clone()) {
            continue;
        }
        let mut via = Vec::new();
        for a in &scc {
            for (b, at) in edges[a.as_str()].iter().filter(|(b, _)| scc.contains(b)) {
                via.push(format!("{a} -> {b} ({at})"));
            }
        }
        let names: Vec<&str> = scc.iter().map(|m| m.as_str()).collect();
        let (names, via) = (names.join(", "), via.join("; "));
        out.push(format!("cycle between {{{names}}}: {via}"));
    }
    out
}

/// Rule 2: a module under `functions` importing another one.
fn function_siblings(files: &[(&str, &str)]) -> Vec<String> {
    let all = parse_all(files);
    let known = known_modules(&all);
    let mut out = Vec::new();
    let function = |s: &&Source| top(&s.module) == FUNCTIONS && s.module.len() > 1;
    for s in all.iter().filter(function) {
        for (line, path) in references(s) {
            let to = module_of(&known, &path);
            if top(&to) == FUNCTIONS && to.len() > 1 && to[1] != s.module[1] {
                let (from, to) = (name(&s.module), name(&path));
                out.push(format!("{}:{line}: {from} imports {to}", s.path));
            }
        }
    }
    out
}

/// Rule 3: `crate::adapters` named outside adapters.
fn adapter_refs(files: &[(&str, &str)]) -> Vec<String> {
    let (all, mut out) = (parse_all(files), Vec::new());
    for s in all.iter().filter(|s| top(&s.module) != ADAPTERS) {
        for (line, path) in references(s) {
            if top(&path) == ADAPTERS {
                let (from, to) = (name(&s.module), name(&path));
                out.push(format!("{}:{line}: {from} references {to}", s.path));
            }
        }
    }
    out
}

/// Rule 4: files longer than `max` lines, not counting `#[cfg(test)]` modules.
fn long_files(files: &[(&str, &str)], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for s in parse_all(files) {
        let n = (1..=s.lines).filter(|&l| !s.is_test(l)).count();
        if n > max {
            let what = "lines without #[cfg(test)] modules";
            out.push(format!("{}: {n} {what} (limit {max})", s.path));
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
            for (line, what) in hits {
                let at = format!("{}:{line}", s.path);
                out.push(format!("{at}: {rule} outside {{{homes}}}: {what}"));
            }
        }
    }
    out
}

// ---- Finders of rule 5: (line, what) ----

fn literal_hits(s: &Source, hit: impl Fn(&str) -> bool) -> Vec<(usize, String)> {
    let found = s.literals().filter(|(_, text)| hit(text));
    found
        .map(|(pos, text)| (s.line(pos), format!("\"{text}\"")))
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
    let call = |j: &usize| s.tok(j - 1) == "." && s.tok(*j) == "get_all" && s.tok(j + 1) == "(";
    let found = (1..s.toks.len()).filter(call);
    found
        .map(|j| (s.line(s.toks[j].0), ".get_all(".into()))
        .collect()
}

fn sdk_crates(s: &Source) -> Vec<(usize, String)> {
    let sdk = |t: &str, c: &str| c.strip_suffix('*').map_or(t == c, |p| t.starts_with(p));
    let named = |(_, t): &&(usize, String)| SDK_CRATES.split(' ').any(|c| sdk(t, c));
    let found = s.toks.iter().filter(named);
    found.map(|(pos, t)| (s.line(*pos), t.clone())).collect()
}

fn origin_header(s: &Source) -> Vec<(usize, String)> {
    header(s, "ORIGIN", false)
}

fn cookie_header(s: &Source) -> Vec<(usize, String)> {
    header(s, "COOKIE", true)
}

/// `header::NAME` as a path or in a `use http::header::{..}` group; the bare identifier
/// `NAME` too when `bare`, or after `use http::header::*`; `"name"` as a header name.
fn header(s: &Source, name: &str, bare: bool) -> Vec<(usize, String)> {
    let (mut hits, mut glob) = (header_literal(s, &name.to_lowercase()), false);
    for j in (0..s.toks.len()).filter(|&j| s.tok(j) == "header" && s.tok(j + 1) == "::") {
        for (path, pos) in s.paths(j) {
            match path.get(1).map_or("", String::as_str) {
                n if n == name => hits.push((s.line(pos), format!("header::{name}"))),
                n => glob |= n == "*",
            }
        }
    }
    if bare || glob {
        let uses = s.toks.iter().filter(|(_, t)| t == name);
        hits.extend(uses.map(|(pos, _)| (s.line(*pos), name.to_string())));
    }
    hits
}

/// A literal `name` (any case) used as a header name: the statement around it names
/// a `header` (`headers.get("origin")`, `single_header(h, "origin")`, `HeaderName::..`).
fn header_literal(s: &Source, name: &str) -> Vec<(usize, String)> {
    let stop = |k: &usize| matches!(s.tok(*k), ";" | "{" | "}");
    let word = |k: usize| is_word(s.tok(k)) && s.tok(k).to_ascii_lowercase().contains("header");
    let is_name = |t: &str| {
        t.strip_prefix('"')
            .is_some_and(|t| t.eq_ignore_ascii_case(name))
    };
    let mut hits = Vec::new();
    for (j, (pos, text)) in s.toks.iter().enumerate() {
        if is_name(text) {
            let start = (0..j).rev().find(stop).map_or(0, |k| k + 1);
            let end = (j..s.toks.len()).find(stop).unwrap_or(s.toks.len());
            if (start..end).any(word) {
                hits.push((s.line(*pos), format!("{text}\" as a header name")));
            }
        }
    }
    hits
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

// ---- Test names the docs cite ----

/// First segments of backticked `a::b` tokens in the docs that name something outside
/// this repository (crates), or a pattern (`module::tests::function`).
const NOT_CITATIONS: &str = "gatehouse form_urlencoded module file std serde serde_json tokio";

/// The tests in the output of `cargo test -- --list` (stdout and stderr): each
/// `path: test` line, also as `binary::path` under a `Running tests/…` line (a binary
/// of its own, e.g. `log_capture::…`).
fn listed_tests(list: &str) -> BTreeSet<String> {
    let (mut out, mut binary) = (BTreeSet::new(), None);
    for line in list.lines().map(str::trim) {
        if let Some(running) = line.strip_prefix("Running ") {
            let exe = running.rsplit_once(" (").map_or("", |(_, exe)| exe);
            let file = exe.trim_end_matches(')').rsplit('/').next().unwrap_or("");
            let name = file.rsplit_once('-').map_or(file, |(name, _hash)| name);
            binary = running.starts_with("tests/").then(|| name.to_owned());
        } else if let Some(path) = line.strip_suffix(": test") {
            out.extend(binary.iter().map(|b| format!("{b}::{path}")));
            out.insert(path.to_owned());
        }
    }
    out
}

/// Whether `src` defines `name` outside its `#[cfg(test)]` modules: `fn`, `const`,
/// `struct`, `enum`, `trait`, `type`, `static` or `mod`.
fn defines(src: &Source, name: &str) -> bool {
    let kinds = [
        "fn", "const", "struct", "enum", "trait", "type", "static", "mod",
    ];
    src.toks.windows(2).any(|w| {
        kinds.contains(&w[0].1.as_str()) && w[1].1 == name && !src.is_test(src.line(w[1].0))
    })
}

/// Every backticked `a::b[::c…]` in `doc` that names a test or item of this repository
/// and does not resolve. A test is cited by its path in `tests` (see `listed_tests`:
/// `file::function` in the e2e binary, `module::path::tests::function` for a unit
/// test), a group of tests by a module of such paths; anything else must be an item of
/// the library outside its tests (`module::path::name`, `lib`: the parsed shared/src).
fn dangling_citations(doc: &str, tests: &BTreeSet<String>, lib: &[Source]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, chunk) in doc.split('`').enumerate() {
        let parts: Vec<&str> = chunk.split("::").collect();
        let plain = |p: &&str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if i % 2 == 0 || parts.len() < 2 || !parts.iter().all(plain) {
            continue;
        }
        if NOT_CITATIONS.split(' ').any(|x| x == parts[0]) {
            continue;
        }
        let group = format!("{chunk}::");
        let a_test = tests.contains(chunk)
            || tests
                .range(group.clone()..)
                .next()
                .is_some_and(|t| t.starts_with(&group));
        let (module, name) = (&parts[..parts.len() - 1], parts[parts.len() - 1]);
        let an_item = lib.iter().any(|s| s.module == module && defines(s, name));
        if !a_test && !an_item {
            out.push(format!(
                "`{chunk}` names no listed test and no library item"
            ));
        }
    }
    out
}

/// Run by local/scripts/check-doc-citations.sh (in `make test`), which hands it the
/// list of every test of the workspace (`cargo test --workspace --all-targets -- --list`)
/// in `GATEHOUSE_TEST_LIST`.
#[test]
#[ignore = "needs the test list: bash local/scripts/check-doc-citations.sh"]
fn the_docs_cite_tests_that_exist() {
    let list = std::env::var("GATEHOUSE_TEST_LIST")
        .expect("GATEHOUSE_TEST_LIST: run bash local/scripts/check-doc-citations.sh");
    let list = std::fs::read_to_string(&list).unwrap_or_else(|e| panic!("{list}: {e}"));
    let tests = listed_tests(&list);
    for own in [
        "architecture::the_docs_cite_tests_that_exist",
        "authz::routes::tests::ambiguous_paths_are_denied",
    ] {
        assert!(tests.contains(own), "{own} is not in the test list");
    }
    let (files, _) = tree_on_disk();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, s)| (&p[..], &s[..])).collect();
    let lib = parse_all(&files);
    let mut v = Vec::new();
    let docs = std::fs::read_dir(repo().join("docs"))
        .expect("docs")
        .map(|e| e.expect("an entry").path());
    for path in docs.chain([repo().join("README.md")]) {
        if path.extension().is_some_and(|x| x == "md") {
            let doc = std::fs::read_to_string(&path).expect("a doc");
            let shown = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            v.extend(
                dangling_citations(&doc, &tests, &lib)
                    .into_iter()
                    .map(|d| format!("{shown}: {d}")),
            );
        }
    }
    assert!(
        v.is_empty(),
        "{} dangling citation(s) among {} listed tests:\n  {}\n",
        v.len(),
        tests.len(),
        v.join("\n  ")
    );
}

#[test]
fn citations_resolve_to_end_to_end_files_or_library_modules() {
    let list = "\
       Compiling gatehouse v0.1.0
     Running unittests src/lib.rs (target/debug/deps/gatehouse-0a1b2c3d)
requests::form::tests::forms_are_checked: test

1 tests, 0 benchmarks
     Running tests/e2e/main.rs (target/debug/deps/e2e-4e5f6a7b)
hygiene::every_route: test
     Running tests/log_capture.rs (/abs/target/debug/deps/log_capture-8c9d0e1f)
no_secret_in_logs: test
     Running benches/tokens.rs (target/debug/deps/tokens-2a3b4c5d)
token_issue/RS256: benchmark
";
    let tests = listed_tests(list);
    assert_eq!(
        tests.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "e2e::hygiene::every_route",
            "hygiene::every_route",
            "log_capture::no_secret_in_logs",
            "no_secret_in_logs",
            "requests::form::tests::forms_are_checked"
        ]
    );
    let lib = parse_all(&fixture(
        "== requests/mod.rs\npub mod form;\n\
         == requests/form.rs\npub fn read_form() {}\n#[cfg(test)]\nmod tests {\n    fn helper() {}\n    #[test]\n    fn forms_are_checked() {}\n}\n",
    ));
    let doc = "`hygiene::every_route`, `requests::form::tests::forms_are_checked`, \
               `requests::form::tests`, `requests::form::read_form`, `requests::form`, \
               `log_capture::no_secret_in_logs`, `gatehouse::x`, `Not::a_citation`, \
               `form::read_form`, `hygiene::gone`, `hygiene::every`, \
               `requests::form::forms_are_checked`, `requests::form::tests::helper`, \
               `requests::form::tests::gone`";
    assert_eq!(
        dangling_citations(doc, &tests, &lib),
        [
            "`form::read_form` names no listed test and no library item",
            "`hygiene::gone` names no listed test and no library item",
            "`hygiene::every` names no listed test and no library item",
            "`requests::form::forms_are_checked` names no listed test and no library item",
            "`requests::form::tests::helper` names no listed test and no library item",
            "`requests::form::tests::gone` names no listed test and no library item"
        ]
    );
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
            let rel = format!("{rel}/{name}").trim_start_matches('/').to_string();
            if e.path().is_dir() {
                dirs.push(format!("shared/src/{rel}"));
                todo.push(rel);
            } else if name.ends_with(".rs") {
                let src = std::fs::read_to_string(e.path()).expect("a source file");
                files.push((rel, src));
            }
        }
    }
    files.sort();
    dirs.sort();
    assert!(files.iter().any(|(p, _)| p == "lib.rs"), "no lib.rs");
    (files, dirs)
}

fn check(rule: &str, find: impl Fn(&[(&str, &str)]) -> Vec<String>) {
    let (files, _) = tree_on_disk();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, s)| (&p[..], &s[..])).collect();
    let v = find(&files);
    let (n, files) = (v.len(), files.len());
    let head = format!("{rule}: {n} violation(s) in {files} files of shared/src");
    assert!(v.is_empty(), "{head}\n  {}\n", v.join("\n  "));
}

macro_rules! rules {
    ($($test:ident: $rule:literal => $find:expr;)*) => {$(
        #[test]
        fn $test() {
            check($rule, $find);
        }
    )*};
}

rules! {
    rule_1_no_cycle_between_top_level_modules: "rule 1, no cycle between top-level modules" => cycles;
    rule_2_no_function_module_imports_another: "rule 2, no function module imports another" => function_siblings;
    rule_3_only_adapters_reference_adapters: "rule 3, only adapters reference adapters" => adapter_refs;
    rule_4_no_file_over_the_line_limit: "rule 4, no file over the line limit" => |f| long_files(f, MAX_LINES);
    rule_5_one_home_per_rule: "rule 5, one home per rule" => |f| home_violations(f, HOMES);
    rule_6_imports_go_down_the_layers: "rule 6, imports go down the layers" => |f| upward_imports(f, LAYERS);
}

#[test]
fn architecture_map_lists_the_folders() {
    let doc = std::fs::read_to_string(repo().join("docs/ARCHITECTURE.md"));
    let doc = doc.unwrap_or_else(|e| panic!("docs/ARCHITECTURE.md is missing ({e})"));
    let v = folder_map(&doc, &|p| repo().join(p).exists(), &tree_on_disk().1);
    let n = v.len();
    let head = format!("docs/ARCHITECTURE.md, `## Folder map`: {n} problem(s)");
    assert!(v.is_empty(), "{head}\n  {}\n", v.join("\n  "));
}

// ---- Self-tests of the checkers ----

/// In-memory files: a line `== path` starts each one.
fn fixture(text: &str) -> Vec<(&str, &str)> {
    let files = text.split("== ").skip(1);
    files
        .map(|f| f.split_once('\n').unwrap_or((f, "")))
        .collect()
}

fn targets(path: &str, src: &str) -> String {
    let refs = references(&parse(path, src));
    let refs: Vec<String> = refs
        .iter()
        .map(|(l, p)| format!("{}@{l}", name(p)))
        .collect();
    refs.join(" ")
}

#[test]
fn file_paths_map_to_module_paths() {
    let m = |p: &str| name(&module_path(p));
    assert_eq!([m("lib.rs"), m("authz/mod.rs")], ["crate", "authz"]);
    assert_eq!(
        [m("authz/origin.rs"), m("functions/token/mod.rs")],
        ["authz::origin", "functions::token"]
    );
    let home = |p: &str, h: &str| in_home(&module_path(p), &[h]);
    assert!(home("primitives/headers/cookie.rs", HEADERS) && home("lib.rs", ROOT));
    assert!(!home("primitives/headers_extra.rs", HEADERS) && !home("config.rs", ROOT));
}

#[test]
fn comments_strings_raw_strings_and_chars_are_left_out_of_the_code() {
    let src = r##"let q = '"'; // crate::x
let e = '\''; let r = r#"crate::y "q" "#; /* crate::z /* nested */ crate::z */
let s = "a\"crate::v"; let l: &'static str = b"w"; let u = '\u{22}'; crate::w::f();"##;
    let s = parse("a.rs", src);
    let literals: Vec<&str> = s.literals().map(|(_, t)| t).collect();
    assert_eq!(literals, [r#"crate::y "q" "#, r#"a\"crate::v"#, "w"]);
    assert_eq!(targets("a.rs", src), "w::f@3");
    let words: Vec<&str> = s.toks.iter().map(|t| t.1.as_str()).collect();
    let want = "& ' static str = b \"w ; let u = ;"
        .split(' ')
        .collect::<Vec<_>>();
    assert!(words.windows(want.len()).any(|w| w == want), "{words:?}");
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
    let expect = "a::b@1 c@1 c::d@1 c::e@1 h::i@2 m::sib::X@3 m::n::*@6 m::up@7";
    assert_eq!(targets("m/n.rs", src), expect);
    assert_eq!(targets("lib.rs", "pub(crate) fn f() {} use super::x;"), "");
}

#[test]
fn a_two_module_cycle_is_found_and_root_items_are_no_edge() {
    let files = "== lib.rs
pub mod a;
pub use error::Error;
== a/mod.rs
use crate::b::B;
== b.rs
use crate::{Error, a::A};
";
    let found = cycles(&fixture(files));
    assert_eq!(
        found,
        ["cycle between {a, b}: a -> b (a/mod.rs:1); b -> a (b.rs:1)"]
    );
    let files = files.replace("a::A", "Result");
    assert!(cycles(&fixture(&files)).is_empty());
    let files = files + "use crate::c as _;\n== c.rs\nfn f() { super::a::A; }";
    let found = cycles(&fixture(&files));
    let via = "a -> b (a/mod.rs:1); b -> c (b.rs:2); c -> a (c.rs:1)";
    assert_eq!(found, [format!("cycle between {{a, b, c}}: {via}")]);
}

#[test]
fn an_upward_import_and_an_unplaced_module_are_found() {
    let files = fixture(
        r#"== low/mod.rs
fn f() { crate::high::g(); }
== high/mod.rs
fn g() { crate::low::f(); crate::stray::h(); }
== stray/mod.rs
fn h() {}
"#,
    );
    let v = upward_imports(&files, &[&["low"], &["high"]]);
    assert_eq!(v.len(), 2, "{v:#?}");
    assert_eq!(v[0], "stray (high/mod.rs:1) is in no layer");
    assert!(v[1].starts_with("low -> high (low/mod.rs:1)"), "{v:#?}");
}

#[test]
fn a_function_importing_another_is_found() {
    let files = fixture(
        "== functions/mod.rs
pub struct Deps;
== functions/a.rs
use super::Deps;
use crate::functions::a::x;
use super::b::handle;
== functions/b/mod.rs
fn handle() {}
#[cfg(test)]
mod t { use crate::functions::{a::x}; }
",
    );
    let expect = [
        "functions/a.rs:3: functions::a imports functions::b::handle",
        "functions/b/mod.rs:3: functions::b imports functions::a::x",
    ];
    assert_eq!(function_siblings(&files), expect);
}

#[test]
fn adapters_referenced_from_outside_are_found() {
    let files = fixture(
        r#"== lib.rs
#[cfg(feature = "aws")]
pub mod adapters;
== adapters/mod.rs
use crate::adapters::dynamo::Table;
== functions/token.rs
// crate::adapters::x
fn f() { crate::adapters::dynamo::T::new() }
"#,
    );
    let expect = ["functions/token.rs:2: functions::token references adapters::dynamo::T::new"];
    assert_eq!(adapter_refs(&files), expect);
}

#[test]
fn cfg_test_modules_are_excluded_from_the_line_count() {
    let files = fixture(
        "== a.rs
fn a() {}
fn b() {}
#[cfg(test)]
#[allow(dead_code)]
pub(crate) mod tests {
    fn c() { let _ = '}'; }
}
== lib.rs
#[cfg(test)]
mod test_log;
== test_log.rs
fn x() {}
fn y() {}
",
    );
    assert!(long_files(&files, 2).is_empty());
    let expect = ["a.rs: 2 lines without #[cfg(test)] modules (limit 1)"];
    assert_eq!(long_files(&files, 1), expect);
}

#[test]
fn homes_ignore_comments_tests_and_set_cookie_and_find_the_rest() {
    let outside = r#"//! Splits `header::COOKIE`? No, a comment does not.
use http::header::{self, HeaderValue, SET_COOKIE};
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
        "w.rs:6: a DynamoDB key is formatted outside {records::key}: \"{}#{d}\"",
    ];
    assert_eq!(home_violations(&[("w.rs", outside)], HOMES), expect);
    let homes = fixture(
        r#"== config/mod.rs
fn v() { var("ALLOWED_ORIGINS") }
== primitives/headers.rs
use http::header::*;
fn c(h: &H) { h.get_all(COOKIE); h.get_all(ORIGIN); }
== authz/origin.rs
fn o(h: &HeaderMap) { h.get(http::header::ORIGIN) }
== http/issuer.rs
fn i(d: &str) -> String { format!("https://{d}") }
== records/key.rs
fn k(id: &str) -> String { format!("key#{id}") }
== adapters/dynamo.rs
use aws_sdk_dynamodb::Client; use reqwest::Client as Http;
== lib.rs
#[cfg(feature = "aws")]
fn run() { lambda_runtime::run(); }
"#,
    );
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
    let dirs = ["authz", "records"].map(|d| format!("shared/src/{d}"));
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
