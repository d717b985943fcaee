"""Load and validate flow files; every problem becomes a `file:line: message` issue.

A flow that fails validation is never served: `load_flow` raises `FlowError` with all issues.
Checks: YAML syntax, unknown kinds and fields, duplicate ids, jumps and references to steps,
options and names that do not exist, unknown functions, unreachable steps, loops with no way out,
missing translations, malformed HTML, texts too long, option ids too long for Telegram buttons.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.flow import steps as _steps  # noqa: F401  (registers the step kinds)
from bot.flow.catalogue import Catalogue
from bot.flow.definition import (
    END,
    ID_PATTERN,
    STEP_KINDS,
    Flow,
    Known,
    LText,
    ParseContext,
    Step,
    StepBase,
    parse_duration,
)
from bot.flow.errors import FlowError, FlowIssue
from bot.flow.expressions import Call, Literal, Node, functions_in, names_in
from bot.flow.runtime import ROOT_NAMES, RUNTIME_FUNCTIONS
from bot.flow.shapes import FlowHeader, problems
from bot.flow.steps.collect import CollectStep
from bot.flow.yamlsrc import LineDict, LineList, load_yaml
from bot.i18n import LANGUAGES


def load_flow(text: str, file: str, catalogue: Catalogue) -> Flow:
    """Parse and validate one flow file.

    Raises:
        FlowError: listing every issue found.
    """
    data = load_yaml(text, file)
    if not isinstance(data, LineDict):
        raise FlowError([FlowIssue(file, 1, "a flow file is a mapping with id, version, steps…")])
    languages = _languages(data, file)
    ctx = ParseContext(file, languages, catalogue)
    flow = _parse_flow(data, ctx, text)
    if flow is not None and not ctx.issues:
        _check_graph(flow, ctx)
        _check_names(flow, ctx)
    if ctx.issues or flow is None:
        raise FlowError(ctx.issues or [FlowIssue(file, 1, "not a valid flow")])
    return flow


def load_flow_file(path: Path, catalogue: Catalogue) -> Flow:
    """Load one flow from a file; unreadable files are reported like any other issue."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError([FlowIssue(str(path), 1, f"cannot read the file: {exc}")]) from None
    return load_flow(text, str(path), catalogue)


