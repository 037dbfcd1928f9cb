"""Pages of the webhooks app, for a Supplier's administrators, under /organisation/webhooks/."""
