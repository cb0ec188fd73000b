"""What `rpc.discover` says in prose, read from the code's own docstrings, so it has one source.

A method's summary is the first paragraph of its handler's docstring (a handler that forwards to a
runtime operation carries that operation's docstring). A parameter's description is the docstring
written under its attrs field — the attribute docstring convention that Sphinx and IDEs read too:

    @attrs.frozen
    class ApiIdParams:
        api_id: str
        \"\"\"The api's id.\"\"\"

Python drops such strings when it runs the class body, so they are read from the module's source.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import sys
from collections.abc import Callable
from typing import Any


def first_paragraph(doc: str | None) -> str:
    """The first paragraph of a docstring as one line ("" without a docstring)."""
    if not doc:
        return ""
    return " ".join(inspect.cleandoc(doc).split("\n\n", 1)[0].split())


def summary_of(function: Callable[..., Any] | None) -> str:
    """The first paragraph of `function`'s docstring, as one line."""
    return first_paragraph(getattr(function, "__doc__", None))


def field_docs(cls: type) -> dict[str, str]:
    """The docstring written under each field of `cls` or of a class it inherits from, as one
    paragraph per blank line; a field without one is absent."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ in sys.modules and klass.__module__ != "builtins":
            docs.update(_module_field_docs(klass.__module__).get(klass.__qualname__, {}))
    return docs


@functools.cache
def _module_field_docs(module_name: str) -> dict[str, dict[str, str]]:
    """{class qualified name: {field: docstring}} for every class of a module ({} without source)."""
    try:
        source = inspect.getsource(sys.modules[module_name])
    except (OSError, TypeError):  # built in, or no .py file shipped
        return {}
    found: dict[str, dict[str, str]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                found[prefix + node.name] = _attribute_docs(node.body)
                visit(node.body, f"{prefix}{node.name}.")

    visit(ast.parse(source).body, "")
    return found


def _attribute_docs(body: list[ast.stmt]) -> dict[str, str]:
    docs = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            paragraphs = inspect.cleandoc(following.value.value).split("\n\n")
            docs[statement.target.id] = "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
    return docs
