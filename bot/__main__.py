"""`python -m bot` runs the `sdgbot` command."""

from bot.cli import main

main()
