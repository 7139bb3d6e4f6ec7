# The import ID is the partner's tenant ID.
terraform import msgraph_cross_tenant_access_partner.contoso 90e29127-71ad-49c7-9ce8-db3f41ea06f1
