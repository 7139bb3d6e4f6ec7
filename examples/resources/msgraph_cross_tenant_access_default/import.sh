# The default settings always exist; their import ID is "default".
terraform import msgraph_cross_tenant_access_default.this default
