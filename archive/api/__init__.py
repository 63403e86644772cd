"""The GraphQL API: schema slices per domain, merged in ``build_schema``."""
