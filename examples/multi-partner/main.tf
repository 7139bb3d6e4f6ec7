# Inbound user synchronization for every partner tenant of an organisation, from one map.
# Adding a partner is one map entry; flipping sync_users to false stops synchronization from
# that partner (users already synchronized stay); removing an entry deletes its policy.

terraform {
  required_version = ">= 1.0"

  required_providers {
    msgraph = {
      source = "registry.example.com/platform/msgraph"
    }
  }
}

provider "msgraph" {
  # Credentials from the environment: ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET,
  # or ARM_USE_OIDC=true in CI.
}

variable "partners" {
  description = "Partner tenants, keyed by a short name: their tenant ID, display name and whether their users are synchronized into this tenant."
  type = map(object({
    tenant_id    = string
    display_name = string
    sync_users   = bool
  }))
  default = {
    fabrikam = {
      tenant_id    = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
      display_name = "Fabrikam Europe"
      sync_users   = true
    }
    contoso_labs = {
      tenant_id    = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
      display_name = "Contoso Labs"
      sync_users   = true
    }
    northwind = {
      # Offboarding: stop synchronizing new users, keep the ones already there.
      tenant_id    = "0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"
      display_name = "Northwind Traders"
      sync_users   = false
    }
  }

  validation {
    condition = alltrue([
      for p in values(var.partners) :
      can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", p.tenant_id))
    ])
    error_message = "Every partner tenant_id must be a GUID."
  }
}

resource "msgraph_cross_tenant_identity_sync" "partner" {
  for_each = var.partners

  tenant_id    = each.value.tenant_id
  display_name = each.value.display_name

  user_sync_inbound {
    is_sync_allowed = each.value.sync_users
  }

  timeouts {
    create = "10m"
    update = "10m"
    delete = "10m"
  }
}

output "synchronized_partners" {
  description = "Partners whose users are synchronized into this tenant."
  value = sort([
    for key, policy in msgraph_cross_tenant_identity_sync.partner :
    key if policy.user_sync_inbound.is_sync_allowed
  ])
}
