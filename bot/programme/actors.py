"""Who does something, what role they have, and the refusal when it is not theirs to do.

Every use case in `bot.programme` takes an `Actor` and checks the role itself, so a chat
command, the `sdgbot` command and a web page cannot disagree about who may do what. Roles are
ranked user < coordinator < admin. The person at the server's terminal acts as an admin (they
could edit the database anyway); the audit log names them ``cli:<login>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.models import ROLES, User

ROLE_RANK: dict[str, int] = {"user": 0, "coordinator": 1, "admin": 2}


class ProgrammeError(Exception):
    """A use case cannot go ahead; the message is one readable line for the person asking."""


class NotAllowed(ProgrammeError):
    """The actor's role does not allow this."""


class NotFound(ProgrammeError):
    """What the actor named does not exist (any more)."""


def has_role(user: User | Actor, role: str) -> bool:
    """Whether `user` has `role` or a higher one."""
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


@dataclass(frozen=True)
class Actor:
    """Someone acting on the programme.

    Attributes:
        label: how the audit log names them (``telegram:42``, ``cli:ana``, ``web:telegram:42``).
        role: ``user``, ``coordinator`` or ``admin``.
        user: their user row, when they have one (chat and web; not the terminal).
    """

    label: str
    role: str
    user: User | None = None

    @classmethod
    def of_user(cls, user: User, via: str | None = None) -> Actor:
        """A person known to the bot; `via` prefixes the label (``web``) when not the chat."""
        label = f"{via}:{user.key}" if via else user.key
        return cls(label[:100], user.role if user.role in ROLES else "user", user)

    @classmethod
    def terminal(cls, login: str) -> Actor:
        """The person at the server's terminal (`sdgbot …`)."""
        return cls(f"cli:{login}"[:100], "admin")

    def require(self, role: str = "coordinator") -> None:
        """Raise `NotAllowed` unless the actor has `role` or a higher one."""
        if not has_role(self, role):
            raise NotAllowed(f"this needs the {role} role")

    @property
    def audit_name(self) -> User | str:
        """What `bot.storage.audit.audit` records as the actor."""
        return self.user if self.user is not None and self.label == self.user.key else self.label


__all__ = ["ROLE_RANK", "Actor", "NotAllowed", "NotFound", "ProgrammeError", "has_role"]
