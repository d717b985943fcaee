"""Glue between channels, the pure engine and storage: one input, one transaction, events out."""
