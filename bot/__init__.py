"""sdgbot: an SDG localisation assistant for local governments, on Telegram and in the console."""

__version__ = "0.1.0"
