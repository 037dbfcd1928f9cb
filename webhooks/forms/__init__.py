"""Forms of the webhooks app: they collect and shape input; the rules are in its services."""
