# Read the synchronization policy a tenant holds for one partner.
data "msgraph_cross_tenant_identity_sync" "fabrikam" {
  tenant_id = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
}

output "fabrikam_sync_allowed" {
  value = data.msgraph_cross_tenant_identity_sync.fabrikam.user_sync_inbound.is_sync_allowed
}
