# Allow users from the Fabrikam tenant to be synchronized into this tenant.
# The partner's cross-tenant access configuration must already exist.
resource "msgraph_cross_tenant_identity_sync" "fabrikam" {
  tenant_id    = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
  display_name = "Fabrikam"

  user_sync_inbound {
    # false stops synchronization from the partner; users already synchronized stay.
    is_sync_allowed = true
  }

  timeouts {
    create = "10m"
    update = "10m"
  }
}
