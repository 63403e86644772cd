"""Adapters for calls the archive makes to the outside: webhook deliveries."""
