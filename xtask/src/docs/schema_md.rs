//! The `## Schema` section of a docs page: Required / Optional / Read-Only lists and nested
//! schema sections, in the layout the Terraform Registry's generated docs use.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{bail, Result};

use super::schema_json::{Attribute, Block, BlockType, CtyType};

/// The three groups every argument and attribute falls into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    const ALL: [Group; 3] = [Group::Required, Group::Optional, Group::ReadOnly];

    fn title(self, root: bool) -> &'static str {
        match (self, root) {
            (Group::Required, true) => "### Required",
            (Group::Optional, true) => "### Optional",
            (Group::ReadOnly, true) => "### Read-Only",
            (Group::Required, false) => "Required:",
            (Group::Optional, false) => "Optional:",
            (Group::ReadOnly, false) => "Read-Only:",
        }
    }
}

/// A child of a block: an attribute or a nested block type.
enum Member<'a> {
    Attribute(&'a Attribute),
    Block(&'a BlockType),
}

/// Something described in its own section below the list it appears in.
struct Nested<'a> {
    anchor: String,
    path: Vec<String>,
    body: NestedBody<'a>,
}

enum NestedBody<'a> {
    Block(&'a Block),
    Object {
        fields: BTreeMap<String, CtyType>,
        group: Group,
    },
}

impl<'a> Nested<'a> {
    /// `prefix` is `nestedblock`, `nestedatt` (an attribute's object type) or `nestedobjatt`
    /// (an object field's object type), as in the registry's anchors.
    fn new(prefix: &str, path: Vec<String>, body: NestedBody<'a>) -> Nested<'a> {
        Nested {
            anchor: format!("{prefix}--{}", path.join("--")),
            path,
            body,
        }
    }
}

/// Renders `## Schema` for a resource's, data source's or provider's root block.
pub fn render_schema(block: &Block) -> Result<String> {
    let mut out = String::from("## Schema\n\n");
    write_block_children(&mut out, &[], block, true)?;
    Ok(out.trim_end().to_owned() + "\n")
}

fn write_block_children(
    out: &mut String,
    parents: &[String],
    block: &Block,
    root: bool,
) -> Result<()> {
    let mut grouped: BTreeMap<Group, Vec<(&str, Member<'_>)>> = BTreeMap::new();
    for (name, attribute) in &block.attributes {
        let group = attribute_group(name, attribute, root)?;
        let member = Member::Attribute(attribute);
        grouped.entry(group).or_default().push((name, member));
    }
    for (name, block_type) in &block.block_types {
        let group = block_group(name, block_type)?;
        let member = Member::Block(block_type);
        grouped.entry(group).or_default().push((name, member));
    }

    let mut nested = Vec::new();
    for group in Group::ALL {
        let Some(mut members) = grouped.remove(&group) else {
            continue;
        };
        members.sort_by_key(|(name, _)| *name);
        out.push_str(group.title(root));
        out.push_str("\n\n");
        for (name, member) in members {
            let mut path = parents.to_vec();
            path.push(name.to_owned());
            match member {
                Member::Attribute(attribute) => {
                    write_attribute(out, path, attribute, root, group, &mut nested)?
                }
                Member::Block(block_type) => write_block_type(out, path, block_type, &mut nested)?,
            }
        }
        out.push('\n');
    }
    write_nested(out, nested)
}

fn attribute_group(name: &str, attribute: &Attribute, root: bool) -> Result<Group> {
    if root && name == "id" && attribute.description.is_empty() {
        return Ok(Group::ReadOnly);
    }
    if attribute.required {
        Ok(Group::Required)
    } else if attribute.optional {
        Ok(Group::Optional)
    } else if attribute.computed {
        Ok(Group::ReadOnly)
    } else {
        bail!("attribute {name:?} is neither required, optional nor computed")
    }
}

fn block_group(name: &str, block_type: &BlockType) -> Result<Group> {
    if block_type.min_items > 0 {
        Ok(Group::Required)
    } else if block_is_optional(block_type) {
        Ok(Group::Optional)
    } else if block_is_read_only(block_type) {
        Ok(Group::ReadOnly)
    } else {
        bail!("block {name:?} has only computed contents but items limits; mark it computed")
    }
}

/// Optional: no minimum, and empty or with something a user can set.
fn block_is_optional(block_type: &BlockType) -> bool {
    if block_type.min_items > 0 {
        return false;
    }
    let block = &block_type.block;
    if block.attributes.is_empty() && block.block_types.is_empty() {
        return true;
    }
    block
        .block_types
        .values()
        .any(|b| b.min_items > 0 || block_is_optional(b))
        || block.attributes.values().any(|a| a.required || a.optional)
}

/// Read-only: no limits and every leaf computed-only.
fn block_is_read_only(block_type: &BlockType) -> bool {
    if block_type.min_items != 0 || block_type.max_items != 0 {
        return false;
    }
    let block = &block_type.block;
    block.block_types.values().all(block_is_read_only)
        && block
            .attributes
            .values()
            .all(|a| a.computed && !a.optional && !a.required)
}

fn write_attribute<'a>(
    out: &mut String,
    path: Vec<String>,
    attribute: &'a Attribute,
    root: bool,
    group: Group,
    nested: &mut Vec<Nested<'a>>,
) -> Result<()> {
    let name = path.last().map(String::as_str).unwrap_or_default();
    if attribute.nested_type.is_some() {
        bail!("attribute {name:?} uses nested attribute types, which the docs generator does not render; use a nested block");
    }
    let Some(ty_json) = &attribute.ty else {
        bail!("attribute {name:?} has no type");
    };
    let ty = CtyType::parse(ty_json)?;
    let _ = write!(out, "- `{name}` ({}", ty.doc_name());
    if attribute.sensitive {
        out.push_str(", Sensitive");
    }
    if attribute.deprecated {
        out.push_str(", Deprecated");
    }
    out.push(')');
    let mut description = attribute.description.trim().to_owned();
    if root && name == "id" && description.is_empty() {
        description = "The ID of this resource.".to_owned();
    }
    push_description(out, &description);
    if let Some(fields) = ty.nested_object() {
        let body = NestedBody::Object {
            fields: fields.clone(),
            group,
        };
        let entry = Nested::new("nestedatt", path, body);
        let _ = write!(out, " (see [below for nested schema](#{}))", entry.anchor);
        nested.push(entry);
    }
    out.push('\n');
    Ok(())
}

fn write_block_type<'a>(
    out: &mut String,
    path: Vec<String>,
    block_type: &'a BlockType,
    nested: &mut Vec<Nested<'a>>,
) -> Result<()> {
    let name = path.last().map(String::as_str).unwrap_or_default();
    let _ = write!(out, "- `{name}` (Block");
    match block_type.nesting_mode.as_str() {
        "single" | "group" => {
            let qualifier = match block_group(name, block_type)? {
                Group::Required => "Required",
                Group::Optional => "Optional",
                Group::ReadOnly => "Read-only",
            };
            let _ = write!(out, ", {qualifier}");
        }
        mode @ ("list" | "set" | "map") => {
            let kind = match mode {
                "list" => " List",
                "set" => " Set",
                _ => " Map",
            };
            // The kind belongs right after "Block".
            out.push_str(kind);
            if block_type.min_items > 0 {
                let _ = write!(out, ", Min: {}", block_type.min_items);
            }
        }
        other => bail!("block {name:?} has unknown nesting mode {other:?}"),
    }
    if block_type.max_items > 0 {
        let _ = write!(out, ", Max: {}", block_type.max_items);
    }
    if block_type.block.deprecated {
        out.push_str(", Deprecated");
    }
    out.push(')');
    push_description(out, block_type.block.description.trim());
    let entry = Nested::new("nestedblock", path, NestedBody::Block(&block_type.block));
    let _ = write!(out, " (see [below for nested schema](#{}))", entry.anchor);
    nested.push(entry);
    out.push('\n');
    Ok(())
}

