"""Reading a user's YAML file node by node, so every refusal names the file and the line.

The mapping file (sources/loading/mapping.py) and the campaign plan (sources/plan.py) both parse
PyYAML's composed nodes with a reader derived from `NodeReader`; it holds what they share: the
"<file> line N: ..." error, null and boolean spellings, and mappings without repeated keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

NULLS = ("", "~", "null", "Null", "NULL")
TRUE = ("true", "yes", "on")
FALSE = ("false", "no", "off")


class NodeReader:
    """Typed values from YAML nodes of one file; `error` is the exception class to raise."""

    error: type[Exception] = ValueError

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node_or_line, message: str, **kw) -> Exception:
        line = node_or_line if isinstance(node_or_line, int) else self.line(node_or_line)
        return self.error(f"{self.source} line {line}: {message}", **kw)

    def compose(self, text: str):
        """The document's root node (None when empty); invalid YAML is refused by line."""
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise self.fail(mark.line + 1 if mark else 1,
                            f"not valid YAML ({exc.problem or exc})") from None
        except yaml.YAMLError as exc:
            raise self.fail(1, f"not valid YAML ({exc})") from None

    @staticmethod
    def line(node) -> int:
        return node.start_mark.line + 1

    @staticmethod
    def is_null(node) -> bool:
        return node is None or (isinstance(node, yaml.ScalarNode) and node.style is None
                                and node.value in NULLS)

    def keyed(self, node, what: str, allowed: Sequence[str] | None = None
              ) -> dict[str, tuple[Any, Any]]:
        """name -> (key node, value node) of a mapping, in file order, refusing repeated keys
        and, when `allowed` is given, unknown ones."""
        keys = f" (keys: {', '.join(allowed)})" if allowed is not None else ""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values{keys}")
        out: dict[str, tuple[Any, Any]] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise self.fail(key, f"keys of {what} must be plain names")
            name = key.value
            if name in out:
                raise self.fail(key, f"{name!r} appears twice in {what} (first on line "
                                     f"{self.line(out[name][0])})")
            if allowed is not None and name not in allowed:
                raise self.fail(key, f"{what}: unknown key {name!r} (allowed keys: "
                                     f"{', '.join(allowed)})")
            out[name] = (key, value)
        return out

    def scalar(self, node, what: str) -> str:
        """The text of a scalar that is not null, as written."""
        if not isinstance(node, yaml.ScalarNode) or self.is_null(node):
            raise self.fail(node, f"{what} must be a text value")
        return node.value

    def boolean(self, node, what: str) -> bool:
        value = self.scalar(node, what).strip().lower()
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise self.fail(node, f"{what} must be true or false, not {node.value!r}")
