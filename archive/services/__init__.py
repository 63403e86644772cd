"""Application services: what the API, the CLI and the worker do, framework-free."""
