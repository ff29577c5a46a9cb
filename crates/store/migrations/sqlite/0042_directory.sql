-- Signing in against a company directory (issue 24): a tenant's LDAP settings (JSON, the
-- service account's password among them), and which users the directory manages (their
-- distinguished name; their roles follow their groups at every sign-in).
ALTER TABLE tenants ADD COLUMN directory TEXT;
ALTER TABLE users ADD COLUMN directory_dn TEXT;
