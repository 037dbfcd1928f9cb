"""Reads of the webhooks app."""
