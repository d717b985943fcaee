"""Issue #18: words instead of buttons after a menu, a yes/no question or the language picker.

End to end on the fake Bot API: "oui" confirms /forget, "frans" picks French after /language
(not the open question's answer), "bonjour" and "dank je" outside a flow get a friendly word
and the menu instead of "I didn't understand".
"""

from __future__ import annotations

from tests.channels.harness import BotUnderTest
from tests.channels.test_telegram import onboard_by_taps, start_check


async def test_oui_confirms_forget(bot: BotUnderTest) -> None:
    ama = bot.api.user(1801, language_code="fr")
    await onboard_by_taps(bot, ama)
    [confirm] = await bot.say(ama, "/forget")
    assert "1. " in confirm.plain and "2. " in confirm.plain
    await bot.say(ama, "oui")
    assert bot.service is not None
    async with bot.service.store.transaction() as tx:
        assert await tx.get_user("telegram", str(ama.id)) is None


async def test_nee_keeps_everything_after_forget(bot: BotUnderTest) -> None:
    koen = bot.api.user(1802, language_code="fr")
    await onboard_by_taps(bot, koen)
    await bot.say(koen, "/language")
    await bot.say(koen, "nederlands")
    await bot.say(koen, "/forget")
    kept = await bot.say(koen, "nee hoor")
    assert "\n1. " in kept[-1].plain  # the menu again
    assert bot.service is not None
    async with bot.service.store.transaction() as tx:
        assert await tx.get_user("telegram", str(koen.id)) is not None


async def test_a_language_typed_after_language_is_not_the_open_questions_answer(
    bot: BotUnderTest,
) -> None:
    ama = bot.api.user(1803, language_code="fr")
    await start_check(bot, ama)
    await bot.say(ama, "/language")
    again = await bot.say(ama, "Spaans")  # Dutch for "Spanish"
    assert "¿Qué fruta prefiere?" in again[-1].plain
    await bot.say(ama, "/language")
    again = await bot.say(ama, "frans")
    assert "Quel fruit préférez-vous ?" in again[-1].plain
    assert not bot.rejected()


async def test_small_talk_outside_a_flow_gets_a_friendly_word_and_the_menu(
    bot: BotUnderTest,
) -> None:
    ama = bot.api.user(1804, language_code="fr")
    await onboard_by_taps(bot, ama)
    for typed, expected in (
        ("Bonjour !", "Bonjour"),
        ("merci beaucoup", "Avec plaisir"),
        ("aide", "pas à pas"),
    ):
        reply = await bot.say(ama, typed)
        assert expected in reply[-1].plain and "n’ai pas compris" not in reply[-1].plain
        assert "\n1. " in reply[-1].plain or reply[-1].reply_markup
