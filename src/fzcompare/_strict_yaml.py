"""YAML for configuration files: safe, and strict about what PyYAML lets through silently.

PyYAML's safe loader keeps the last of two equal keys, builds self-containing lists from a
recursive anchor (``levels: &l [county, *l]``) and raises a bare ``ValueError`` for an
integer longer than Python converts (4,300 digits). ``load_strict`` turns each into a
``yaml.YAMLError`` with the line and column, like any other YAML mistake.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml

__all__ = ["load_strict"]

_MERGE_TAG = "tag:yaml.org,2002:merge"


def _key_text(node: Any) -> str:
    return repr(node.value) if isinstance(node.value, str) else f"<{node.id}>"


def _check_duplicates(node: Any) -> None:
    """Raise on two equal keys written in one mapping (``<<`` merges may be overridden)."""
    seen: dict[tuple[str, str], Any] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = (key_node.tag, key_node.value)
        first = seen.get(key)
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {_key_text(key_node)} (first given on line "
                f"{first.start_mark.line + 1}); a key may appear once in a mapping",
                key_node.start_mark)
        seen[key] = key_node


def _check_acyclic(root: Any) -> None:
    """Raise when a node contains itself through an alias; every node is visited once."""
    done: set[int] = set()
    on_path: set[int] = set()
    stack: list[tuple[Any, Any]] = [(root, iter(_children(root)))]
    on_path.add(id(root))
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.discard(id(node))
            done.add(id(node))
            continue
        if id(child) in on_path:
            raise yaml.constructor.ConstructorError(
                None, None, "recursive alias: the anchored node starting here contains an "
                "alias to itself", child.start_mark)
        if id(child) not in done:
            on_path.add(id(child))
            stack.append((child, iter(_children(child))))


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


@functools.cache
def _loader() -> type:
    class StrictLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        """The C safe loader with the checks of this module."""

        def construct_document(self, node: Any) -> Any:
            _check_acyclic(node)
            return super().construct_document(node)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            _check_duplicates(node)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node: Any) -> int:
            try:
                value: int = super().construct_yaml_int(node)
            except ValueError:
                digits = sum(c.isdigit() for c in str(node.value))
                raise yaml.constructor.ConstructorError(
                    None, None, f"an integer of {digits} digits is too long to read",
                    node.start_mark) from None
            return value

    StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
    return StrictLoader


def load_strict(text: str) -> Any:
    """Load one YAML document like ``yaml.safe_load``, refusing duplicate keys, recursive
    aliases and integers too long to convert.

    Raises:
        yaml.YAMLError: With ``problem`` and ``problem_mark`` (line and column).

    Examples:
        >>> load_strict("a: 1\\nb: [x, y]")
        {'a': 1, 'b': ['x', 'y']}
        >>> import yaml
        >>> try:
        ...     load_strict("a: 1\\nb: 2\\na: 3")
        ... except yaml.YAMLError as error:
        ...     print(error.problem_mark.line + 1, error.problem)
        3 duplicate key 'a' (first given on line 1); a key may appear once in a mapping
    """
    return yaml.load(text, Loader=_loader())  # a subclass of CSafeLoader: safe
