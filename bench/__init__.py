"""Benchmarks of sdgbot against a bare python-telegram-bot baseline (run: ``python -m bench.run``)."""
