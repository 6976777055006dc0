//! The runtime's modules import only downward: `src/lib.rs` declares the
//! top-level modules lowest layer first, a module may use only modules
//! declared before it, and no two files import each other, directly or
//! through others. Read from the source text (`crate::`, `super::`,
//! `self::` and child-module paths, and the crate root's re-exports), so a
//! new upward import fails here naming the files and the path.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Module = Vec<String>;

#[test]
fn runtime_modules_import_only_from_layers_below_and_never_in_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    collect(&src, &src, &mut files);
    let root = files.remove(&Vec::new()).expect("src/lib.rs");
    let layers = declared_modules(&root);
    let reexports = reexports(&root, &files);

    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let mut upward = Vec::new();
    for (module, text) in &files {
        for (target, path) in references(module, text, &files, &reexports) {
            if target == *module {
                continue;
            }
            let (from, to) = (&module[0], &target[0]);
            let rank = |name: &String| layers.iter().position(|layer| layer == name);
            if from != to && rank(to) > rank(from) {
                upward.push(format!(
                    "{} -> {} (`{path}`)",
                    module.join("::"),
                    target.join("::")
                ));
            }
            edges.entry(module.clone()).or_default().insert(target);
        }
    }
    assert!(
        upward.is_empty(),
        "imports from a higher layer (lib.rs declares the layers, lowest first):\n{}",
        upward.join("\n")
    );
    let cycles = cycles(&edges);
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n{}",
        cycles.join("\n")
    );
    // The check reads something: the engine uses the plan.
    assert!(edges[&vec!["engine".to_owned()]].contains(&vec!["plan".to_owned()]));
}

/// Every `.rs` file under `dir`, by module path.
fn collect(src: &Path, dir: &Path, files: &mut BTreeMap<Module, String>) {
    for entry in fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            collect(src, &path, files);
            continue;
        }
        let relative = path
            .strip_prefix(src)
            .expect("under src")
            .with_extension("");
        let mut module: Module = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
            module.pop();
        }
        files.insert(module, code_of(&fs::read_to_string(&path).expect("utf-8")));
    }
}

/// The text without comments and without the unit tests at the end of a
/// file (tests may reach anywhere).
fn code_of(text: &str) -> String {
    let text = text
        .split("\n#[cfg(test)]\nmod ")
        .next()
        .unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `lib.rs` declares, in order.
fn declared_modules(root: &str) -> Vec<String> {
    root.lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches("pub ");
            Some(line.strip_prefix("mod ")?.trim_end_matches(';').to_owned())
        })
        .collect()
}

/// Names the crate root re-exports, mapped to the module defining them.
fn reexports(root: &str, files: &BTreeMap<Module, String>) -> BTreeMap<String, Module> {
    let mut names = BTreeMap::new();
    for statement in root.split(';') {
        let Some(tree) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        for path in use_paths(tree) {
            if let Some(module) = module_prefix(&path, files).filter(|m| !m.is_empty()) {
                names.insert(path.last().cloned().unwrap_or_default(), module);
            }
        }
    }
    names
}

