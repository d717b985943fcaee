"""Apply answers that also belong to the user's profile (`saves_to: user.…` in a flow)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.i18n import LANGUAGES
from bot.programme.places import typed_in_onboarding

if TYPE_CHECKING:
    from bot.conversation.turn import Turn

COORDINATOR_KIND = "coordinator"


async def apply_profile(turn: Turn, target: str, value: Any) -> None:
    """Write one profile field from an answer, in the input's transaction."""
    tx, user = turn.tx, turn.user
    field = target.removeprefix("user.")
    if value is None:
        return
    if field == "language" and value in LANGUAGES:
        await tx.update_user(user, language=value)
    elif field == "name":
        await tx.update_user(user, name=str(value)[:200])
    elif field == "kind":
        await tx.update_user(user, kind=str(value))
        if value == COORDINATOR_KIND and user.role == "user":
            # Coordinator is a request, granted by a coordinator (see `sdgbot users promote`).
            await tx.update_user(user, requested_role="coordinator")
    elif field == "country":
        known = turn.service.catalogue.country(str(value))
        fields: dict[str, Any] = {"country": str(value).upper()[:2]}
        if known is not None and not user.timezone:
            fields["timezone"] = known.timezone
        await tx.update_user(user, **fields)
    elif field == "timezone":
        await tx.update_user(user, timezone=str(value))
    elif field == "municipality":
        # Unknown names are kept as proposed (capitalised), for a coordinator to confirm.
        municipality = await typed_in_onboarding(tx, str(value), user.country or "BE")
        await tx.update_user(user, municipality_id=municipality.id)
