//! The release binary: its size, whether it is stripped, and the release profile behind it.

use std::path::Path;

use anyhow::{Context, Result};

/// Settings of `[profile.release]` that make the binary small and fast to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileCheck {
    /// (setting, value found or "missing", as wanted)
    pub settings: Vec<(String, String, bool)>,
}

impl ProfileCheck {
    pub fn all_set(&self) -> bool {
        self.settings.iter().all(|(_, _, ok)| *ok)
    }

    pub fn describe(&self) -> String {
        self.settings
            .iter()
            .map(|(key, value, ok)| {
                format!(
                    "{key} = {value}{}",
                    if *ok { "" } else { " (want otherwise)" }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads `[profile.release]` from a Cargo.toml text (flat `key = value` lines).
pub fn check_release_profile(cargo_toml: &str) -> ProfileCheck {
    let mut in_section = false;
    let mut found: Vec<(String, String)> = Vec::new();
    for line in cargo_toml.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            in_section = line == "[profile.release]";
            continue;
        }
        if let (true, Some((key, value))) = (in_section, line.split_once('=')) {
            found.push((
                key.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            ));
        }
    }
    let value = |key: &str| found.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let wanted: [(&str, &[&str]); 4] = [
        ("lto", &["fat", "true"]),
        ("codegen-units", &["1"]),
        ("panic", &["abort"]),
        ("strip", &["true", "symbols"]),
    ];
    ProfileCheck {
        settings: wanted
            .iter()
            .map(|(key, good)| {
                let value = value(key);
                let ok = value.as_deref().is_some_and(|v| good.contains(&v));
                (
                    (*key).to_owned(),
                    value.unwrap_or_else(|| "missing".into()),
                    ok,
                )
            })
            .collect(),
    }
}

/// Size in bytes and whether the ELF file still has a symbol table.
pub fn inspect(binary: &Path) -> Result<(u64, bool)> {
    let bytes = std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    Ok((bytes.len() as u64, !has_symbol_table(&bytes)))
}

/// A stripped ELF has no `.symtab` in its section-name table.
pub fn has_symbol_table(elf: &[u8]) -> bool {
    elf.windows(8).any(|w| w == b".symtab\0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_release_profile_settings() {
        let toml = "[package]\nname = \"x\"\npanic = \"unwind\"\n\n[profile.release]\nlto = \"fat\"\n\
                    codegen-units = 1\npanic = \"abort\" # small\nstrip = true\n\n[profile.dev]\nlto = false\n";
        let check = check_release_profile(toml);
        assert!(check.all_set(), "{check:?}");
        assert_eq!(
            check.describe(),
            "lto = fat, codegen-units = 1, panic = abort, strip = true"
        );
        let weak = check_release_profile("[profile.release]\nlto = \"thin\"\n");
        assert!(!weak.all_set());
        assert!(weak.describe().contains("codegen-units = missing"));
    }

    #[test]
    fn the_repository_profile_is_tuned() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let text = std::fs::read_to_string(root).expect("root Cargo.toml");
        let check = check_release_profile(&text);
        assert!(check.all_set(), "{}", check.describe());
    }

    #[test]
    fn symbol_tables_are_detected() {
        assert!(has_symbol_table(b"\x7fELF....shstrtab\0.symtab\0.strtab\0"));
        assert!(!has_symbol_table(b"\x7fELF....shstrtab\0.text\0"));
    }
}
