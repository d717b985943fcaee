"""Checks on the reference content: municipalities, countries, partnerships and the glossary.

The files are data that people edit by hand; these tests catch the mistakes hand edits make
(a missing language, a duplicate name, a partnership pointing at a misspelt municipality, an
invalid time zone, a lost municipality after a merger) before the loader or a flow trips on them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.i18n import LANGUAGES

CONTENT = Path(__file__).resolve().parents[2] / "content"

FLEMISH_PROVINCES = {
    "Antwerpen",
    "Limburg",
    "Oost-Vlaanderen",
    "Vlaams-Brabant",
    "West-Vlaanderen",
}
BRUSSELS = "Brussels"
# First two digits of a REFNIS code -> province (Statbel arrondissement numbering).
NIS_PROVINCE = {
    "1": "Antwerpen",
    "21": BRUSSELS,
    "23": "Vlaams-Brabant",
    "24": "Vlaams-Brabant",
    "3": "West-Vlaanderen",
    "4": "Oost-Vlaanderen",
    "7": "Limburg",
}
RHYTHMS = {"monthly", "quarterly", "half-yearly", "yearly"}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TERM_ID = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate mapping keys, which PyYAML silently overwrites."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    keys: list[Hashable] = []
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        keys.append(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load(name: str, key: str) -> list[dict[str, Any]]:
    with (CONTENT / name).open(encoding="utf-8") as handle:
        # yaml.load is safe here: the loader is a SafeLoader subclass.
        data = yaml.load(handle, Loader=_UniqueKeyLoader)
    assert isinstance(data, dict) and set(data) == {key}, f"{name}: one top-level key {key!r}"
    items = data[key]
    assert isinstance(items, list) and items, f"{name}: {key} is an empty or non-list value"
    assert all(isinstance(item, dict) for item in items), f"{name}: every entry is a mapping"
    return items


def _fold(text: str) -> str:
    """Case- and accent-insensitive form, the way users will type names."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


@pytest.fixture(scope="module")
def municipalities() -> list[dict[str, Any]]:
    return _load("municipalities.yaml", "municipalities")


@pytest.fixture(scope="module")
def countries() -> list[dict[str, Any]]:
    return _load("countries.yaml", "countries")


@pytest.fixture(scope="module")
def partnerships() -> list[dict[str, Any]]:
    return _load("partnerships.yaml", "partnerships")


@pytest.fixture(scope="module")
def terms() -> list[dict[str, Any]]:
    return _load("glossary.yaml", "terms")


def _resolve(municipalities: list[dict[str, Any]], country: str, typed: str) -> set[str]:
    """Names of the municipalities in `country` that `typed` designates, by name or alias."""
    wanted = _fold(typed)
    return {
        m["name"]
        for m in municipalities
        if m["country"] == country
        and wanted in {_fold(m["name"]), *(_fold(a) for a in m.get("aliases", []))}
    }


# --- municipalities -------------------------------------------------------------------------


def test_municipalities_have_required_fields(municipalities: list[dict[str, Any]]) -> None:
    allowed = {"name", "country", "region", "aliases", "nis"}
    for m in municipalities:
        assert set(m) <= allowed, f"{m.get('name')}: unknown fields {set(m) - allowed}"
        assert isinstance(m.get("name"), str) and m["name"].strip() == m["name"] != ""
        assert isinstance(m.get("country"), str) and re.fullmatch(r"[A-Z]{2}", m["country"])
        assert isinstance(m.get("region"), str) and m["region"].strip(), m["name"]
        aliases = m.get("aliases", [])
        assert isinstance(aliases, list), m["name"]
        assert all(isinstance(a, str) and a.strip() == a != "" for a in aliases), m["name"]
        # Exact comparison on purpose: unaccented or curly-apostrophe variants ("San Jeronimo",
        # "Nimlaha’kok") are kept as aliases for matchers that do not fold them.
        folded = [a.casefold() for a in aliases]
        assert len(set(folded)) == len(folded), f"{m['name']}: repeated alias"
        assert m["name"].casefold() not in folded, f"{m['name']}: alias = name"


def test_municipality_names_unique_per_country(municipalities: list[dict[str, Any]]) -> None:
    counts = Counter((m["country"], _fold(m["name"])) for m in municipalities)
    assert [key for key, n in counts.items() if n > 1] == []


