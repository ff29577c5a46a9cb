-- Signing in with OpenID Connect (issue 24): a tenant's provider (JSON, the client secret
-- among it). People it signs in are kept like a directory's, their identity
-- `oidc:<issuer>#<subject>` in users.directory_dn.
ALTER TABLE tenants ADD COLUMN oidc TEXT;
