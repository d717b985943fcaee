"""One input from any channel → one database transaction → the events to send back.

`conversations.Conversations` is the service channels talk to; `turn.Turn` is one input being
handled; `commands` and the chat modules beside it answer commands, taps and free text, calling
`bot.programme` for anything a coordinator or official does; `table.COMMANDS` lists them all.
"""