/// Appends ` description`, keeping paragraph breaks as Markdown line breaks on one list item.
fn push_description(out: &mut String, description: &str) {
    if description.is_empty() {
        return;
    }
    let mut collapsed = String::with_capacity(description.len());
    let mut newlines = 0;
    for ch in description.chars() {
        if ch == '\n' {
            newlines += 1;
            continue;
        }
        match newlines {
            0 => {}
            1 => collapsed.push('\n'),
            _ => collapsed.push_str("  \n"),
        }
        newlines = 0;
        collapsed.push(ch);
    }
    out.push(' ');
    out.push_str(&collapsed);
}

fn write_nested(out: &mut String, nested: Vec<Nested<'_>>) -> Result<()> {
    for entry in nested {
        let _ = write!(
            out,
            "<a id=\"{}\"></a>\n### Nested Schema for `{}`\n\n",
            entry.anchor,
            entry.path.join(".")
        );
        match &entry.body {
            NestedBody::Block(block) => write_block_children(out, &entry.path, block, false)?,
            NestedBody::Object { fields, group } => {
                write_object_fields(out, &entry.path, fields, *group)?
            }
        }
        out.push('\n');
    }
    Ok(())
}

fn write_object_fields(
    out: &mut String,
    parents: &[String],
    fields: &BTreeMap<String, CtyType>,
    group: Group,
) -> Result<()> {
    out.push_str(group.title(false));
    out.push_str("\n\n");
    let mut nested = Vec::new();
    for (name, ty) in fields {
        let mut path = parents.to_vec();
        path.push(name.clone());
        let _ = write!(out, "- `{name}` ({})", ty.doc_name());
        if let Some(inner) = ty.nested_object() {
            let body = NestedBody::Object {
                fields: inner.clone(),
                group,
            };
            let entry = Nested::new("nestedobjatt", path, body);
            let _ = write!(out, " (see [below for nested schema](#{}))", entry.anchor);
            nested.push(entry);
        }
        out.push('\n');
    }
    out.push('\n');
    write_nested(out, nested)
}
