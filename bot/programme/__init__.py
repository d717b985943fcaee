"""The programme's use cases, without a channel: what coordinators and officials can do.

People and roles, deadlines, broadcasts, exports, privacy, statistics, seeding. Chat commands
(`bot.conversation`), the `sdgbot` command (`bot.cli`) and the web console call these same
functions; each checks the actor's role itself (`bot.programme.actors`) and writes the audit
entry of every change, so no surface can forget either.
"""
