"""The history of administration (变更记录), read by a tenant's admins and auditors."""
