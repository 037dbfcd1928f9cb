"""Pages of the api app: ``clients`` (a Supplier's administrators manage its API clients)."""
