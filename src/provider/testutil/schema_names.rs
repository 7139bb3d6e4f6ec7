//! Names of a schema block's attributes and nested blocks, in order, and an attribute by its
//! name, for schema tests.

use crate::plugin::{Attribute, Block};

/// The block's attribute names, in schema order.
pub fn attr_names(block: &Block) -> Vec<&str> {
    block.attributes.iter().map(|a| a.name.as_str()).collect()
}

/// The block's nested block type names, in schema order.
pub fn block_names(block: &Block) -> Vec<&str> {
    block.blocks.iter().map(|b| b.type_name.as_str()).collect()
}

/// The block's attribute `name`; panics (failing the test) when there is none.
pub fn attr<'b>(block: &'b Block, name: &str) -> &'b Attribute {
    block
        .attributes
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
}