def test_aliases_point_to_one_municipality(municipalities: list[dict[str, Any]]) -> None:
    owner: dict[tuple[str, str], str] = {}
    for m in municipalities:
        owner[(m["country"], _fold(m["name"]))] = m["name"]
    clashes = []
    for m in municipalities:
        for alias in m.get("aliases", []):
            key = (m["country"], _fold(alias))
            if owner.setdefault(key, m["name"]) != m["name"]:
                clashes.append((alias, owner[key], m["name"]))
    assert clashes == []


def test_municipality_countries_exist(
    municipalities: list[dict[str, Any]], countries: list[dict[str, Any]]
) -> None:
    codes = {c["code"] for c in countries}
    assert {m["country"] for m in municipalities} - codes == set()


def test_flanders_has_285_municipalities_after_the_2025_mergers(
    municipalities: list[dict[str, Any]],
) -> None:
    belgian = [m for m in municipalities if m["country"] == "BE"]
    assert {m["region"] for m in belgian} <= FLEMISH_PROVINCES | {BRUSSELS}
    flemish = Counter(m["region"] for m in belgian if m["region"] in FLEMISH_PROVINCES)
    assert sum(flemish.values()) == 285
    # Per province after 1 January 2025 (Zwijndrecht moved to Oost-Vlaanderen with Beveren).
    assert flemish == {
        "Antwerpen": 67,
        "Vlaams-Brabant": 63,
        "West-Vlaanderen": 62,
        "Oost-Vlaanderen": 55,
        "Limburg": 38,
    }
    assert sum(1 for m in belgian if m["region"] == BRUSSELS) == 19


def test_nis_codes_are_unique_and_match_the_province(
    municipalities: list[dict[str, Any]],
) -> None:
    codes = []
    for m in municipalities:
        if "nis" not in m:
            continue
        nis = m["nis"]
        assert m["country"] == "BE", f"{m['name']}: NIS codes are Belgian"
        assert isinstance(nis, str) and re.fullmatch(r"\d{5}", nis), f"{m['name']}: {nis!r}"
        prefix = nis[:2] if nis[:2] in NIS_PROVINCE else nis[:1]
        assert NIS_PROVINCE.get(prefix) == m["region"], f"{m['name']} {nis} in {m['region']}"
        codes.append(nis)
    assert len(codes) == len(set(codes))
    assert len(codes) == 285 + 19, "every Flemish and Brussels municipality has its NIS code"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Kruibeke", "Beveren-Kruibeke-Zwijndrecht"),
        ("Zwijndrecht", "Beveren-Kruibeke-Zwijndrecht"),
        ("Beveren", "Beveren-Kruibeke-Zwijndrecht"),
        ("Galmaarden", "Pajottegem"),
        ("Gooik", "Pajottegem"),
        ("Herne", "Pajottegem"),
        ("Borsbeek", "Antwerpen"),
        ("Kortessem", "Hasselt"),
        ("Moerbeke", "Lokeren"),
        ("Wachtebeke", "Lochristi"),
        ("Meulebeke", "Tielt"),
        ("Ruiselede", "Wingene"),
        ("Melle", "Merelbeke-Melle"),
        ("De Pinte", "Nazareth-De Pinte"),
        ("Ham", "Tessenderlo-Ham"),
        ("Hoeselt", "Bilzen-Hoeselt"),
        ("Borgloon", "Tongeren-Borgloon"),
        ("Tongres", "Tongeren-Borgloon"),
        ("Neerpelt", "Pelt"),
        ("Zomergem", "Lievegem"),
        ("Anvers", "Antwerpen"),
        ("Antwerp", "Antwerpen"),
        ("Gand", "Gent"),
        ("Ghent", "Gent"),
        ("Bruges", "Brugge"),
        ("Louvain", "Leuven"),
        ("Malines", "Mechelen"),
        ("Courtrai", "Kortrijk"),
        ("Ostende", "Oostende"),
        ("Ostend", "Oostende"),
        ("Ypres", "Ieper"),
        ("Bruxelles", "Brussel"),
        ("Ixelles", "Elsene"),
        ("hasselt", "Hasselt"),
    ],
)
def test_former_and_foreign_names_find_the_current_municipality(
    municipalities: list[dict[str, Any]], typed: str, expected: str
) -> None:
    assert _resolve(municipalities, "BE", typed) == {expected}


def test_merged_municipalities_are_no_longer_listed(
    municipalities: list[dict[str, Any]],
) -> None:
    names = {m["name"] for m in municipalities if m["country"] == "BE"}
    gone = {"Kruibeke", "Zwijndrecht", "Beveren", "Galmaarden", "Gooik", "Herne", "Borsbeek"}
    gone |= {"Kortessem", "Moerbeke", "Wachtebeke", "Meulebeke", "Ruiselede", "Melle"}
    gone |= {"Merelbeke", "De Pinte", "Nazareth", "Ham", "Tessenderlo", "Hoeselt", "Bilzen"}
    gone |= {"Borgloon", "Tongeren"}
    assert names & gone == set()