def flow_files(paths: Iterable[Path]) -> list[Path]:
    """Every `*.yaml`/`*.yml` file in `paths` (files are kept, folders are listed)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        else:
            found.append(path)
    return found


def load_flows(
    paths: Iterable[Path], catalogue: Catalogue
) -> tuple[dict[str, Flow], list[FlowIssue]]:
    """Load every flow under `paths`; broken flows are left out and their issues returned."""
    flows: dict[str, Flow] = {}
    issues: list[FlowIssue] = []
    for path in flow_files(paths):
        try:
            flow = load_flow_file(path, catalogue)
        except FlowError as exc:
            issues.extend(exc.issues)
            continue
        if flow.id in flows:
            issues.append(
                FlowIssue(
                    str(path), 1, f"flow id {flow.id!r} is already used by {flows[flow.id].file}"
                )
            )
            continue
        flows[flow.id] = flow
    for flow_id, wrong in known_issues(flows).items():
        issues.extend(wrong)
        flows.pop(flow_id, None)
    return flows, issues


def known_issues(flows: dict[str, Flow]) -> dict[str, list[FlowIssue]]:
    """Problems of `known:` references between flows, by the flow that has them.

    The other flow and its step must exist; a `map` goes from the other step's options to this
    step's (both checked when the steps have options).
    """
    found: dict[str, list[FlowIssue]] = {}
    for flow in flows.values():
        for step in flow.steps.values():
            known = step.base.known
            if known is None:
                continue
            line = step.base.lines.get("known", step.base.line)
            other = flows.get(known.flow)
            theirs = other.steps.get(known.step) if other is not None else None
            problem = None
            if other is None:
                problem = f"known: there is no flow {known.flow!r}"
            elif theirs is None:
                problem = f"known: flow {known.flow!r} has no step {known.step!r}"
            else:
                their_ids = set(getattr(theirs, "labels", {}) or {})
                my_ids = set(getattr(step, "labels", {}) or {})
                stray = sorted(k for k in known.mapping if their_ids and k not in their_ids)
                wrong = sorted(v for v in known.mapping.values() if my_ids and v not in my_ids)
                if stray:
                    problem = (
                        f"known: {known.flow}.{known.step} has no option {stray[0]!r} "
                        f"(options: {', '.join(sorted(their_ids))})"
                    )
                elif wrong:
                    problem = (
                        f"known: this step has no option {wrong[0]!r} "
                        f"(options: {', '.join(sorted(my_ids))})"
                    )
            if problem:
                found.setdefault(flow.id, []).append(FlowIssue(flow.file, line, problem))
    return found


# --- parsing -------------------------------------------------------------------------------------


def _languages(data: LineDict, file: str) -> tuple[str, ...]:
    raw = data.get("languages", list(LANGUAGES))
    if not isinstance(raw, list) or not raw or any(lang not in LANGUAGES for lang in raw):
        raise FlowError(
            [
                FlowIssue(
                    file,
                    data.line_of("languages"),
                    f"'languages' must list some of {', '.join(LANGUAGES)}",
                )
            ]
        )
    return tuple(raw)


def _parse_flow(data: LineDict, ctx: ParseContext, source: str) -> Flow | None:
    wrong = problems(FlowHeader, data, "the flow")
    if wrong:  # the flow's own fields are checked against its model; the steps still are
        for line, message in wrong:
            ctx.issue(line, message)
        _parse_steps(data, ctx)
        return None
    flow_id = str(data.get("id", ""))
    if not ID_PATTERN.match(flow_id):
        ctx.issue(data.line_of("id"), "the flow needs an 'id' (letters, digits, _)")
    if "version" not in data:
        ctx.issue(data.line, "the flow needs a 'version'")
    title = ctx.text(data, "title", required=True)
    description = ctx.text(data, "description")
    source_language = str(data.get("source_language", ctx.languages[0]))
    if source_language not in ctx.languages:
        ctx.issue(data.line_of("source_language"), "'source_language' must be one of 'languages'")
    expire_after = parse_duration(data.get("expire_after", "14d"))
    if expire_after is None:
        ctx.issue(data.line_of("expire_after"), "'expire_after' is like 14d, 48h or 30m")
    texts: dict[str, LText] = {}
    raw_texts = data.get("texts", LineDict())
    if isinstance(raw_texts, LineDict):
        for name, value in raw_texts.items():
            text = ctx.text_value(value, raw_texts.line_of(name), f"text {name!r}")
            if text is not None:
                texts[name] = text
    else:
        ctx.issue(data.line_of("texts"), "'texts' must map names to texts")
    keywords: dict[str, tuple[str, ...]] = {}
    raw_keywords = data.get("keywords", LineDict())
    if isinstance(raw_keywords, LineDict):
        for lang, words in raw_keywords.items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                ctx.issue(raw_keywords.line_of(lang), f"keywords: {lang} must list words")
                continue
            keywords[lang] = tuple(words)
    else:
        ctx.issue(data.line_of("keywords"), "'keywords' maps languages to lists of words")
    steps = _parse_steps(data, ctx)
    if title is None or not steps:
        return None
    command = data.get("command")
    return Flow(
        id=flow_id,
        version=str(data.get("version", "")),
        file=ctx.file,
        title=title,
        description=description,
        languages=ctx.languages,
        source_language=source_language,
        steps={step.id: step for step in steps},
        order=[step.id for step in steps],
        texts=texts,
        command=str(command) if command else None,
        menu=ctx.boolean(data, "menu", False),
        keywords=keywords,
        expire_after=expire_after or parse_duration("14d"),  # type: ignore[arg-type]
        allow_back=ctx.boolean(data, "allow_back", True),
        source=source,
        once_per=str(data["once_per"]) if data.get("once_per") else None,
        results=_results(data, ctx, steps),
    )


def _results(data: LineDict, ctx: ParseContext, steps: list[Step]) -> tuple[str, ...]:
    """The `results:` list: computed value names (or dotted paths into them) to export."""
    raw = data.get("results", LineList())
    if not isinstance(raw, list) or not all(
        isinstance(name, str) and all(ID_PATTERN.match(part) for part in name.split("."))
        for name in raw
    ):
        ctx.issue(
            data.line_of("results"),
            "'results' lists computed value names (or paths like snapshot.p_today)",
        )
        return ()
    computed = {name for step in steps for name in step.defined_names()}
    for index, name in enumerate(raw):
        if name.split(".")[0] not in computed:
            line = raw.line_of(index) if isinstance(raw, LineList) else data.line_of("results")
            ctx.issue(
                line,
                f"results: {name.split('.')[0]!r} is not a value the flow computes "
                "(a name set by a compute step)",
            )
    return tuple(raw)


def _parse_steps(data: LineDict, ctx: ParseContext) -> list[Step]:
    raw = data.get("steps")
    if not isinstance(raw, LineList) or not raw:
        ctx.issue(data.line_of("steps"), "the flow needs 'steps': a list")
        return []
    steps: list[Step] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(raw):
        line = raw.line_of(index)
        if not isinstance(spec, LineDict):
            ctx.issue(line, "a step is a mapping with 'id' and 'kind'")
            continue
        step_id = str(spec.get("id", ""))
        kind = str(spec.get("kind", ""))
        if not ID_PATTERN.match(step_id) or step_id == END:
            ctx.issue(line, f"step id {step_id!r} must be letters, digits and _ (and not 'end')")
            continue
        if step_id in seen:
            ctx.issue(line, f"duplicate step id {step_id!r} (first on line {seen[step_id]})")
            continue
        seen[step_id] = line
        cls = STEP_KINDS.get(kind)
        if cls is None:
            known = ", ".join(sorted(STEP_KINDS))
            ctx.issue(spec.line_of("kind"), f"unknown step kind {kind!r} (known kinds: {known})")
            continue
        # The kind's model first: a field it does not know, a value of the wrong type or a
        # missing field is reported as the JSON Schema says it (the same models make both).
        wrong = problems(cls.shape, spec, f"a {kind} step")
        for problem_line, message in wrong:
            ctx.issue(problem_line, message)
        # A step that does not fit its model is still read, so every problem is reported at
        # once, but into a scratch context: only problems on other lines are kept.
        target = ParseContext(ctx.file, ctx.languages, ctx.catalogue) if wrong else ctx
        saves_to = spec.get("saves_to")
        base = StepBase(
            id=step_id,
            kind=kind,
            line=line,
            text=target.text(spec, "text", required=cls.needs_text),
            next=target.step_ref(spec, "next"),
            lines=dict(spec.key_lines),
            when=target.expr(spec, "when"),
            back=target.boolean(spec, "back", True),
            saves_to=str(saves_to) if saves_to else None,
            optional=target.boolean(spec, "optional", False),
            for_each=_for_each(spec, target),
            until=target.step_ref(spec, "until"),
            known=_known(spec.get("known")),
        )
        step = cls(base, spec, target)
        if wrong:
            reported = {problem_line for problem_line, _ in wrong}
            ctx.issues += [issue for issue in target.issues if issue.line not in reported]
            continue
        steps.append(step)
    return steps


def _known(value: Any) -> Known | None:
    """`known:` as written (its form was checked against the step model)."""
    if value is None:
        return None
    source = value if isinstance(value, str) else str(value.get("from", ""))
    flow, _, step = source.partition(".")
    mapping = value.get("map", {}) if not isinstance(value, str) else {}
    return Known(flow, step, {str(k): str(v) for k, v in dict(mapping or {}).items()})


def _for_each(spec: LineDict, ctx: ParseContext) -> Node | None:
    if "for_each" not in spec:
        return None
    raw = spec["for_each"]
    if isinstance(raw, LineList):
        return Literal(list(raw))
    if raw == "sdgs":
        return Literal(list(range(1, 18)))
    return ctx.expr_value(raw, spec.line_of("for_each"), "for_each")


# --- graph checks --------------------------------------------------------------------------------


def _edges(flow: Flow, step: Step) -> Iterator[str | None]:
    """Where control may go after `step` (None = the end of the flow)."""
    explicit = [target for target, _ in step.targets()]
    yield from explicit
    if step.falls_through() and not step.base.next:
        yield flow.following(step.id)
    if step.base.when is not None:  # skipped: goes on like an unanswered step
        yield step.base.next or flow.following(step.id)


def _check_graph(flow: Flow, ctx: ParseContext) -> None:
    for step in flow.steps.values():
        for target, line in step.targets():
            if target != END and target not in flow.steps:
                ctx.issue(
                    line, f"step {step.id!r}: 'next' points to {target!r}, which does not exist"
                )
    if ctx.issues:
        return
    _check_blocks(flow, ctx)
    if ctx.issues:  # the graph below assumes well-formed repeated blocks
        return
    graph: dict[str, set[str | None]] = {}
    for step in flow.steps.values():
        graph[step.id] = {None if t == END else t for t in _edges(flow, step)}
        if step.base.for_each is not None:  # an empty list skips the whole block
            block = flow.loop_block(step.id)
            last = flow.steps[block[-1]]
            graph[step.id].add(last.base.next if last.base.next != END else None)
            if not last.base.next:
                graph[step.id].add(flow.following(last.id))
    reachable = _reach(flow.first, graph)
    for step_id in flow.order:
        if step_id not in reachable:
            ctx.issue(flow.steps[step_id].base.line, f"step {step_id!r} can never be reached")
    reverse: dict[str | None, set[str]] = {}
    for origin, destinations in graph.items():
        for destination in destinations:
            reverse.setdefault(destination, set()).add(origin)
    finishing = _reach_back(None, reverse)
    for step_id in flow.order:
        if step_id in reachable and step_id not in finishing:
            ctx.issue(
                flow.steps[step_id].base.line,
                f"step {step_id!r} is in a loop with no way out to the end of the flow",
            )
    _check_silent_cycles(flow, graph, ctx)


def _reach(start: str, graph: dict[str, set[str | None]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(t for t in graph.get(node, ()) if t is not None and t not in seen)
    return seen


def _reach_back(end: str | None, reverse: dict[str | None, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(reverse.get(end, ()))
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(reverse.get(node, ()))
    return seen


def _check_silent_cycles(flow: Flow, graph: dict[str, set[str | None]], ctx: ParseContext) -> None:
    """A cycle through steps that never ask anything would spin forever."""
    silent = {sid for sid, step in flow.steps.items() if not step.waits}
    for start in silent:
        todo = [t for t in graph[start] if t in silent]
        seen: set[str] = set()
        while todo:
            node = todo.pop()
            if node == start:
                ctx.issue(
                    flow.steps[start].base.line,
                    f"step {start!r} is in a loop that never asks a question",
                )
                break
            if node in seen:
                continue
            seen.add(node)
            todo.extend(t for t in graph[node] if t in silent)


def _check_blocks(flow: Flow, ctx: ParseContext) -> None:
    covered: dict[str, str] = {}
    for step in flow.steps.values():
        until_line = step.base.lines.get("until", step.base.line)
        if step.base.until is not None and step.base.for_each is None:
            ctx.issue(until_line, f"step {step.id!r}: 'until' goes with 'for_each'")
        if step.base.for_each is None:
            continue
        end = step.base.until or step.id
        if end not in flow.steps:
            ctx.issue(until_line, f"step {step.id!r}: 'until' names {end!r}, which does not exist")
            continue
        if flow.order.index(end) < flow.order.index(step.id):
            ctx.issue(until_line, f"step {step.id!r}: 'until' must name a step after it")
            continue
        for member in flow.loop_block(step.id):
            if member in covered:
                ctx.issue(
                    step.base.line,
                    f"repeated blocks may not overlap or nest "
                    f"({member!r} is already in {covered[member]!r})",
                )
            covered[member] = step.id


def _check_names(flow: Flow, ctx: ParseContext) -> None:
    known = set(flow.steps) | set(ROOT_NAMES)
    loop_prefixes = tuple(
        f"{sid}_"
        for block_start, step in flow.steps.items()
        if step.base.for_each is not None
        for sid in flow.loop_block(block_start)
    )
    for step in flow.steps.values():
        known.update(step.defined_names())
        if isinstance(step, CollectStep):  # a misspelt field would be collected as empty
            for field_id in step.field_ids:
                if field_id not in flow.steps:
                    ctx.issue(step.fields_line, f"collect {step.id!r}: {field_id!r} is not a step")
    functions = set(ctx.catalogue.functions) | set(RUNTIME_FUNCTIONS)

    def check(
        node: Node, line: int, extra: frozenset[str] = frozenset(), strict: bool = True
    ) -> None:
        for name in functions_in(node):
            if name not in functions:
                ctx.issue(line, f"unknown function {name!r}")
        for call in (n for n in node.walk() if isinstance(n, Call)):
            arg = call.args[0] if call.args else None
            if call.function == "t" and isinstance(arg, Literal) and arg.value not in flow.texts:
                ctx.issue(line, f"t({arg.value!r}): no text named {arg.value!r} in 'texts'")
            if (
                call.function == "term"
                and isinstance(arg, Literal)
                and (str(arg.value) not in ctx.catalogue.glossary)
            ):
                ctx.issue(line, f"term({arg.value!r}): no such term in content/glossary.yaml")
            if (
                call.function in {"display", "label"}
                and isinstance(arg, Literal)
                and (
                    str(arg.value) not in flow.steps
                    and not str(arg.value).startswith(loop_prefixes)
                )
            ):
                ctx.issue(line, f"{call.function}({arg.value!r}): no step {arg.value!r}")
        if not strict:
            return
        for name in names_in(node) - known - extra:
            if not name.startswith(loop_prefixes):
                ctx.issue(line, f"{name!r} is not a step, a computed value or a known name")

    for step in flow.steps.values():
        for node, line in step.expressions():
            check(node, line)
        for text in step.texts():
            for node in text.expressions():
                check(node, text.line, text.loop_names)
    for text in flow.texts.values():
        for node in text.expressions():
            check(node, text.line, strict=False)  # named texts may be rendered with extra values
