"""Benchmarks: sdgbot against a bare python-telegram-bot baseline (``python -m bench.run``)."""