@pytest.mark.parametrize(
    ("name", "country"),
    [("Tarija", "BO"), ("Nimlaha'kok", "GT"), ("San Jerónimo", "PE"), ("Banjul", "GM")],
)
def test_partner_municipalities_from_the_material_are_listed(
    municipalities: list[dict[str, Any]], name: str, country: str
) -> None:
    assert _resolve(municipalities, country, name) == {name}


# --- countries ------------------------------------------------------------------------------


def test_countries_have_required_fields(countries: list[dict[str, Any]]) -> None:
    allowed = {"code", "names", "timezone", "languages", "aliases", "status"}
    for c in countries:
        assert set(c) <= allowed, f"{c.get('code')}: unknown fields {set(c) - allowed}"
        assert isinstance(c.get("code"), str) and re.fullmatch(r"[A-Z]{2}", c["code"])
        names = c.get("names")
        assert isinstance(names, dict) and set(names) == set(LANGUAGES), c["code"]
        assert all(isinstance(v, str) and v.strip() for v in names.values()), c["code"]
        assert c.get("languages") and set(c["languages"]) <= set(LANGUAGES), c["code"]
        assert len(set(c["languages"])) == len(c["languages"]), c["code"]
        assert c.get("status") in {"active", "evaluation", "candidate", "historical", "other"}
        assert all(isinstance(a, str) and a.strip() for a in c.get("aliases", [])), c["code"]


def test_country_codes_and_typed_names_are_unambiguous(countries: list[dict[str, Any]]) -> None:
    assert len({c["code"] for c in countries}) == len(countries)
    owner: dict[str, str] = {}
    clashes = []
    for c in countries:
        for word in {*c["names"].values(), *c.get("aliases", []), c["code"]}:
            if owner.setdefault(_fold(word), c["code"]) != c["code"]:
                clashes.append((word, owner[_fold(word)], c["code"]))
    assert clashes == []


def test_country_time_zones_are_valid(countries: list[dict[str, Any]]) -> None:
    for c in countries:
        assert ZoneInfo(c["timezone"]).key == c["timezone"]


def test_programme_countries_are_present(countries: list[dict[str, Any]]) -> None:
    codes = {c["code"] for c in countries}
    expected = {"BE", "BJ", "SN", "EC", "BO", "PE", "GT", "NI", "RW", "ZA", "MA", "NA", "GM"}
    assert expected <= codes
    by_code = {c["code"]: c for c in countries}
    assert by_code["BE"]["timezone"] == "Europe/Brussels"
    assert by_code["BE"]["languages"][0] == "nl"
    assert by_code["BJ"]["languages"][0] == "fr"
    assert by_code["EC"]["languages"][0] == "es"
    assert by_code["ZA"]["languages"][0] == "en"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Bénin", "BJ"),
        ("benin", "BJ"),
        ("Sénégal", "SN"),
        ("Equateur", "EC"),
        ("Ecuador", "EC"),
        ("Belgique", "BE"),
        ("België", "BE"),
        ("Perú", "PE"),
        ("RDC", "CD"),
        ("Zuid-Afrika", "ZA"),
    ],
)
def test_typed_country_names_resolve(
    countries: list[dict[str, Any]], typed: str, code: str
) -> None:
    found = {
        c["code"]
        for c in countries
        if _fold(typed) in {_fold(w) for w in (*c["names"].values(), *c.get("aliases", []))}
    }
    assert found == {code}


# --- partnerships ---------------------------------------------------------------------------


def test_partnerships_point_at_existing_municipalities(
    partnerships: list[dict[str, Any]], municipalities: list[dict[str, Any]]
) -> None:
    known = {(m["country"], m["name"]) for m in municipalities}
    for p in partnerships:
        for side in ("north", "south"):
            ref = p.get(side)
            assert isinstance(ref, dict) and set(ref) == {"name", "country"}, p.get("id")
            assert (ref["country"], ref["name"]) in known, f"{p['id']}: {side} {ref} unknown"
        assert p["north"]["country"] == "BE", f"{p['id']}: the north side is Belgian"
        assert p["south"]["country"] != "BE", f"{p['id']}: the south side is a partner"


