"""Reads of the api app: ``clients`` (a Supplier's API clients, for its administrators)."""
