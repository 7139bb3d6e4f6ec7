# Read a partner configuration; settings that inherit the default settings are null.
data "msgraph_cross_tenant_access_partner" "contoso" {
  tenant_id = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
}

output "contoso_inbound_consent" {
  value = data.msgraph_cross_tenant_access_partner.contoso.automatic_user_consent_settings
}
