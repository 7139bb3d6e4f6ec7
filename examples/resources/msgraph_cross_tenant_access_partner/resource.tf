# The target tenant's side of cross-tenant synchronization with Contoso: the partner
# configuration lets Contoso's users in without a consent prompt, and the identity sync policy
# under it allows the synchronization. Referencing the partner's tenant_id makes Terraform
# create the partner first and destroy it last.
resource "msgraph_cross_tenant_access_partner" "contoso" {
  tenant_id = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"

  automatic_user_consent_settings {
    inbound_allowed = true
  }

  inbound_trust {
    is_mfa_accepted              = true
    is_compliant_device_accepted = true
  }

  b2b_collaboration_inbound {
    users_and_groups {
      access_type = "allowed"
      targets {
        target      = "AllUsers"
        target_type = "user"
      }
    }
    applications {
      access_type = "allowed"
      targets {
        target      = "AllApplications"
        target_type = "application"
      }
    }
  }

  # Settings left out (b2b_direct_connect_*, tenant_restrictions, ...) inherit the default
  # settings; removing a block later sets it back to inheriting them.

  timeouts {
    create = "10m"
  }
}

resource "msgraph_cross_tenant_identity_sync" "contoso" {
  tenant_id    = msgraph_cross_tenant_access_partner.contoso.tenant_id
  display_name = "Contoso"

  user_sync_inbound {
    is_sync_allowed = true
  }
}
