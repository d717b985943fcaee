"""What sdgbot produces for people to read or compute with: exports, the report, charts.

Formats only: these modules read through `bot.storage` and render; who may ask for what, and
the audit of it, is `bot.programme`'s business.
"""
