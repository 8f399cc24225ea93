"""Editing a parameters file in place with ruamel.yaml's round-trip mode.

Comments, key order, quoting, flow or block style and the authors' indentation survive; only
the values a command changes are written anew, so the version-control diff shows exactly what
moved (``new-edition``, ``import-registers``, ``new authority``/``new strategy``).

Reading for validation is :mod:`strategy_docs.inputs.yamlio` (PyYAML's C loader): measured on
the example's 24 parameters files (8,842 lines), it loads them with every value's line in 70 ms
where ruamel's round-trip loader takes 1,556 ms, and both give the same line for all 10,361
fields. Round-trip editing is only for the few files a command rewrites.

ruamel keeps a blank line or comment that ends a block on the last value before it; a key or
item added after that value would land below the blank line, so :func:`set_value`,
:func:`extend` and :func:`delete_item` move that trailing text to the new last value.
"""

from __future__ import annotations

import io
import re
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from strategy_docs.errors import StrategyDocsError

__all__ = ["RoundTrip", "delete_item", "extend", "plain", "replace_item", "round_trip", "set_value", "styled_like",
           "styled_register"]

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FOLD_WIDTHS = (4096, 80, 100, 120)  # unfolded first; then PyYAML's default and common choices
_KEY_LINE = re.compile(r"^( *)[^\s#-][^:#]*:\s*(?:#.*)?$")
_ITEM_LINE = re.compile(r"^( *)- ")


class RoundTrip:
    """One YAML text loaded for editing: change :attr:`data` (ruamel's commented mappings and
    lists, through the helpers below), then :meth:`text` gives the file with only those changes."""

    def __init__(self, text: str):
        self.bom = text.startswith("\ufeff")
        self.original = text[1:] if self.bom else text
        mapping, sequence, offset = guess_indent(self.original)
        self._yaml = YAML()  # round-trip, safe: no tags build objects
        self._yaml.preserve_quotes = True
        self._yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        self.data = self._yaml.load(self.original)
        self._yaml.width = self._line_width()

    def _line_width(self) -> int:
        """The width the file's long text is folded at, so an edit never re-folds the rest.

        ruamel keeps no line breaks inside a plain scalar: it folds them again at its `width`.
        Most files never fold (long text on one line), so one dump at 4096 reads back as the file;
        a file written folded (PyYAML's default is 80 columns) is matched by the width that does.
        """
        for width in FOLD_WIDTHS:
            self._yaml.width = width
            buffer = io.StringIO()
            self._yaml.dump(self.data, buffer)
            if buffer.getvalue() == self.original:
                return width
        return FOLD_WIDTHS[0]  # no width reproduces it: never fold the authors' long lines

    def plain(self) -> Any:
        """The data as plain dicts and lists (what the safe loader reads)."""
        return plain(self.data)

    def text(self) -> str:
        """The edited file's text (with its byte-order mark if it had one), checked by reading it back."""
        buffer = io.StringIO()
        self._yaml.dump(self.data, buffer)
        out = buffer.getvalue()
        if yaml.load(out, Loader=_SAFE_LOADER) != self.plain():
            raise StrategyDocsError("internal error: the edited YAML does not read back as written.")
        return ("\ufeff" if self.bom else "") + out


def round_trip(text: str) -> RoundTrip:
    return RoundTrip(text)


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file is written (default 2, 4, 2)."""
    mapping = sequence = offset = None
    previous_key: int | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = _ITEM_LINE.match(line)
        if item and previous_key is not None and offset is None:
            offset = len(item.group(1)) - previous_key
        elif not item and previous_key is not None and mapping is None:
            indent = len(line) - len(line.lstrip())
            if indent > previous_key:
                mapping = indent - previous_key
        key = _KEY_LINE.match(line)
        previous_key = len(key.group(1)) if key else None
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = 2 if offset is None else max(offset, 0)
    sequence = offset + 2
    return mapping, sequence, offset


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)  # quoted scalars are str subclasses
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


# ---------------------------------------------------------------------------------------------
# the text that ends a block (blank lines, comments) follows its last value


def _block(node: Any) -> bool:
    return isinstance(node, (CommentedMap, CommentedSeq)) and len(node) > 0 and not node.fa.flow_style()


def _last_slot(node: Any) -> tuple[Any, Any] | None:
    """(container, key or index) of the value written last in a block collection."""
    while _block(node):
        key = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
        if _block(node[key]):
            node = node[key]
            continue
        return node, key
    return None


def _slot_index(container: Any) -> int:
    return 2 if isinstance(container, CommentedMap) else 0


def _take_trailing(node: Any):
    slot = _last_slot(node)
    if slot is None:
        return None
    container, key = slot
    entry = container.ca.items.get(key)
    index = _slot_index(container)
    if not entry or entry[index] is None:
        return None
    token = entry[index]
    if "\n" not in token.value.rstrip("\n") and token.value.count("\n") < 2:
        return None  # only the end of its own line (or a comment on it): it stays
    entry[index] = None
    return token


def _give_trailing(node: Any, token) -> None:
    if token is None:
        return
    slot = _last_slot(node)
    if slot is None:
        return
    container, key = slot
    entry = container.ca.items.setdefault(key, [None, None, None, None] if isinstance(container, CommentedMap)
                                          else [None, None])
    entry[_slot_index(container)] = token


def _split_own_comment(token):
    """A trailing token may start with a comment on the value's own line: that part stays."""
    if token is None or not token.value.lstrip(" ").startswith("#"):
        return None, token
    own, _, rest = token.value.partition("\n")
    if not rest:
        return token, None
    moved = type(token)("\n" + rest, token.start_mark, None)
    token.value = own + "\n"
    return token, moved


