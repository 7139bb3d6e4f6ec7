//! ARCHITECTURE.md's invariants, checked by reading the source tree: each violation is reported
//! with its file and line. Test code (`#[cfg(test)]` modules and files) is exempt.

use std::path::{Path, PathBuf};

/// One invariant: where it applies, what it forbids there, and the files allowed to break it.
struct Rule {
    name: &'static str,
    applies_to: fn(&str) -> bool,
    finds: Finds,
    /// `(file, why)`: each exception says why it is one.
    allowed: &'static [(&'static str, &'static str)],
}

/// What a rule looks for in a line.
enum Finds {
    /// Any of these anywhere.
    Text(&'static [&'static str]),
    /// Any of these where a word starts (so `eprintln!` is not `println!`).
    WordStart(&'static [&'static str]),
    /// The lines this function picks.
    Custom(fn(&str) -> bool),
}

impl Finds {
    fn in_line(&self, line: &str) -> bool {
        match self {
            Finds::Text(patterns) => patterns.iter().any(|p| line.contains(p)),
            Finds::WordStart(patterns) => patterns.iter().any(|p| starts_word(line, p)),
            Finds::Custom(finds) => finds(line),
        }
    }
}

const RULES: &[Rule] = &[
    Rule {
        name: "src/graph imports nothing from crate::plugin or crate::provider and reads no environment",
        applies_to: |path| path.starts_with("src/graph/"),
        finds: Finds::Text(&["crate::plugin", "crate::provider", "std::env", "env::var"]),
        allowed: &[],
    },
    Rule {
        name: "src/provider never speaks gRPC or HTTP itself (no tonic, reqwest or generated proto)",
        applies_to: |path| path.starts_with("src/provider/"),
        finds: Finds::WordStart(&["tonic", "reqwest", "proto::", "tfplugin6"]),
        allowed: &[],
    },
    Rule {
        name: "generated protobuf types never appear outside src/plugin",
        // The protocol tests' client is the one exception: it speaks tfplugin6 as Terraform does.
        applies_to: |path| {
            !path.starts_with("src/plugin/") && !path.starts_with("tests/acceptance/protocol/")
        },
        finds: Finds::Text(&["plugin::proto", "tfplugin6::"]),
        allowed: &[("tests/acceptance/tidy.rs", "names the patterns it looks for")],
    },
    Rule {
        name: "src/plugin does not mention Graph, Entra or msgraph",
        applies_to: |path| path.starts_with("src/plugin/"),
        finds: Finds::Custom(|line| {
            line.split(|c: char| !c.is_ascii_alphanumeric())
                .map(str::to_ascii_lowercase)
                .any(|word| word == "graph" || word == "entra" || word.contains("msgraph"))
        }),
        allowed: &[],
    },
    Rule {
        name: "nothing but the handshake line (and the documented --version, --schema-json and --debug output) is written to stdout",
        applies_to: |path| path.starts_with("src/"),
        finds: Finds::WordStart(&["println!", "print!", "io::stdout"]),
        allowed: &[
            ("src/plugin/handshake.rs", "prints the handshake line"),
            ("src/plugin/process.rs", "--debug prints the TF_REATTACH_PROVIDERS instructions"),
            ("src/main.rs", "--version"),
            ("src/lib.rs", "--schema-json"),
        ],
    },
    Rule {
        name: "library code returns its own error types, not Result<_, String>",
        applies_to: |path| path.starts_with("src/"),
        finds: Finds::Custom(returns_string_error),
        allowed: &[],
    },
];

#[test]
fn architecture_invariants_hold_in_the_source_tree() {
    let violations = tree_violations(&["src", "tests/acceptance"], Code::LibraryOnly, check);
    assert!(
        violations.is_empty(),
        "ARCHITECTURE.md invariants broken:\n{}",
        violations.join("\n")
    );
}

#[test]
fn a_planted_violation_is_reported_with_file_and_line() {
    let planted = "//! x\nuse std::env;\n\nfn f() -> Result<(), String> { Ok(()) }\n";
    let found = check("src/graph/planted.rs", planted);
    assert_eq!(
        found,
        vec![
            format!("src/graph/planted.rs:2: {}: use std::env;", RULES[0].name),
            format!(
                "src/graph/planted.rs:4: {}: fn f() -> Result<(), String> {{ Ok(()) }}",
                RULES[5].name
            ),
        ]
    );
    let plugin = "//! Serves the Microsoft Graph API.\nprintln!(\"hi\");\neprintln!(\"fine\");\n";
    assert_eq!(check("src/plugin/planted.rs", plugin).len(), 2);
    assert!(check("src/plugin/handshake.rs", "println!(\"line\");").is_empty());
    assert_eq!(
        check("src/provider/x.rs", "use tonic::Status;\nfn central() {}\n").len(),
        1
    );
    // Test modules at the end of a file are exempt.
    assert!(check(
        "src/graph/x.rs",
        "fn a() {}\n#[cfg(test)]\nmod tests {\n    use std::env;\n}\n"
    )
    .is_empty());
}