/// Each module `module`'s text refers to, with the path as written.
fn references(
    module: &Module,
    text: &str,
    files: &BTreeMap<Module, String>,
    reexports: &BTreeMap<String, Module>,
) -> Vec<(Module, String)> {
    let children: BTreeSet<String> = declared_modules(text).into_iter().collect();
    let inline = inline_modules(text);
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        if !starts_word || !is_ident(bytes[i]) {
            i += 1;
            continue;
        }
        let end = (i..bytes.len())
            .find(|&j| !is_ident(bytes[j]))
            .unwrap_or(bytes.len());
        let word = &text[i..end];
        let rest = &text[end..];
        // Inside `mod tests { .. }`, `self` and `super` start from there.
        let here: Module = module
            .iter()
            .cloned()
            .chain(
                inline
                    .iter()
                    .filter(|(span, _)| span.contains(&i))
                    .map(|(_, name)| name.clone()),
            )
            .collect();
        let base: Option<Module> = match word {
            "crate" => Some(Vec::new()),
            "self" => Some(here.clone()),
            "super" => Some(here[..here.len().saturating_sub(1)].to_vec()),
            child if children.contains(child) => Some(vec![child.to_owned()]),
            _ => None,
        };
        let (Some(mut base), Some(tail)) = (base, rest.strip_prefix("::")) else {
            i = end;
            continue;
        };
        if word != "crate" && word != "self" && word != "super" {
            base = [module.clone(), base].concat();
        }
        let mut tail = tail;
        // `super::super::x`
        while let Some(next) = tail.strip_prefix("super::") {
            base.pop();
            tail = next;
        }
        let tree_end = tree_end(tail);
        for path in use_paths(&tail[..tree_end]) {
            let full: Module = [base.clone(), path].concat();
            let target = module_prefix(&full, files)
                .filter(|target| !target.is_empty())
                .or_else(|| reexports.get(full.first()?).cloned());
            if let Some(target) = target {
                found.push((target, format!("{word}::{}", &tail[..tree_end])));
            }
        }
        i = end + 2 + tree_end;
    }
    found
}

/// The inline modules (`mod name { .. }`) of a file: where each one's body
/// spans, outermost first.
fn inline_modules(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(at) = text[rest..].find("mod ") {
        let start = rest + at;
        rest = start + 4;
        let after = &text[rest..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = after[name.len()..].trim_start().strip_prefix('{') else {
            continue;
        };
        let body = text.len() - open.len();
        found.push((body..body + block_end(open), name));
    }
    found
}

/// The length of a brace block's body, `text` starting just inside it;
/// braces in string literals do not count.
fn block_end(text: &str) -> usize {
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    for (index, c) in text.char_indices() {
        match (in_string, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (true, '"') | (false, '"') => in_string = !in_string,
            (false, '{') => depth += 1,
            (false, '}') if depth == 0 => return index,
            (false, '}') => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

/// Where the path (or braced use tree) starting `text` ends.
fn tree_end(text: &str) -> usize {
    let mut depth = 0;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return index,
            '}' => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => return index,
            _ => {}
        }
    }
    text.len()
}

/// The paths a use tree (`a::{b, c::{d, self}}`) names.
fn use_paths(tree: &str) -> Vec<Module> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![segments(tree)];
    };
    let prefix = segments(&tree[..open]);
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut paths = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (index, c) in inner.char_indices().chain([(inner.len(), ',')]) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                let item = inner[start..index].trim();
                if !item.is_empty() {
                    for path in use_paths(item) {
                        let path: Module = path.into_iter().filter(|s| s != "self").collect();
                        paths.push([prefix.clone(), path].concat());
                    }
                }
                start = index + 1;
            }
            _ => {}
        }
    }
    paths
}

fn segments(path: &str) -> Module {
    path.split("::")
        .map(|s| s.split_whitespace().next().unwrap_or_default().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The longest leading part of `path` that is a module of the crate.
fn module_prefix(path: &[String], files: &BTreeMap<Module, String>) -> Option<Module> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| prefix.is_empty() || files.contains_key(prefix))
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$'
}

/// The files of each circle of imports, one line per circle.
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    // A file is in a circle when it reaches itself.
    let reach = |from: &Module| {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&Module> = edges.get(from).into_iter().flatten().collect();
        while let Some(next) = stack.pop() {
            if seen.insert(next.clone()) {
                stack.extend(edges.get(next).into_iter().flatten());
            }
        }
        seen
    };
    let mut circles: BTreeSet<Vec<String>> = BTreeSet::new();
    for module in edges.keys() {
        let reached = reach(module);
        if reached.contains(module) {
            let circle = edges
                .keys()
                .filter(|other| reached.contains(*other) && reach(other).contains(module))
                .map(|m| m.join("::"))
                .collect();
            circles.insert(circle);
        }
    }
    circles
        .into_iter()
        .map(|circle| circle.join(" <-> "))
        .collect()
}
