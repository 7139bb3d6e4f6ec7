# Adopt the partner configuration that already exists; the ID is the partner's tenant ID.
import {
  to = msgraph_cross_tenant_access_partner.contoso
  id = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
}
