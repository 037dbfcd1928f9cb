"""Reads of the accounts app, one module per concern (as in ``services/``)."""
