"""The coordinators' web console: server-rendered pages over `bot.programme`.

`app.make_app` builds the aiohttp application over the bot's conversation service (same event
loop, same database); `app.start` serves it inside ``sdgbot run --web-port N`` or alone
(``sdgbot web``). One module per area registers its routes; templates in ``templates/``,
htmx and the stylesheet in ``static/``, texts in ``content/web.yaml``.
"""
