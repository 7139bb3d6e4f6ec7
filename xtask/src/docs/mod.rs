//! `cargo xtask docs`: registry-layout docs generated from the provider's schema and examples/.

mod pages;
mod plain;
mod schema_json;
mod schema_md;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::workspace::{Workspace, PROVIDER_PACKAGE};
use pages::{render_entity_page, render_index_page, EntityPage, IndexPage, PageKind};
use schema_json::{ProviderSchema, ProvidersSchema, Schema};
use schema_md::render_schema;

/// The provider's address in `terraform providers schema -json` output.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/entra/msgraph";

/// The command that regenerates docs/, named in every staleness message.
pub const FIX_COMMAND: &str = "cargo xtask docs";

/// Hand-written authentication section of the index page.
const AUTHENTICATION: &str = include_str!("authentication.md");

/// Used when the provider schema carries no description of its own.
const DEFAULT_PROVIDER_DESCRIPTION: &str = "The msgraph provider manages Microsoft Entra cross-tenant identity synchronization through Microsoft Graph: for each partner tenant, whether users may be synchronized into this tenant from it.";

/// Renders every docs page, keyed by path relative to docs/ (`index.md`,
/// `resources/<name>.md`, `data-sources/<name>.md`).
///
/// `schema_json` is the output of `terraform providers schema -json` (or the provider's
/// `--schema-json`); `examples_dir` is the repository's examples/.
pub fn render_docs(
    schema_json: &serde_json::Value,
    examples_dir: &Path,
) -> Result<BTreeMap<PathBuf, String>> {
    let schemas: ProvidersSchema =
        serde_json::from_value(schema_json.clone()).context("parsing the provider schema JSON")?;
    let (address, provider) = pick_provider(&schemas)?;
    let provider_name = address.rsplit('/').next().unwrap_or(address);

    let mut docs = BTreeMap::new();
    let description =
        non_empty(&provider.provider.block.description).unwrap_or(DEFAULT_PROVIDER_DESCRIPTION);
    let example = read_optional(&examples_dir.join("provider/provider.tf"))?;
    let schema_markdown = render_schema(&provider.provider.block)
        .context("rendering the provider configuration schema")?;
    docs.insert(
        PathBuf::from("index.md"),
        render_index_page(&IndexPage {
            provider_name,
            description,
            example: example.as_deref(),
            authentication: AUTHENTICATION,
            schema_markdown: &schema_markdown,
        }),
    );

    for (name, schema) in &provider.resource_schemas {
        let dir = examples_dir.join("resources").join(name);
        let page = render_entity(PageKind::Resource, provider_name, name, schema, &dir)?;
        docs.insert(page_path("resources", provider_name, name), page);
    }
    for (name, schema) in &provider.data_source_schemas {
        let dir = examples_dir.join("data-sources").join(name);
        let page = render_entity(PageKind::DataSource, provider_name, name, schema, &dir)?;
        docs.insert(page_path("data-sources", provider_name, name), page);
    }
    Ok(docs)
}

fn pick_provider(schemas: &ProvidersSchema) -> Result<(&str, &ProviderSchema)> {
    if let Some((address, schema)) = schemas.provider_schemas.get_key_value(PROVIDER_ADDRESS) {
        return Ok((address, schema));
    }
    let mut all = schemas.provider_schemas.iter();
    match (all.next(), all.next()) {
        (Some((address, schema)), None) => Ok((address, schema)),
        (None, _) => bail!("the schema JSON has no provider_schemas"),
        _ => bail!("the schema JSON has several providers but none is {PROVIDER_ADDRESS}"),
    }
}

fn render_entity(
    kind: PageKind,
    provider_name: &str,
    name: &str,
    schema: &Schema,
    example_dir: &Path,
) -> Result<String> {
    let example_file = match kind {
        PageKind::Resource => "resource.tf",
        PageKind::DataSource => "data-source.tf",
    };
    let example = read_optional(&example_dir.join(example_file))?;
    let (import_block, import_command) = match kind {
        PageKind::Resource => (
            read_optional(&example_dir.join("import-by-string-id.tf"))?,
            read_optional(&example_dir.join("import.sh"))?,
        ),
        PageKind::DataSource => (None, None),
    };
    let schema_markdown =
        render_schema(&schema.block).with_context(|| format!("rendering the schema of {name}"))?;
    let description = non_empty(&schema.block.description).unwrap_or("");
    Ok(render_entity_page(&EntityPage {
        kind,
        name,
        provider_name,
        description,
        example: example.as_deref(),
        schema_markdown: &schema_markdown,
        import_block: import_block.as_deref(),
        import_command: import_command.as_deref(),
    }))
}

