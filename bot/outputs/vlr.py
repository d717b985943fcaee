"""A Voluntary Local Review starter: the municipality's own answers laid out as a VLR draft.

The document follows the structure of the UCLG / UN-Habitat guidelines for Voluntary Local
Reviews (introduction and commitment, methodology and participation, progress per SDG, means
of implementation, partnerships, next steps), filled with what the municipality answered, and
marked "✍" wherever people must write. `VlrReport` holds the figures, already in the reader's
language; `blocks` lays them out once, and `write_docx` / `write_html` render the same blocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

Number = float | int | None


@dataclass(frozen=True)
class ToolUse:
    """How often a tool (a flow) was completed, when last, and by whom."""

    tool: str
    count: int
    last: str
    people: str


@dataclass(frozen=True)
class Hero:
    """A sustainable hero nominated with consent."""

    name: str
    kind: str
    what: str
    goals: str


@dataclass(frozen=True)
class VlrReport:
    """Everything the VLR starter shows, in one language (texts from ``content/vlr.yaml``).

    Attributes:
        texts: the starter's texts in the reader's language, by key.
        municipality, country, prepared: who, where, and the date of the draft (formatted).
        council: the council-decision answer (a label), if answered.
        tools: the flows completed (methodology and participation).
        assessment: date and path of the self-assessment shown, if any.
        goals: ``(SDG number, official name, today, ambition)`` per goal scored.
        by_p, by_level: ``(label, today, ambition)`` rows.
        priorities: the priority goals, as "16. Peace, justice…" names.
        post2030: the date of the post-2030 run shown, if any.
        levels: ``(dimension label, level 1–5)``.
        answers: ``(question, answer)`` of the post-2030 run.
        twinning: ``(partner municipality, its country)``, if any.
        edition: the Week's edition of the heroes shown.
        heroes: consented heroes only.
        next_steps: texts proposed by the self-assessment.
    """

    texts: Mapping[str, str]
    municipality: str
    country: str
    prepared: str
    council: str | None = None
    tools: Sequence[ToolUse] = ()
    assessment: tuple[str, str] | None = None
    goals: Sequence[tuple[int, str, Number, Number]] = ()
    by_p: Sequence[tuple[str, Number, Number]] = ()
    by_level: Sequence[tuple[str, Number, Number]] = ()
    priorities: Sequence[str] = ()
    post2030: str | None = None
    levels: Sequence[tuple[str, int]] = ()
    answers: Sequence[tuple[str, str]] = ()
    twinning: tuple[str, str] | None = None
    edition: str = ""
    heroes: Sequence[Hero] = ()
    next_steps: Sequence[str] = field(default_factory=tuple)

    def t(self, key: str, **values: object) -> str:
        """A text of the starter, with its `{placeholders}` filled."""
        text = self.texts[key]
        return text.format(**values) if values else text


@dataclass(frozen=True)
class Block:
    """One piece of the document: a heading, a paragraph, a "✍" placeholder, a list, a table."""

    kind: str  # "title", "heading", "subheading", "text", "write", "bullets", "table"
    text: str = ""
    items: Sequence[str] = ()
    header: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()


def _score(value: Number) -> str:
    return "–" if value is None else f"{float(value):.1f}"


def _gap(today: Number, ambition: Number) -> str:
    return "–" if today is None or ambition is None else f"{float(ambition) - float(today):+.1f}"


def blocks(report: VlrReport) -> Iterator[Block]:
    """The document, section by section, as the guidelines order them."""
    r, write = report, report.t("write_here")
    yield Block("title", r.t("title", municipality=r.municipality))
    yield Block("text", r.t("subtitle", date=r.prepared))

    yield Block("heading", r.t("intro_title"))
    yield Block("text", r.t("intro_text", municipality=r.municipality, country=r.country))
    if r.council:
        yield Block("text", r.t("council_status", answer=r.council))
    yield Block("write", f"{write} — {r.t('intro_write')}")

    yield Block("heading", r.t("method_title"))
    if r.tools:
        yield Block("text", r.t("method_text"))
        yield Block(
            "bullets",
            items=[
                r.t("method_row", tool=u.tool, count=u.count, date=u.last, people=u.people)
                for u in r.tools
            ],
        )
    else:
        yield Block("text", r.t("no_data"))
    yield Block("write", f"{write} — {r.t('method_write')}")

    yield Block("heading", r.t("progress_title"))
    if r.assessment:
        yield Block("text", r.t("progress_text", date=r.assessment[0], path=r.assessment[1]))
        if r.priorities:
            yield Block("text", r.t("priorities_text", goals="; ".join(r.priorities)))
        yield Block(
            "table",
            header=[
                r.t("col_goal"),
                r.t("col_today"),
                r.t("col_ambition"),
                r.t("col_gap"),
                r.t("col_evidence"),
            ],
            rows=[
                [
                    f"{n}. {name}",
                    _score(today),
                    _score(aim),
                    _gap(today, aim),
                    f"{write}: {r.t('evidence_write')}",
                ]
                for n, name, today, aim in r.goals
            ],
        )
        for title, rows in ((r.t("by_p_title"), r.by_p), (r.t("by_level_title"), r.by_level)):
            if any(today is not None or aim is not None for _, today, aim in rows):
                yield Block("subheading", title)
                yield Block(
                    "table",
                    header=["", r.t("col_today"), r.t("col_ambition"), r.t("col_gap")],
                    rows=[
                        [label, _score(today), _score(aim), _gap(today, aim)]
                        for label, today, aim in rows
                    ],
                )
    else:
        yield Block("text", r.t("no_data"))

    yield Block("heading", r.t("means_title"))
    if r.post2030:
        yield Block("text", r.t("means_text", date=r.post2030))
        yield Block(
            "table",
            header=[r.t("col_dimension"), r.t("col_level")],
            rows=[[label, f"{level}/5"] for label, level in r.levels],
        )
        if r.answers:
            yield Block("subheading", r.t("answers_title"))
            yield Block("table", header=["", ""], rows=[list(pair) for pair in r.answers])
    else:
        yield Block("text", r.t("no_data"))
    yield Block("write", f"{write} — {r.t('means_write')}")

    yield Block("heading", r.t("partners_title"))
    if r.twinning:
        yield Block("text", r.t("twinning_text", partner=r.twinning[0], country=r.twinning[1]))
    if r.heroes:
        yield Block("text", r.t("heroes_text", edition=r.edition))
        yield Block(
            "table",
            header=[r.t("col_hero"), r.t("col_what"), r.t("col_goals")],
            rows=[
                [f"{h.name} ({h.kind})" if h.kind else h.name, h.what, h.goals] for h in r.heroes
            ],
        )
    yield Block("write", f"{write} — {r.t('partners_write')}")

    yield Block("heading", r.t("next_title"))
    if r.next_steps:
        yield Block("text", r.t("next_text"))
        yield Block("bullets", items=list(r.next_steps))
    yield Block("write", f"{write} — {r.t('next_write')}")


# --- DOCX ----------------------------------------------------------------------------------------


def write_docx(report: VlrReport, target: Path) -> None:
    """Write the starter as a Word document (python-docx)."""
    from docx import Document
    from docx.shared import RGBColor

    document = Document()
    for block in blocks(report):
        if block.kind == "title":
            document.add_heading(block.text, level=0)
        elif block.kind == "heading":
            document.add_heading(block.text, level=1)
        elif block.kind == "subheading":
            document.add_heading(block.text, level=2)
        elif block.kind == "text":
            document.add_paragraph(block.text)
        elif block.kind == "write":
            # Where people must write stands out: italic, in the colour of a reviewer's note.
            run = document.add_paragraph().add_run(block.text)
            run.italic = True
            run.font.color.rgb = RGBColor(0xB0, 0x3A, 0x2E)
        elif block.kind == "bullets":
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        elif block.kind == "table":
            table = document.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = text
            for row in block.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = text
    document.save(str(target))


# --- HTML ----------------------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1b1b1b; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
.write { font-style: italic; color: #b03a2e; border-left: 3px solid #b03a2e; padding-left: 0.5rem; }
</style>
</head>
<body>
{% for b in blocks %}
{%- if b.kind == "title" %}<h1>{{ b.text }}</h1>
{%- elif b.kind == "heading" %}<h2>{{ b.text }}</h2>
{%- elif b.kind == "subheading" %}<h3>{{ b.text }}</h3>
{%- elif b.kind == "text" %}<p>{{ b.text }}</p>
{%- elif b.kind == "write" %}<p class="write">{{ b.text }}</p>
{%- elif b.kind == "bullets" %}<ul>
{%- for item in b.items %}<li>{{ item }}</li>{% endfor %}</ul>
{%- elif b.kind == "table" %}<table>
<thead><tr>{% for h in b.header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{%- for row in b.rows %}
<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>
{%- endfor %}
</tbody></table>
{%- endif %}
{% endfor %}
</body>
</html>
"""


def render_html(report: VlrReport, lang: str) -> str:
    """The starter as one HTML page; every text is escaped (answers are user input)."""
    environment = Environment(autoescape=True, keep_trailing_newline=True)
    content = list(blocks(report))
    return environment.from_string(_PAGE).render(lang=lang, title=content[0].text, blocks=content)


def write_html(report: VlrReport, lang: str, target: Path) -> None:
    """Write the starter as an HTML page."""
    target.write_text(render_html(report, lang), encoding="utf-8")


__all__ = [
    "Block",
    "Hero",
    "ToolUse",
    "VlrReport",
    "blocks",
    "render_html",
    "write_docx",
    "write_html",
]
