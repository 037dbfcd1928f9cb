"""Forms of the api app: ``clients`` (an API client's name, scopes and source addresses)."""
