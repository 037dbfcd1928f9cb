"""Reads of the notifications app, one module per concern (as in ``services/``)."""
