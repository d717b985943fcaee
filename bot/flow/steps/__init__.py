"""Step kinds; importing this package registers every kind under its YAML `kind:`."""

from bot.flow.steps import (  # noqa: F401
    branch,
    choice,
    collect,
    compute,
    date,
    lookup,
    message,
    multi,
    number,
    ratings,
    scale,
    sdg,
    text,
    yesno,
)
