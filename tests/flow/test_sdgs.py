"""The SDG catalogue: the real content/sdgs.yaml, its checks, and reading goals from text."""

from __future__ import annotations

import copy
import re
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flow.matching import normalize
from bot.flow.sdgs import SdgCatalogue, SdgMatch
from bot.i18n import LANGUAGES

DATA: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "content" / "sdgs.yaml").read_text(encoding="utf-8")
)
SDGS = SdgCatalogue.from_data(DATA)

# The official short names, as in /work/shared/DOMAIN.md (UN; Dutch as used in Belgium).
OFFICIAL = """
1 | No poverty | Pas de pauvreté | Fin de la pobreza | Geen armoede
2 | Zero hunger | Faim « zéro » | Hambre cero | Geen honger
3 | Good health and well-being | Bonne santé et bien-être | Salud y bienestar | Goede gezondheid en welzijn
4 | Quality education | Éducation de qualité | Educación de calidad | Kwaliteitsonderwijs
5 | Gender equality | Égalité entre les sexes | Igualdad de género | Gendergelijkheid
6 | Clean water and sanitation | Eau propre et assainissement | Agua limpia y saneamiento | Schoon water en sanitair
7 | Affordable and clean energy | Énergie propre et d'un coût abordable | Energía asequible y no contaminante | Betaalbare en duurzame energie
8 | Decent work and economic growth | Travail décent et croissance économique | Trabajo decente y crecimiento económico | Waardig werk en economische groei
9 | Industry, innovation and infrastructure | Industrie, innovation et infrastructure | Industria, innovación e infraestructura | Industrie, innovatie en infrastructuur
10 | Reduced inequalities | Inégalités réduites | Reducción de las desigualdades | Ongelijkheid verminderen
11 | Sustainable cities and communities | Villes et communautés durables | Ciudades y comunidades sostenibles | Duurzame steden en gemeenschappen
12 | Responsible consumption and production | Consommation et production responsables | Producción y consumo responsables | Verantwoorde consumptie en productie
13 | Climate action | Mesures relatives à la lutte contre les changements climatiques | Acción por el clima | Klimaatactie
14 | Life below water | Vie aquatique | Vida submarina | Leven in het water
15 | Life on land | Vie terrestre | Vida de ecosistemas terrestres | Leven op het land
16 | Peace, justice and strong institutions | Paix, justice et institutions efficaces | Paz, justicia e instituciones sólidas | Vrede, justitie en sterke publieke diensten
17 | Partnerships for the goals | Partenariats pour la réalisation des objectifs | Alianzas para lograr los objetivos | Partnerschap om doelstellingen te bereiken
"""  # noqa: E501
UN_COLOURS = tuple(
    re.findall(
        r"\S+",
        "#E5243B #DDA63A #4C9F38 #C5192D #FF3A21 #26BDE2 #FCC30B #A21942 #FD6925 #DD1367 "
        "#FD9D24 #BF8B2E #3F7E44 #0A97D9 #56C02B #00689D #19486A",
    )
)


def _official() -> dict[int, dict[str, str]]:
    names = {}
    for line in OFFICIAL.strip().splitlines():
        number, en, fr, es, nl = (cell.strip() for cell in line.split("|"))
        names[int(number)] = {"en": en, "fr": fr, "es": es, "nl": nl}
    return names


def test_goals_have_the_official_names_and_colours() -> None:
    assert [goal.number for goal in SDGS.goals] == list(range(1, 18))
    official = _official()
    for goal in SDGS.goals:
        assert dict(goal.names) == official[goal.number]
        assert goal.color == UN_COLOURS[goal.number - 1]


def test_descriptions_are_one_plain_line_in_every_language() -> None:
    for goal in SDGS.goals:
        for lang in LANGUAGES:
            text = goal.descriptions[lang]
            assert 30 <= len(text) <= 160, (goal.number, lang)
            assert "\n" not in text and "<" not in text


def test_the_five_ps() -> None:
    ids = [pillar.id for pillar in SDGS.pillars]
    assert ids == ["people", "planet", "prosperity", "peace", "partnership"]
    goals = {pillar.id: pillar.goals for pillar in SDGS.pillars}
    assert goals == {
        "people": (1, 2, 3, 4, 5),
        "planet": (6, 12, 13, 14, 15),
        "prosperity": (7, 8, 9, 10, 11),
        "peace": (16,),
        "partnership": (17,),
    }
    assert dict(SDGS.pillars[0].names) == {
        "fr": "Population",
        "nl": "Mensen",
        "es": "Personas",
        "en": "People",
    }
    assert SDGS.pillars[3].names["nl"] == "Vrede"
    assert SDGS.pillar_of(13).id == "planet"
    assert SDGS.pillar_of(7).id == "prosperity"


def test_lookups() -> None:
    assert SDGS.goal(13).names["nl"] == "Klimaatactie"
    assert SDGS.name(16, "es") == "Paz, justicia e instituciones sólidas"
    assert SDGS.name(2, "xx") == "Zero hunger"
    for bad in (0, 18, -1):
        with pytest.raises(KeyError):
            SDGS.goal(bad)
        with pytest.raises(KeyError):
            SDGS.pillar_of(bad)


