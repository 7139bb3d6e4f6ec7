# Adopt the policy that already exists for this partner; the ID is the partner's tenant ID.
import {
  to = msgraph_cross_tenant_identity_sync.fabrikam
  id = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
}
