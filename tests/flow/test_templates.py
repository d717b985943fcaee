"""Templates: values escaped, if/elif/else, for loops, blank lines, syntax errors."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.flow.builtins import BUILTINS as FUNCTIONS
from bot.flow.expressions import EvalError
from bot.flow.templates import TemplateError, compile_template, format_value
from bot.i18n import Raw


class Names:
    def __init__(self, **names: Any) -> None:
        self.names = names

    def lookup(self, name: str) -> Any:
        return self.names.get(name)

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "raw":
            return Raw(str(args[0]))
        if name not in FUNCTIONS:
            raise EvalError(name)
        return FUNCTIONS[name](*args)


def render(source: str, **names: Any) -> str:
    return compile_template(source).render(Names(**names))


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("R&D", "R&amp;D"),
        ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
        ("&lt;", "&amp;lt;"),
        ('"quoted"', '"quoted"'),
    ],
)
def test_user_values_are_escaped(typed: str, shown: str) -> None:
    assert render("<b>{{ name }}</b>", name=typed) == f"<b>{shown}</b>"


def test_escaping_applies_inside_lists_and_loops() -> None:
    assert render("{{ xs }}", xs=["a<b", "c&d"]) == "a&lt;b and c&amp;d"
    assert render("{% for x in xs %}[{{ x }}]{% endfor %}", xs=["<i>"]) == "[&lt;i&gt;]"


def test_author_texts_marked_raw_are_not_escaped() -> None:
    assert render("{{ raw('<b>ok</b>') }}") == "<b>ok</b>"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (True, "✓"),
        (False, "✗"),
        (2.0, "2"),
        (2.345, "2.3"),
        (3, "3"),
        ([1, 2.5, None], "1 and 2.5"),
        (["a", "b", "c"], "a, b and c"),
        ("x", "x"),
        (date(2027, 6, 30), "30 June 2027"),
    ],
)
def test_format_value(value: Any, shown: str) -> None:
    assert format_value(value) == shown


@pytest.mark.parametrize(
    ("level", "shown"),
    [(4, "high"), (2, "middle"), (0, "low"), (None, "low")],
)
def test_if_elif_else(level: Any, shown: str) -> None:
    source = "{% if level >= 3 %}high{% elif level >= 1 %}middle{% else %}low{% endif %}"
    assert render(source, level=level) == shown


def test_if_without_else_renders_nothing() -> None:
    assert render("a{% if x %}b{% endif %}c", x=False) == "ac"


def test_nested_blocks_and_loop_variables() -> None:
    source = (
        "{% for g in goals %}{{ loop.index }}. {{ g }}"
        "{% if loop.first %} (first){% endif %}{% if not loop.last %}, {% endif %}{% endfor %}"
    )
    assert render(source, goals=[16, 11, 17]) == "1. 16 (first), 2. 11, 3. 17"


def test_for_over_a_mapping_gives_its_keys_and_over_nothing_renders_nothing() -> None:
    source = "{% for k in d %}{{ k }}={{ d[k] }} {% endfor %}"
    assert render(source, d={"a": 1, "b": 2}) == "a=1 b=2"
    assert render("[{% for k in missing %}x{% endfor %}]") == "[]"
    assert render("[{% for k in 5 %}x{% endfor %}]") == "[]"


def test_loop_variable_shadows_and_restores() -> None:
    assert render("{{ x }}{% for x in [1, 2] %}{{ x }}{% endfor %}{{ x }}", x="o") == "o12o"


def test_block_tags_alone_on_a_line_leave_no_blank_line() -> None:
    source = "Title\n{% if a %}\nA\n{% endif %}\n{% if b %}\nB\n{% endif %}\nEnd"
    assert render(source, a=True, b=False) == "Title\nA\nEnd"
    indented = "  {% for i in [1, 2] %}  \n- {{ i }}\n  {% endfor %}\nend"
    assert render(indented) == "- 1\n- 2\nend"


def test_block_tags_inside_a_line_keep_its_spaces_and_line_break() -> None:
    source = "You chose {% if x %}A{% else %}B{% endif %}\nNext line"
    assert render(source, x=True) == "You chose A\nNext line"
    assert render("{% if x %}A{% endif %}\nB", x=True) == "A\nB"


def test_static_text_is_returned_unchanged() -> None:
    template = compile_template("  plain text\n\n\n\nkept  ")
    assert template.is_static
    assert template.render(Names()) == "  plain text\n\n\n\nkept  "


def test_rendered_templates_collapse_runs_of_blank_lines() -> None:
    assert render("a\n\n\n\n{{ x }}\n", x="b") == "a\n\nb"


def test_filters() -> None:
    assert render("{{ score | bar(4) }}", score=2) == "▓▓▓▓░░░░"


def test_expressions_are_listed_for_validation() -> None:
    template = compile_template(
        "{% if a %}{{ b }}{% elif c %}{% for i in d %}{{ i }}{% endfor %}{% endif %}"
    )
    assert len(list(template.expressions())) == 5
    assert template.loop_names == frozenset({"i"})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% if x %}never closed", "{% if %} is never closed"),
        ("{% for x in xs %}", "{% for %} is never closed"),
        ("{% endif %}", "{% endif %} without {% if %}"),
        ("{% else %}", "{% else %} without {% if %}"),
        ("{% elif x %}", "{% elif %} without {% if %}"),
        ("{% if a %}{% endfor %}", "{% endfor %} without {% for %}"),
        ("{% for x %}{% endfor %}", "write {% for x in list %}"),
        ("{% while x %}", "unknown tag {% while %}"),
        ("{{ 1 + }}", "in {{ 1 + }}"),
        ("{% if (x %}a{% endif %}", "expected ')'"),
        ("{% if a %}1{% else %}2{% else %}3{% endif %}", "{% else %} after {% else %}"),
        ("{% if a %}1{% else %}2{% elif b %}3{% endif %}", "{% elif %} after {% else %}"),
        ("Hello {{ name", "{{ without }}"),
        ("Hello {% if x", "{% without %}"),
    ],
)
def test_syntax_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        compile_template(source)
    assert message in str(info.value)


def test_error_offset_points_at_the_tag() -> None:
    with pytest.raises(TemplateError) as info:
        compile_template("abc {% endfor %}")
    assert info.value.offset == 4
