# The configuration `cargo xtask demo` runs against the bundled Graph simulator (msgraph-sim).
# The simulator's address and its default app's credentials arrive as variables
# (TF_VAR_sim_url, TF_VAR_tenant_id, ...), so nothing here reaches a real tenant.

terraform {
  required_providers {
    msgraph = {
      source = "registry.example.com/platform/msgraph"
    }
  }
}

provider "msgraph" {
  tenant_id      = var.tenant_id
  client_id      = var.client_id
  client_secret  = var.client_secret
  graph_endpoint = var.sim_url
  authority_host = var.sim_url
  use_cli        = false
}

# The target tenant's side of cross-tenant synchronization: the partner configuration, with
# automatic user consent for inbound sync, then the synchronization policy under it. Referring to
# the partner's tenant_id makes Terraform create the partner first and destroy it last.
resource "msgraph_cross_tenant_access_partner" "partner" {
  tenant_id = var.partner_tenant_id

  automatic_user_consent_settings {
    inbound_allowed = true
  }
}

resource "msgraph_cross_tenant_identity_sync" "partner" {
  tenant_id    = msgraph_cross_tenant_access_partner.partner.tenant_id
  display_name = "Fabrikam (demo partner)"

  user_sync_inbound {
    is_sync_allowed = var.is_sync_allowed
  }
}

output "partner_tenant_id" {
  value = msgraph_cross_tenant_identity_sync.partner.tenant_id
}

output "is_sync_allowed" {
  value = msgraph_cross_tenant_identity_sync.partner.user_sync_inbound.is_sync_allowed
}
