"""What the simulated users say: onboarding, then the quick path of the SDG self-assessment.

Answers are valid for ``flows/onboarding.yaml`` and ``flows/sdg_assessment.yaml`` in French;
each step names a piece of the question the bot must ask next, so a bot that goes off the
script is noticed (the run fails) instead of being timed on error messages. In normal mode
users tap where there are buttons and type the rest (ratings, goals, several choices); in lite
mode there are no buttons, so they type the option number instead.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ASSESSMENT", "FIRST_CONTACT", "LITE_ON", "ONBOARDING", "Step"]


@dataclass(frozen=True)
class Step:
    """One input of a simulated user and what the bot must answer.

    Attributes:
        text: what is typed (a command, an answer, or in lite mode the option number).
        tap: the label of the button tapped instead, in normal mode (None: type ``text``).
        expect: a piece of the bot's last message once it has handled this input.
        expect_lite: the same in lite mode, when it differs.
    """

    text: str
    tap: str | None = None
    expect: str = ""
    expect_lite: str | None = None

    def expected(self, lite: bool) -> str:
        """What the reply must contain in this mode."""
        return self.expect_lite if lite and self.expect_lite is not None else self.expect


FIRST_CONTACT = Step("Bonjour, je voudrais faire le point sur les ODD", expect="Dans quelle langue")
"""A new user's first message (the "400 users writing at once" run)."""

ONBOARDING: tuple[Step, ...] = (
    Step("/start", expect="Dans quelle langue"),
    Step("1", tap="Français", expect="Comment vous appelez-vous"),
    Step("Ama Mensah", expect="Quel est votre rôle"),
    Step("1", tap="Agent communal", expect="Dans quel pays"),
    Step("1", tap="Belgique", expect="Quelle est votre commune"),
    Step("Gent", expect="Gent (Belgique)"),
)

ASSESSMENT: tuple[Step, ...] = (
    Step("/assess", expect="Quel parcours"),
    Step("1", tap="Rapide (10 min)", expect="Le conseil communal a-t-il"),
    Step("1", tap="Oui", expect="le personnel connaît-il"),
    Step("3", tap="3", expect="Qui coordonne"),
    Step("3", tap="Un référent ODD", expect="plan pluriannuel"),
    Step("2", tap="En partie", expect="quel « P »"),
    Step("2", tap="Planète (6, 12–15)", expect="objectifs prioritaires ?"),
    Step("13 11", expect="ODD 13 ·"),
    Step("1 3", expect="ODD 11 ·"),
    Step("2 4", expect="situation de référence"),
    Step("2", tap="Référence seulement", expect="À quelle fréquence"),
    Step("2", tap="Une fois par an", expect="sources de données"),
    Step("1, 2", expect="Niveau interne"),
    Step("2 1 3", expect="associez-vous les habitants"),
    Step("3", tap="Consulter", expect="Communiquez-vous"),
    Step("2", tap="De temps en temps", expect="Niveau mondial"),
    Step("1 3", expect="Rendez-vous compte"),
    # Normal mode: the result, then the menu; lite mode: the result is the last message.
    Step("2", tap="Un rapport public", expect="Autre chose", expect_lite="Parcours rapide"),
)
"""The quick path, 18 inputs from ``/assess`` to the result (the user is onboarded)."""

LITE_ON = Step("/lite", expect="Mode léger activé")
"""Switch a user to lite mode (no buttons or files, one compact message per question)."""
