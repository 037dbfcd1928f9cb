"""Reads of the inventory app, one module per concern (as in ``services/``)."""