/// `resources/cross_tenant_identity_sync.md` for `msgraph_cross_tenant_identity_sync`.
fn page_path(section: &str, provider_name: &str, name: &str) -> PathBuf {
    let short = name
        .strip_prefix(provider_name)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or(name);
    Path::new(section).join(format!("{short}.md"))
}

fn non_empty(text: &str) -> Option<&str> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

/// Differences between `rendered` and the Markdown files under `docs_dir`, one line each;
/// empty when docs/ is up to date.
pub fn stale_docs(docs_dir: &Path, rendered: &BTreeMap<PathBuf, String>) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (relative, expected) in rendered {
        let path = docs_dir.join(relative);
        match std::fs::read_to_string(&path) {
            Ok(actual) if &actual == expected => {}
            Ok(_) => problems.push(format!("{} is out of date", path.display())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                problems.push(format!("{} is missing", path.display()))
            }
            Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
        }
    }
    for existing in generated_pages(docs_dir)? {
        let relative = existing.strip_prefix(docs_dir).unwrap_or(&existing);
        if !rendered.contains_key(relative) {
            problems.push(format!(
                "{} is not generated from the schema (no such resource or data source)",
                existing.display()
            ));
        }
    }
    Ok(problems)
}

/// The generated pages already in `docs_dir`: index.md and the Markdown files in resources/
/// and data-sources/. Other files (guides, images) belong to people, not to the generator.
fn generated_pages(docs_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let index = docs_dir.join("index.md");
    if index.is_file() {
        found.push(index);
    }
    for section in ["resources", "data-sources"] {
        let dir = docs_dir.join(section);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err).with_context(|| format!("listing {}", dir.display())),
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_file() && path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Runs `binary --schema-json` and parses what it prints.
pub fn schema_from_binary(binary: &Path) -> Result<serde_json::Value> {
    let output = Command::new(binary)
        .arg("--schema-json")
        .output()
        .with_context(|| format!("running {} --schema-json", binary.display()))?;
    if !output.status.success() {
        bail!(
            "{} --schema-json failed ({}): {}",
            binary.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{} --schema-json printed invalid JSON", binary.display()))
}

/// Flags of `cargo xtask docs`.
#[derive(Debug, Clone, Default)]
pub struct DocsOptions {
    pub check: bool,
    pub provider_binary: Option<PathBuf>,
}

/// Writes docs/ (or, with `check`, fails when it differs from what would be written).
pub fn docs(workspace: &Workspace, options: &DocsOptions) -> Result<()> {
    let binary = match &options.provider_binary {
        Some(path) => path.clone(),
        None => {
            workspace.cargo_build(&["--package", PROVIDER_PACKAGE, "--bin", PROVIDER_PACKAGE])?;
            workspace.binary_path(PROVIDER_PACKAGE, "debug", None)
        }
    };
    let schema = schema_from_binary(&binary)?;
    let rendered = render_docs(&schema, &workspace.root.join("examples"))?;
    let docs_dir = workspace.root.join("docs");
    if options.check {
        let problems = stale_docs(&docs_dir, &rendered)?;
        if !problems.is_empty() {
            bail!(
                "docs/ does not match the provider schema and examples/:\n  {}\nRun `{FIX_COMMAND}` to regenerate it.",
                problems.join("\n  ")
            );
        }
        println!("docs/ is up to date");
        return Ok(());
    }
    for existing in generated_pages(&docs_dir)? {
        let relative = existing.strip_prefix(&docs_dir).unwrap_or(&existing);
        if !rendered.contains_key(relative) {
            std::fs::remove_file(&existing)
                .with_context(|| format!("removing stale {}", existing.display()))?;
        }
    }
    for (relative, text) in &rendered {
        let path = docs_dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
