//! A test that no file of the shell takes part in an import cycle. Cycles were
//! how the first version's shell grew tangled (`desktop` → `quit` → `desktop`,
//! `state` → `events` → `desktop` → `state`); this keeps them out.
//!
//! The graph is read from the source: a file depends on the file that defines
//! the module a `crate::…` or `super::…` path names (through the crate root's
//! `pub use` re-exports), and a `mod.rs` on the child modules it calls into.
//! Paths in comments count too: a doc link to another module is a dependency
//! a reader follows, so it must not go round in a circle either. A file's own
//! `mod tests` is left out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src`, by its path relative to `src`.
fn sources(src: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(dir: &Path, src: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for entry in std::fs::read_dir(dir).expect("read the source directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, src, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read a source file");
                out.insert(path.strip_prefix(src).expect("under src").to_owned(), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

/// The identifiers after each occurrence of `prefix` (`crate::a::b` gives
/// `["a", "b"]`), where `prefix` starts a path. A group (`crate::{a, b::c}`)
/// gives one path per member.
fn paths_after<'a>(text: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    let mut rest = text;
    // The character before `rest`: the end of the last prefix, once one is found.
    let mut last = None;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back().or(last);
        rest = &rest[at + prefix.len()..];
        last = prefix.chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        match rest.strip_prefix('{') {
            Some(group) => {
                let mut depth = 0;
                let end = group
                    .find(|c: char| {
                        depth += i32::from(c == '{') - i32::from(c == '}');
                        depth < 0
                    })
                    .unwrap_or(group.len());
                let mut depth = 0;
                for member in group[..end].split(|c: char| {
                    depth += i32::from(c == '{') - i32::from(c == '}');
                    c == ',' && depth == 0
                }) {
                    out.push(segments(member.trim()));
                }
            }
            None => out.push(segments(rest)),
        }
    }
    out
}

/// The `a::b::c` identifiers a path starts with.
fn segments(mut tail: &str) -> Vec<&str> {
    let mut out = Vec::new();
    loop {
        let end = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if end == 0 {
            return out;
        }
        out.push(&tail[..end]);
        match tail[end..].strip_prefix("::") {
            Some(next) => tail = next,
            None => return out,
        }
    }
}

/// The file defining module `segments` (as deep as files go) under `dir`.
fn module_file(
    files: &BTreeMap<PathBuf, String>,
    dir: &Path,
    segments: &[&str],
) -> Option<PathBuf> {
    for take in (1..=segments.len()).rev() {
        let base: PathBuf = segments[..take]
            .iter()
            .fold(dir.to_owned(), |p, s| p.join(s));
        for candidate in [base.with_extension("rs"), base.join("mod.rs")] {
            if files.contains_key(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// `crate::Name` for a name the root re-exports with `pub use module::…Name…`.
fn reexported(files: &BTreeMap<PathBuf, String>, name: &str) -> Option<PathBuf> {
    let root = files.get(Path::new("lib.rs"))?;
    root.lines()
        .filter_map(|l| l.trim().strip_prefix("pub use "))
        .find(|l| {
            l.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == name)
        })
        .and_then(|l| {
            let module = l.split("::").next()?;
            module_file(files, Path::new(""), &[module])
        })
}

fn edges(files: &BTreeMap<PathBuf, String>) -> BTreeMap<PathBuf, Vec<PathBuf>> {
    let mut graph = BTreeMap::new();
    for (file, text) in files {
        // A file's own unit tests (`mod tests` at its end, where `super` is
        // the file itself) are not what the file depends on.
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
        let mut to = Vec::new();
        for segments in paths_after(text, "crate::") {
            let target = module_file(files, Path::new(""), &segments)
                .or_else(|| segments.first().and_then(|name| reexported(files, name)));
            to.extend(target);
        }
        // `super` of a.rs or a/mod.rs is the directory holding a.
        let own_dir = file.parent().unwrap_or(Path::new(""));
        let parent_dir = if file.ends_with("mod.rs") {
            own_dir.parent().unwrap_or(Path::new(""))
        } else {
            own_dir
        };
        for segments in paths_after(text, "super::") {
            // `super::super::x`: one directory up for each further `super`.
            let ups = segments.iter().take_while(|s| **s == "super").count();
            let dir = (0..ups).fold(parent_dir, |d, _| d.parent().unwrap_or(Path::new("")));
            let segments = &segments[ups..];
            let target = module_file(files, dir, segments).or_else(|| {
                [dir.join("mod.rs"), dir.with_extension("rs")]
                    .into_iter()
                    .find(|p| files.contains_key(p))
            });
            to.extend(target);
        }
        if file.ends_with("mod.rs") {
            for (child, _) in files
                .iter()
                .filter(|(f, _)| f.parent() == Some(own_dir) && *f != file)
            {
                let name = child
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                if !paths_after(text, &format!("{name}::")).is_empty() {
                    to.push(child.clone());
                }
            }
        }
        to.retain(|t| t != file && !t.ends_with("lib.rs"));
        to.sort();
        to.dedup();
        graph.insert(file.clone(), to);
    }
    graph
}

/// A cycle in `graph`, as the files along it, if there is one.
fn find_cycle(graph: &BTreeMap<PathBuf, Vec<PathBuf>>) -> Option<Vec<PathBuf>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &PathBuf,
        graph: &BTreeMap<PathBuf, Vec<PathBuf>>,
        marks: &mut BTreeMap<PathBuf, Mark>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|n| n == node).expect("on the stack");
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.clone());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

#[test]
fn no_file_of_the_shell_takes_part_in_an_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = sources(&src);
    let graph = edges(&files);
    assert!(
        graph[Path::new("desktop/quit.rs")].contains(&PathBuf::from("desktop/window.rs")),
        "the graph sees quit's call into the window module: {:?}",
        graph[Path::new("desktop/quit.rs")]
    );
    assert!(
        graph[Path::new("notices.rs")].contains(&PathBuf::from("events.rs")),
        "the graph sees a crate:: path"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("an import cycle: {cycle:?}");
    }
}

#[test]
fn a_cycle_is_found_and_named() {
    let files: BTreeMap<PathBuf, String> = [
        ("lib.rs", "mod a; mod b; pub use a::Thing;"),
        ("a.rs", "use crate::{Thing, b::{helper, other}};"),
        ("b/mod.rs", "mod c; fn f() { c::go(); }"),
        (
            "b/c.rs",
            "fn go() -> crate::Thing { super::super::a::make() }",
        ),
    ]
    .into_iter()
    .map(|(f, t)| (PathBuf::from(f), t.to_owned()))
    .collect();
    let graph = edges(&files);
    assert_eq!(graph[Path::new("b/c.rs")], [PathBuf::from("a.rs")]);
    assert_eq!(graph[Path::new("a.rs")], [PathBuf::from("b/mod.rs")]);
    let cycle = find_cycle(&graph).expect("a → b → c → a");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
}
