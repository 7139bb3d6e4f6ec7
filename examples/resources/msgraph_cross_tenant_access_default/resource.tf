# The tenant's default cross-tenant access settings, which every partner configuration
# inherits for what it leaves out. Only the blocks set here are changed; destroying the
# resource resets every setting to the system defaults.
resource "msgraph_cross_tenant_access_default" "this" {
  inbound_trust {
    is_mfa_accepted = true
  }

  b2b_direct_connect_inbound {
    users_and_groups {
      access_type = "blocked"
      targets {
        target      = "AllUsers"
        target_type = "user"
      }
    }
  }

  tenant_restrictions {
    devices {
      mode = "include"
      rule = "device.trustType -eq \"AzureAD\""
    }
  }
}
