"""Signed webhooks for Suppliers' back-office systems, delivered through an outbox."""
