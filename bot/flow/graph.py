"""A Mermaid flowchart of a flow, for reviewing it as a picture (`sdgbot flows graph`)."""

from __future__ import annotations

import re

from bot.flow.definition import END, Flow


def _label(text: str) -> str:
    text = re.sub(r"<[^>]+>|\{\{.*?\}\}|\{%.*?%\}", "", text)
    text = " ".join(text.split())
    text = text[:60] + ("…" if len(text) > 60 else "")
    return text.replace('"', "'")


def mermaid(flow: Flow, lang: str | None = None) -> str:
    """The flow as `flowchart TD` text: questions as boxes, branches as diamonds."""
    lang = lang or flow.source_language
    lines = ["flowchart TD", f'    start(["{_label(flow.title.source.get(lang))}"])']
    lines.append(f"    start --> {flow.first}")
    for step_id in flow.order:
        step = flow.steps[step_id]
        text = _label(step.base.text.source.get(lang)) if step.base.text else step.kind
        title = f"{step_id} · {step.kind}"
        body = f"{title}<br/>{text}"
        shape = f'{{{{"{body}"}}}}' if step.kind == "branch" else f'["{body}"]'
        if step.base.for_each is not None:
            shape = f'[["{title} ↻<br/>{text}"]]'
        lines.append(f"    {step_id}{shape}")
        targets = list(step.targets())
        labelled: dict[str, str] = {}
        options = getattr(step, "optionset", None)
        if options is not None:
            for option in options.options:
                if option.next:
                    labelled[option.next] = _label(option.label.source.get(lang))
        cases = getattr(step, "cases", [])
        for _, target, _ in cases:
            labelled.setdefault(target, "if")
        seen: set[str] = set()
        for target, _ in targets:
            if target in seen:
                continue
            seen.add(target)
            edge = f'-- "{labelled[target]}" -->' if target in labelled else "-->"
            lines.append(f"    {step_id} {edge} {'done' if target == END else target}")
        if step.falls_through() and not step.base.next:
            following = flow.following(step_id)
            if following and following not in seen:
                lines.append(f"    {step_id} --> {following}")
            elif following is None:
                lines.append(f"    {step_id} --> done")
        if step.base.when is not None:
            skipped_to = step.base.next or flow.following(step_id) or "done"
            lines.append(f"    {step_id} -. skipped .-> {skipped_to}")
    lines.append('    done(["end"])')
    return "\n".join(lines) + "\n"
