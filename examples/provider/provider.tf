terraform {
  required_providers {
    msgraph = {
      source = "entra/msgraph"
    }
  }
}

# Credentials usually come from the environment (ARM_TENANT_ID, ARM_CLIENT_ID,
# ARM_CLIENT_SECRET, ARM_USE_OIDC, ...); see Authentication below.
provider "msgraph" {
  tenant_id = "00000000-0000-0000-0000-000000000000"
  client_id = "11111111-1111-1111-1111-111111111111"
  use_oidc  = true
  use_cli   = false
}