# ---------------------------------------------------------------------------------------------
# edits


def set_value(mapping: CommentedMap, key: Any, value: Any) -> None:
    """Set one value; a new key goes at the end of the mapping, above any blank line or comment that ended it."""
    if key in mapping:
        old = mapping[key]
        # what ended the old block stays; a comment on its last value's own line goes with that value
        trailing = _split_own_comment(_take_trailing(old))[1] if _block(old) else None
        mapping[key] = value
        if _block(value):
            _give_trailing(value, trailing)  # the blank line or comment that ended the old block ends the new one
        elif trailing is not None:  # a value on the key's own line ("risks: []") ends the block instead
            mapping.ca.items[key] = [None, None, trailing, None]
        return
    if mapping.fa.flow_style() or not len(mapping):
        mapping[key] = value
        return
    trailing = _take_trailing(mapping)
    own, moved = _split_own_comment(trailing)
    if own is not None:
        _give_trailing(mapping, own)
    mapping[key] = value
    _give_trailing(mapping, moved)


def extend(seq: CommentedSeq, items: list, like: Any = None) -> None:
    """Append items (styled like ``like``, else the last item) above the text that ended the list."""
    if not items:
        return
    template = like if like is not None else (seq[-1] if len(seq) else None)
    trailing = _take_trailing(seq) if _block(seq) else None
    own, moved = _split_own_comment(trailing)
    if own is not None:
        _give_trailing(seq, own)
    for item in items:
        seq.append(styled_like(item, template))
    _give_trailing(seq, moved)


def delete_item(seq: CommentedSeq, index: int) -> None:
    """Remove one item; the text that ended the list stays at its end."""
    last = index == len(seq) - 1
    trailing = _take_trailing(seq[index]) if last and _block(seq) else None
    del seq[index]  # ruamel moves the comments of the items after it up by one
    if len(seq):
        _give_trailing(seq, trailing)


def replace_item(seq: CommentedSeq, index: int, value: Any) -> None:
    """Make item ``index`` equal ``value``, changing only what differs (its comments and styles stay)."""
    current = seq[index]
    if isinstance(current, CommentedMap) and isinstance(value, dict):
        _update_mapping(current, value)
    else:
        seq[index] = styled_like(value, current)


def _update_mapping(mapping: CommentedMap, value: dict) -> None:
    for key in [k for k in mapping if k not in value]:
        del mapping[key]
    for key, new in value.items():
        old = mapping.get(key)
        if key in mapping and isinstance(old, CommentedMap) and isinstance(new, dict):
            _update_mapping(old, new)
        elif key in mapping and isinstance(old, CommentedSeq) and isinstance(new, list):
            if plain(old) != new:
                if all(not isinstance(v, (dict, list)) for v in new) or not len(old):
                    old[:] = new
                else:
                    mapping[key] = styled_like(new, old)
        elif key not in mapping or plain(old) != new or type(plain(old)) is not type(new):
            set_value(mapping, key, styled_like(new, old))


def styled_like(value: Any, template: Any) -> Any:
    """``value`` as commented data, with mappings and lists in flow style where ``template``
    (the value that held the same kind of data before) was written in flow style."""
    if isinstance(value, dict):
        out = CommentedMap()
        children = template if isinstance(template, dict) else {}
        for k, v in value.items():
            out[k] = styled_like(v, children.get(k))
        if isinstance(template, CommentedMap) and template.fa.flow_style() and all(
                not isinstance(v, (dict, list)) or v.fa.flow_style() for v in out.values()):
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        item_template = template[-1] if isinstance(template, list) and template else None
        seq = CommentedSeq(styled_like(v, item_template) for v in value)
        if isinstance(template, CommentedSeq) and template.fa.flow_style() and all(
                not isinstance(v, (dict, list)) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def styled_register(items: list, original: Any) -> CommentedSeq:
    """A new list of register items, each styled like the original item with the same id (or the first)."""
    by_id = {str(i.get("id")): i for i in original or [] if isinstance(i, dict)} if isinstance(original, list) else {}
    first = original[0] if isinstance(original, list) and original else None
    return CommentedSeq(styled_like(item, by_id.get(str(item.get("id")), first) if isinstance(item, dict) else first)
                        for item in items)
