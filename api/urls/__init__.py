"""URL confs of the api app, one per mount point (ssi_portal/urls.py): ``v1`` at /api/v1/ (the
machine API, bearer tokens only), ``clients`` at /organisation/api-clients/ (the pages where a
Supplier's administrators manage its API clients)."""