def test_keywords_are_plenty_and_belong_to_one_goal_only() -> None:
    owner: dict[str, int] = {}
    for goal in SDGS.goals:
        for lang in LANGUAGES:
            assert len(goal.keywords[lang]) >= 4, (goal.number, lang)
            for keyword in goal.keywords[lang]:
                key = normalize(keyword)
                assert owner.setdefault(key, goal.number) == goal.number, keyword
                assert not key.isdigit(), keyword
    # No keyword may be another goal's whole name either.
    for goal in SDGS.goals:
        for name in goal.names.values():
            assert owner.get(normalize(name), goal.number) == goal.number, name


def test_every_name_and_keyword_reads_as_its_goal() -> None:
    for goal in SDGS.goals:
        texts = [*goal.names.values()]
        for words in goal.keywords.values():
            texts.extend(words)
        for text in texts:
            assert SDGS.match(text) == SdgMatch("accepted", (goal.number,)), text


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("16", (16,)),
        ("ODD 16", (16,)),
        ("odd16", (16,)),
        ("SDG16", (16,)),
        ("SDG-16", (16,)),
        ("sdg 16", (16,)),
        ("ods 5", (5,)),
        ("ODS nº 5", (5,)),
        ("objetivo 5", (5,)),
        ("objectif 4", (4,)),
        ("doel 13", (13,)),
        ("goal 3", (3,)),
        ("SDG's 4", (4,)),
        ("paz justicia", (16,)),
        ("klimaat", (13,)),
        ("égalité des sexes", (5,)),
        ("egalite", (5,)),
        ("agua", (6,)),
        ("armoede", (1,)),
        ("gender", (5,)),
        ("climat", (13,)),
        ("water", (6,)),
        ("ocean", (14,)),
        ("faim zero", (2,)),
        ("zero hunger", (2,)),
        ("educacion", (4,)),
        ("educ", (4,)),
        ("klimat", (13,)),
        ("biodiversidad", (15,)),
        ("dix-sept", (17,)),
        ("sixteen", (16,)),
        ("5, 13 et agua", (5, 13, 6)),
        ("ODD 16 et 11", (16, 11)),
        ("ods 5 y ods 6", (5, 6)),
        ("1 3 5", (1, 3, 5)),
        ("1-3", (1, 2, 3)),
        ("klimaat, water en armoede", (13, 6, 1)),
        ("paz, agua", (16, 6)),
    ],
)
def test_match(text: str, numbers: tuple[int, ...]) -> None:
    assert SDGS.match(text) == SdgMatch("accepted", numbers)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("18", "none"),
        ("0", "none"),
        ("ODD", "none"),
        ("", "none"),
        ("bonjour", "none"),
        ("ODD 42", "none"),
        ("vie", "unsure"),
        ("vida", "unsure"),
        ("durable", "unsure"),
        ("povrety", "unsure"),
        ("5, 18", "unsure"),
        ("agua y blabla", "unsure"),
    ],
)
def test_refused_or_doubtful(text: str, status: str) -> None:
    result = SDGS.match(text)
    assert result.status == status
    if status == "none":
        assert result.numbers == () and result.unsure == ()


def test_from_data_names_every_problem() -> None:
    broken = copy.deepcopy(DATA)
    broken["goals"][0]["names"].pop("nl")
    broken["goals"][1]["color"] = "red"
    broken["goals"][2]["p"] = "planet"
    broken["goals"][3]["keywords"]["es"] = []
    broken["pillars"][1]["goals"].append(16)
    with pytest.raises(ValueError) as error:
        SdgCatalogue.from_data(broken)
    message = str(error.value)
    for fragment in (
        "goal 1: `names` lacks nl",
        "goal 2: `color`",
        "goal 3 has p: planet",
        "goal 4: `keywords` lacks es",
        "goal 16 is in pillars",
    ):
        assert fragment in message
    missing = copy.deepcopy(DATA)
    del missing["goals"][16]
    with pytest.raises(ValueError, match="numbered 1 to 17"):
        SdgCatalogue.from_data(missing)
    with pytest.raises(ValueError, match="`goals:` must be a list"):
        SdgCatalogue.from_data({"pillars": DATA["pillars"]})


def test_the_yaml_keeps_its_documented_shape() -> None:
    assert set(DATA) == {"goals", "pillars"}
    for goal in DATA["goals"]:
        assert set(goal) == {"number", "p", "color", "names", "descriptions", "keywords"}
        assert re.fullmatch(r"#[0-9A-F]{6}", goal["color"])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_coherent_sdg_match(text: str) -> None:
    result = SDGS.match(text)
    assert set(result.numbers) <= set(range(1, 18))
    assert set(result.unsure) <= set(range(1, 18))
    assert (result.status == "accepted") == bool(
        result.numbers and not result.unsure and not result.unknown
    )


def test_reading_goals_is_fast() -> None:
    inputs = [
        "16",
        "ODD 16",
        "klimaat",
        "paz justicia",
        "povrety",
        "gelijkheid",
        "xyzzy",
        "je ne sais pas du tout ce que vous voulez dire",
        "5, 13 et agua",
        "1 3 5 7 9",
        "Mesures relatives à la lutte contre les changements climatiques",
        "vie",
    ]
    matcher = SDGS.matcher
    for text in inputs:
        matcher.match(text)
    # Median of repeated runs per input (robust to a busy machine); the slowest under 1 ms.
    slowest = 0.0
    for text in inputs:
        runs = []
        for _ in range(15):
            start = time.perf_counter()
            matcher.match(text)
            runs.append(time.perf_counter() - start)
        slowest = max(slowest, statistics.median(runs))
    assert slowest < 0.001
