"""Write docs/params.md: every parameters field, generated from the models so it cannot drift."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from strategy_docs.analysis.hypotheses import METRICS
from strategy_docs.inputs.schema import MEANINGS, REGISTERS, TABLES
from strategy_docs.inputs.params import Authority, ClientGroup, Project, Strategy

ROOT = Path(__file__).resolve().parents[1]

INTRO = """# Parameters reference

Generated from the models in `src/strategy_docs/inputs/params.py` by `scripts/make_params_doc.py`;
do not edit by hand. Unknown keys are errors (so a misspelt field is caught), and every
problem is reported with its file, line, field and a fix. Free text marked *Markdown* may use
**bold**, *italic*, lists and links; raw HTML is removed. Dates are written `2026-04-01`.

| file | model |
|---|---|
| `params/project.yaml` | Project |
| `params/authorities/<authority>.yaml` | Authority (the file name is the authority's identifier) |
| `params/client-groups/<client-group>.yaml` | ClientGroup (the file name is the identifier) |
| `params/strategies/<authority>/<client-group>.yaml` | Strategy |

Start from the example files in `params/`: every field below is used there.

## Welsh and English

An authority that publishes in Welsh as well as English says so: `languages: [en, cy]`
(English alone unless stated; English first). Each of its documents is then built in both
languages: `build/<edition>/<authority>/<client-group>.html` and `<client-group>.cy.html` (and
`.pdf`, `.docx`), each page linking to the other, both listed in the index. Everything the
code writes (headings, labels, table headings, status words, generated sentences, dates) comes
from the translation catalogue `src/strategy_docs/locale/cy/LC_MESSAGES/strategy-docs.po`.

Free text in the authority, client group and strategy files (names, summaries, statements,
titles, descriptions: the fields listed in `inputs/languages.py`) may be written once, or in
both languages:

```yaml
title:
  en: Caring for carers - unpaid carers' commissioning strategy 2026 to 2029
  cy: Gofalu am ofalwyr - strategaeth gomisiynu ar gyfer gofalwyr di-dâl 2026 i 2029
```

A text with no `cy` version is shown in English in the Welsh document, marked as English
(`lang="en-GB"`), and `validate` warns, naming the file and the fields. Values the code or the
data match on (identifiers, service types, cycle stages, budget groups) take one value in every
language; a mapping there is an error. The Welsh texts pass the same checks as the English.
"""


def type_name(annotation) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (list,):
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return f"mapping of {type_name(args[0])} to {type_name(args[1])}"
    if origin in (typing.Union, getattr(__import__('types'), 'UnionType', None)):
        parts = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" (optional)" if type(None) in args else "")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    return getattr(annotation, "__name__", str(annotation))


def models_in(model, seen):
    if model in seen:
        return
    seen.append(model)
    for field in model.model_fields.values():
        for candidate in _flatten(field.annotation):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                models_in(candidate, seen)


def _flatten(annotation):
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _flatten(arg)


def describe(model) -> str:
    lines = [f"## {model.__name__}", ""]
    if model.__doc__ and model.__doc__.strip() and not model.__doc__.startswith("Usage docs"):
        lines += [model.__doc__.strip().splitlines()[0], ""]
    lines += ["| field | type | required / default |", "|---|---|---|"]
    for name, field in model.model_fields.items():
        if field.is_required():
            default = "required"
        elif field.default_factory is not None:
            default = "has a default"
        else:
            default = f"default `{field.default!r}`"
        lines.append(f"| `{name}` | {type_name(field.annotation)} | {default} |")
    return "\n".join(lines) + "\n"


def _checks(column) -> str:
    out = ["required" if column.required else "optional"]
    if column.blank_ok:
        out.append("may be blank")
    if column.non_negative:
        out.append("not negative")
    if column.allowed:
        out.append("one of " + ", ".join(f"`{a}`" for a in column.allowed))
    if column.pattern:
        out.append(f"matches `{column.pattern}`")
    if column.help:
        out.append(column.help)
    return "; ".join(out)


def params_doc() -> str:
    """The text of docs/params.md."""
    seen: list = []
    for root in (Project, Authority, ClientGroup, Strategy):
        models_in(root, seen)
    parts = [INTRO] + [describe(m) for m in seen]
    parts.append("## Hypothesis test metrics\n\nA hypothesis `test` names a `metric`, its `args`, a `comparison` "
                 "(`>`, `>=`, `<`, `<=`), a `threshold` and an optional `margin`: within the margin the verdict is "
                 "inconclusive.\n\n| metric | what it measures | args |\n|---|---|---|")
    for name, spec in sorted(METRICS.items()):
        args = ", ".join(f"`{a}`{'' if info.get('required') else ' (optional)'}" for a, info in spec.get("args", {}).items())
        parts.append(f"| `{name}` | {spec.get('description', '')} | {args or 'none'} |")
    parts.append("\n## Data tables\n\nOne folder per authority, `data/<authority>/<table>.csv` (or `.xlsx`). Column "
                 "names are exact.\n\n| table | columns | what it holds |\n|---|---|---|")
    for table in TABLES.values():
        parts.append(f"| `{table.name}` | {', '.join(f'`{c}`' for c in table.column_names)} | {table.description} |")
    parts.append("\nEach table's columns (declared in `src/strategy_docs/inputs/schema.py`, which the loader checks "
                 "against):")
    for table in TABLES.values():
        parts.append(f"\n### `{table.name}`\n\n| column | type | what a value is | checks |\n|---|---|---|---|")
        parts += [f"| `{c.name}` | {c.kind} | {MEANINGS[c.meaning]} | {_checks(c)} |" for c in table.columns]
    parts.append("\n## Register sheets\n\nThe columns of the Excel workbook of `export-registers` and "
                 "`import-registers` (docs/annual-cycle.md), one sheet per register; each names the field it fills. "
                 "A *numbered* column is a run of columns (*Mitigation 1*, *Mitigation 2*...); *ids* are separated "
                 "by `; `; *args* are `name=value` pairs separated by `; `.")
    for register in REGISTERS:
        parts.append(f"\n### {register.sheet}\n\n| column | field | type | what a value is | required |\n"
                     "|---|---|---|---|---|")
        parts += [f"| {c.heading} | `{register.key}[].{c.name}` | {c.kind} | {MEANINGS[c.meaning]} | "
                  f"{'yes' if c.required else 'no'} |" for c in register.columns]
    return "\n".join(parts) + "\n"


def main() -> None:
    (ROOT / "docs" / "params.md").write_text(params_doc(), encoding="utf-8")
    print("wrote docs/params.md")


if __name__ == "__main__":
    main()
