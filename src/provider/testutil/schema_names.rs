//! Names of a schema block's attributes and nested blocks, in order, for schema tests.

use crate::plugin::Block;

/// The block's attribute names, in schema order.
pub fn attr_names(block: &Block) -> Vec<&str> {
    block.attributes.iter().map(|a| a.name.as_str()).collect()
}

/// The block's nested block type names, in schema order.
pub fn block_names(block: &Block) -> Vec<&str> {
    block.blocks.iter().map(|b| b.type_name.as_str()).collect()
}