/// ARCHITECTURE.md's one test layout: unit tests in `mod tests` (in the file or in `foo/tests.rs`),
/// never in a sibling `*_tests.rs` module or a file pulled in with `#[path]`.
#[test]
fn unit_tests_follow_the_one_layout() {
    let violations = tree_violations(
        &["src", "sim/src", "xtask/src"],
        Code::TestsToo,
        layout_violations,
    );
    assert!(
        violations.is_empty(),
        "the test layout in ARCHITECTURE.md is broken:\n{}",
        violations.join("\n")
    );
}

#[test]
fn a_planted_layout_violation_is_reported() {
    assert_eq!(
        layout_violations("src/x/foo_tests.rs", "//! x\n"),
        ["src/x/foo_tests.rs: a sibling `*_tests.rs` module: move it to `foo/tests.rs`"]
    );
    assert_eq!(
        layout_violations(
            "src/x/foo.rs",
            "#[cfg(test)]\n#[path = \"t.rs\"]\nmod tests;\n"
        ),
        ["src/x/foo.rs:2: a `#[path]` attribute: use `mod tests;` and `foo/tests.rs`"]
    );
    assert!(layout_violations("src/x/foo.rs", "#[cfg(test)]\nmod tests;\n").is_empty());
}

/// Which files of a tree a scan reads.
enum Code {
    /// Passes over test-only files (`#[cfg(test)] mod name;` and what lies under it).
    LibraryOnly,
    TestsToo,
}

/// What `find` (given a file's path from the repository root and its text) reports in the Rust
/// files under `dirs`.
fn tree_violations(dirs: &[&str], code: Code, find: fn(&str, &str) -> Vec<String>) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in dirs {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "found only {} source files", files.len());
    let test_files = match code {
        Code::LibraryOnly => test_only_files(&files),
        Code::TestsToo => Vec::new(),
    };
    let mut violations = Vec::new();
    for file in files.iter().filter(|f| !test_files.contains(f)) {
        let rel = relative(root, file);
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
        violations.extend(find(&rel, &text));
    }
    violations
}

fn layout_violations(path: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if path.ends_with("_tests.rs") {
        out.push(format!(
            "{path}: a sibling `*_tests.rs` module: move it to `{}/tests.rs`",
            path.rsplit('/')
                .next()
                .unwrap_or(path)
                .trim_end_matches("_tests.rs")
        ));
    }
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[path") {
            out.push(format!(
                "{path}:{}: a `#[path]` attribute: use `mod tests;` and `{}/tests.rs`",
                i + 1,
                path.rsplit('/')
                    .next()
                    .unwrap_or(path)
                    .trim_end_matches(".rs")
            ));
        }
    }
    out
}

/// Every violation in `text` (the file `path`), as `path:line: rule: line text`.
fn check(path: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (number, line) in library_lines(text) {
        for rule in RULES {
            if (rule.applies_to)(path)
                && !rule.allowed.iter().any(|(file, _)| *file == path)
                && rule.finds.in_line(line)
            {
                out.push(format!("{path}:{number}: {}: {}", rule.name, line.trim()));
            }
        }
    }
    out
}

/// The lines before the file's `#[cfg(test)] mod tests { .. }`, numbered from 1.
fn library_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_end().ends_with('{'))
        .unwrap_or(lines.len());
    lines
        .into_iter()
        .take(end)
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// `pattern` occurs where a word starts (so `eprintln!` is not `println!`).
fn starts_word(line: &str, pattern: &str) -> bool {
    line.match_indices(pattern).any(|(at, _)| {
        !line[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `Result<T, String>` with `String` as the error type.
fn returns_string_error(line: &str) -> bool {
    line.match_indices("Result<").any(|(at, m)| {
        let rest = &line[at + m.len()..];
        let mut depth = 0;
        let mut comma = None;
        for (i, c) in rest.char_indices() {
            match c {
                '<' | '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '>' if depth == 0 => {
                    return comma.is_some_and(|c: usize| rest[c + 1..i].trim() == "String");
                }
                '>' => depth -= 1,
                ',' if depth == 0 => comma = Some(i),
                _ => {}
            }
        }
        false
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files declared as `#[cfg(test)] mod name;`, and everything under such a module.
fn test_only_files(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut test_dirs: Vec<PathBuf> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("mod.rs" | "lib.rs" | "main.rs") => file.parent().map(Path::to_path_buf),
            _ => Some(file.with_extension("")),
        };
        let Some(dir) = dir else { continue };
        for w in lines.windows(2) {
            if w[0].trim() == "#[cfg(test)]" {
                if let Some(name) = w[1]
                    .trim()
                    .strip_prefix("mod ")
                    .and_then(|r| r.strip_suffix(';'))
                {
                    test_dirs.push(dir.join(name));
                    test_dirs.push(dir.join(format!("{name}.rs")));
                }
            }
        }
    }
    files
        .iter()
        .filter(|f| test_dirs.iter().any(|d| f.starts_with(d)))
        .cloned()
        .collect()
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}
