"""The fake Bot API's control API, for tests that drive a bot running in another process.

Served on the same port under ``/_control/``; every answer is JSON. Users are created on
first use (``first_name`` "User<id>", French) unless ``POST /_control/users`` made them first.

==========================================  =============================================
``GET  /_control/health``                   ``{"ok": true, "base_url": …}``
``POST /_control/users``                    ``{user_id, first_name?, language_code?, username?}``
``POST /_control/groups``                   ``{chat_id, title}``
``POST /_control/push/text``                ``{user_id, text, chat_id?}`` → the update
``POST /_control/push/command``             ``{user_id, command, chat_id?}`` → the update
``POST /_control/push/callback``            ``{user_id, message_id, data, chat_id?}`` → the update
``POST /_control/push/update``              ``{update: {...}}`` → the update
``POST /_control/redeliver``                ``{update_id}``
``POST /_control/block`` / ``unblock``      ``{user_id}``
``POST /_control/faults``                   ``{method, kind, count?, retry_after?, delivers?}``
``POST /_control/fault_rate``               ``{p, kinds?, seed?}``
``POST /_control/faults/clear``             removes every fault
``GET  /_control/sent?chat_id=``            the bot's messages (all, or to one chat)
``GET  /_control/wait?count=&timeout=``     waits for ``count`` sent messages (504 on timeout)
``GET  /_control/stats``                    counters
``GET  /_control/requests``                 every request with its answer
``GET  /_control/callback_answers``         every answerCallbackQuery
==========================================  =============================================
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.bot_api_model import ChatHandle, SentMessage, UserHandle

if TYPE_CHECKING:
    from tests.fakes.bot_api import FakeBotApi

__all__ = ["add_control_routes", "sent_to_json"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sent_to_json(message: SentMessage) -> dict[str, Any]:
    """A JSON-friendly view of a bot message (file content omitted)."""
    view = asdict(message)
    view.pop("file_bytes")
    view["file_size"] = len(message.file_bytes)
    view["entities"] = list(message.entities)
    return view


class _Control:
    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    def _user(self, body: dict[str, Any]) -> UserHandle:
        user_id = int(body["user_id"])
        return self.api.users.get(user_id) or self.api.user(user_id)

    def _group(self, body: dict[str, Any]) -> ChatHandle | None:
        chat_id = body.get("chat_id")
        if chat_id is None or int(chat_id) > 0:
            return None
        chat = self.api.chats.get(int(chat_id))
        if chat is None:
            raise KeyError(f"no group {chat_id}; create it with POST /_control/groups")
        return ChatHandle(chat["id"], chat.get("title", ""), chat["type"])

    async def health(self, body: dict[str, Any]) -> Any:
        return {"ok": True, "base_url": self.api.base_url, "token": self.api.token}

    async def users(self, body: dict[str, Any]) -> Any:
        user = self.api.user(
            int(body["user_id"]),
            first_name=body.get("first_name"),
            language_code=body.get("language_code", "fr"),
            username=body.get("username"),
        )
        return user.to_dict()

    async def groups(self, body: dict[str, Any]) -> Any:
        return self.api.group(int(body["chat_id"]), str(body["title"])).chat()

    async def push_text(self, body: dict[str, Any]) -> Any:
        return self.api.push_text(self._user(body), str(body["text"]), chat=self._group(body))

    async def push_command(self, body: dict[str, Any]) -> Any:
        return self.api.push_command(self._user(body), str(body["command"]), chat=self._group(body))

    async def push_callback(self, body: dict[str, Any]) -> Any:
        user = self._user(body)
        chat_id = int(body.get("chat_id", user.id))
        message = self.api.bot_message(chat_id, int(body["message_id"]))
        if message is None:
            raise KeyError(f"the bot has no message {body['message_id']} in chat {chat_id}")
        return self.api.push_callback(user, message, str(body["data"]))

    async def push_update(self, body: dict[str, Any]) -> Any:
        return self.api.push_update(body.get("update", body))

    async def redeliver(self, body: dict[str, Any]) -> Any:
        self.api.redeliver(int(body["update_id"]))
        return True

    async def block(self, body: dict[str, Any]) -> Any:
        self.api.block(int(body["user_id"]))
        return True

    async def unblock(self, body: dict[str, Any]) -> Any:
        self.api.unblock(int(body["user_id"]))
        return True

    async def faults(self, body: dict[str, Any]) -> Any:
        self.api.fail_next(
            str(body["method"]),
            body["kind"],
            count=int(body.get("count", 1)),
            retry_after=int(body.get("retry_after", 1)),
            delivers=body.get("delivers"),
        )
        return True

    async def fault_rate(self, body: dict[str, Any]) -> Any:
        self.api.fault_rate(
            float(body["p"]),
            tuple(body.get("kinds", ("429", "500", "timeout"))),
            seed=body.get("seed"),
        )
        return True

    async def clear_faults(self, body: dict[str, Any]) -> Any:
        self.api.faults.clear()
        return True

    async def sent(self, body: dict[str, Any]) -> Any:
        if "chat_id" in body:
            return [
                sent_to_json(m)
                for m in self.api.messages_to(int(body["chat_id"]), include_deleted=True)
            ]
        return [sent_to_json(m) for m in self.api.sent]

    async def wait(self, body: dict[str, Any]) -> Any:
        messages = await self.api.wait_for(
            int(body["count"]), timeout=float(body.get("timeout", 5))
        )
        return [sent_to_json(m) for m in messages]

    async def stats(self, body: dict[str, Any]) -> Any:
        return self.api.stats.to_dict()

    async def requests(self, body: dict[str, Any]) -> Any:
        return [asdict(r) for r in self.api.requests]

    async def callback_answers(self, body: dict[str, Any]) -> Any:
        return self.api.callback_answers


def _wrap(action: Callable[[dict[str, Any]], Awaitable[Any]]) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            try:
                decoded = await request.json()
            except ValueError:
                return web.json_response(
                    {"ok": False, "description": "JSON body expected"}, status=400
                )
            if isinstance(decoded, dict):
                body.update(decoded)
        try:
            result = await action(body)
        except TimeoutError as error:
            return web.json_response({"ok": False, "description": str(error)}, status=504)
        except (KeyError, ValueError, TypeError) as error:
            return web.json_response(
                {"ok": False, "description": f"{type(error).__name__}: {error}"}, status=400
            )
        return web.json_response({"ok": True, "result": result})

    return handler


def add_control_routes(app: web.Application, api: FakeBotApi) -> None:
    """Register the ``/_control/`` routes of ``api`` on ``app``."""
    control = _Control(api)
    routes: list[tuple[str, str, Callable[[dict[str, Any]], Awaitable[Any]]]] = [
        ("GET", "health", control.health),
        ("POST", "users", control.users),
        ("POST", "groups", control.groups),
        ("POST", "push/text", control.push_text),
        ("POST", "push/command", control.push_command),
        ("POST", "push/callback", control.push_callback),
        ("POST", "push/update", control.push_update),
        ("POST", "redeliver", control.redeliver),
        ("POST", "block", control.block),
        ("POST", "unblock", control.unblock),
        ("POST", "faults", control.faults),
        ("POST", "fault_rate", control.fault_rate),
        ("POST", "faults/clear", control.clear_faults),
        ("GET", "sent", control.sent),
        ("GET", "wait", control.wait),
        ("GET", "stats", control.stats),
        ("GET", "requests", control.requests),
        ("GET", "callback_answers", control.callback_answers),
    ]
    for verb, path, action in routes:
        app.router.add_route(verb, f"/_control/{path}", _wrap(action))
