"""Tenants and who they are: API keys, OIDC tokens, and each tenant's rate limits and quotas."""
