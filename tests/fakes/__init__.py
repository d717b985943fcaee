"""Test doubles shared by the test suite and the benchmarks (the fake Telegram Bot API)."""
