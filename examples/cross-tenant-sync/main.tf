# Cross-tenant synchronization end to end, both tenants in one configuration (a provider
# alias per tenant):
# - target tenant: the partner configuration for the source tenant, allowing inbound
#   automatic consent, and the identity sync policy allowing users in;
# - source tenant: the partner configuration for the target tenant, allowing outbound
#   automatic consent.
# The synchronization job itself (the source tenant's configuration application) is set up
# in the source tenant afterwards.

terraform {
  required_version = ">= 1.0"

  required_providers {
    msgraph = {
      source = "registry.example.com/platform/msgraph"
    }
  }
}

variable "source_tenant_id" {
  description = "The tenant users are synchronized from."
  type        = string
  default     = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
}

variable "target_tenant_id" {
  description = "The tenant users are synchronized into."
  type        = string
  default     = "3d0f5dba-6a38-4c8e-9d1e-2b8f6e4a7c51"
}

# Signs in to the target tenant (ARM_CLIENT_ID / ARM_CLIENT_SECRET or OIDC from the environment).
provider "msgraph" {
  tenant_id = var.target_tenant_id
}

# Signs in to the source tenant.
provider "msgraph" {
  alias     = "source"
  tenant_id = var.source_tenant_id
}

# Target tenant: inbound consent for the source tenant...
resource "msgraph_cross_tenant_access_partner" "source" {
  tenant_id = var.source_tenant_id

  automatic_user_consent_settings {
    inbound_allowed = true
  }
}

# ...and inbound synchronization from it. The reference orders create and destroy.
resource "msgraph_cross_tenant_identity_sync" "source" {
  tenant_id    = msgraph_cross_tenant_access_partner.source.tenant_id
  display_name = "Source tenant"

  user_sync_inbound {
    is_sync_allowed = true
  }
}

# Source tenant: outbound consent towards the target tenant.
resource "msgraph_cross_tenant_access_partner" "target" {
  provider  = msgraph.source
  tenant_id = var.target_tenant_id

  automatic_user_consent_settings {
    outbound_allowed = true
  }
}
