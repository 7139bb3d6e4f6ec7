# Adopt the tenant's default settings; they always exist and their ID is "default".
import {
  to = msgraph_cross_tenant_access_default.this
  id = "default"
}
