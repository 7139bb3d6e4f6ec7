terraform {
  required_providers {
    msgraph = {
      # The host and namespace of the private registry you publish the provider to with
      # `cargo xtask registry` (see the README's "Publishing" section).
      source = "registry.example.com/platform/msgraph"
    }
  }
}

# Signs in as an app registration; its client secret comes from the ARM_CLIENT_SECRET
# environment variable, so no secret is written here. Certificates, OIDC, managed identity
# and the Azure CLI work too: see the provider documentation's Authentication section.
provider "msgraph" {
  tenant_id = "00000000-0000-0000-0000-000000000000" # the tenant whose settings are managed
  client_id = "11111111-1111-1111-1111-111111111111" # the app registration
  use_cli   = false                                  # fail rather than use whoever ran `az login`
}