def test_partnerships_have_valid_status_and_rhythm(partnerships: list[dict[str, Any]]) -> None:
    allowed = {
        "id",
        "name",
        "north",
        "south",
        "status",
        "start_year",
        "end_year",
        "rhythm",
        "sdgs",
        "themes",
        "notes",
        "sources",
    }
    ids = [p.get("id") for p in partnerships]
    assert len(ids) == len(set(ids))
    for p in partnerships:
        assert set(p) <= allowed, f"{p.get('id')}: unknown fields {set(p) - allowed}"
        assert isinstance(p["id"], str) and SLUG.fullmatch(p["id"]), p["id"]
        assert isinstance(p.get("name"), str) and p["name"].strip(), p["id"]
        assert p.get("status") in {"active", "ended"}, p["id"]
        start, end = p.get("start_year"), p.get("end_year")
        if p["status"] == "ended":
            assert isinstance(end, int), f"{p['id']}: an ended twinning needs its end year"
            assert p.get("rhythm") is None, f"{p['id']}: no check-ins after the end"
        else:
            assert end is None, f"{p['id']}: an active twinning has no end year"
            assert p.get("rhythm") in RHYTHMS, p["id"]
        if isinstance(start, int) and isinstance(end, int):
            assert start <= end, p["id"]
        sdgs = p.get("sdgs", [])
        assert all(isinstance(n, int) and 1 <= n <= 17 for n in sdgs), p["id"]
        assert all(isinstance(t, str) and t.strip() for t in p.get("themes", [])), p["id"]


def test_partnerships_named_in_the_material(partnerships: list[dict[str, Any]]) -> None:
    by_id = {p["id"]: p for p in partnerships}
    assert {
        "brasschaat-tarija",
        "herent-nimlahakok",
        "edegem-san-jeronimo",
        "oostende-banjul",
    } <= set(by_id)
    assert by_id["edegem-san-jeronimo"]["status"] == "ended"
    assert by_id["edegem-san-jeronimo"]["end_year"] == 2020
    assert by_id["herent-nimlahakok"]["sdgs"] == [13]
    assert by_id["brasschaat-tarija"]["rhythm"] == "quarterly"


# --- glossary -------------------------------------------------------------------------------


def test_glossary_terms_have_every_language_and_a_note(terms: list[dict[str, Any]]) -> None:
    for t in terms:
        assert set(t) == {"id", *LANGUAGES, "note"}, f"{t.get('id')}: fields {sorted(t)}"
        assert isinstance(t["id"], str) and TERM_ID.fullmatch(t["id"]), t["id"]
        for key in (*LANGUAGES, "note"):
            assert isinstance(t[key], str) and t[key].strip() == t[key] != "", (t["id"], key)
    ids = [t["id"] for t in terms]
    assert len(ids) == len(set(ids))


def test_glossary_covers_the_required_terms(terms: list[dict[str, Any]]) -> None:
    required = {
        "sdg",
        "agenda_2030",
        "post_2030_agenda",
        "five_ps",
        "twinning",
        "partner_municipality",
        "municipal_international_cooperation",
        "voluntary_local_review",
        "multi_year_plan",
        "council_decision",
        "global_officer",
        "sustainable_hero",
        "sustainable_municipality_week",
        "sdg_flag",
        "core_group",
        "mandate",
        "localisation",
        "baseline",
        "indicator",
        "sdg_target",
        "monitoring",
        "reporting",
        "dashboard",
        "citizen_participation",
        "iap2_inform",
        "iap2_consult",
        "iap2_involve",
        "iap2_collaborate",
        "iap2_empower",
        "stakeholder",
        "three_levels",
        "level_internal",
        "level_local",
        "level_global",
        "financial_report",
        "annual_accounts",
        "narrative_report",
        "mid_term_evaluation",
        "final_evaluation",
        "programme_year",
        "association_of_municipalities",
    }
    assert required - {t["id"] for t in terms} == set()


def test_glossary_uses_the_programme_vocabulary(terms: list[dict[str, Any]]) -> None:
    by_id = {t["id"]: t for t in terms}
    assert (by_id["twinning"]["fr"], by_id["twinning"]["nl"], by_id["twinning"]["es"]) == (
        "jumelage",
        "stedenband",
        "hermanamiento",
    )
    assert by_id["multi_year_plan"]["nl"] == "meerjarenplan"
    assert by_id["sustainable_municipality_week"]["nl"] == "Week van de Duurzame Gemeente"
    assert "ODD" in by_id["sdg"]["fr"] and "ODS" in by_id["sdg"]["es"]
