"""Reading prose from the code: a docstring's first paragraph, and the docstrings under attrs fields."""

from __future__ import annotations

import attrs

from transport.code_docs import field_docs, first_paragraph, summary_of


@attrs.frozen
class Base:
    shared: str
    """Written on the base class,
    over two lines.

    A second paragraph."""


@attrs.frozen
class Derived(Base):
    undocumented: int = 0
    # a comment is not a docstring
    documented: int = 1
    """Written on the subclass."""

    @attrs.frozen
    class Inner:
        deep: str
        """Inside a nested class."""


def test_field_docs_are_read_from_the_class_and_its_bases() -> None:
    assert field_docs(Derived) == {
        "shared": "Written on the base class, over two lines.\n\nA second paragraph.",
        "documented": "Written on the subclass.",
    }
    assert field_docs(Derived.Inner) == {"deep": "Inside a nested class."}


def test_a_summary_is_the_first_paragraph_on_one_line() -> None:
    def operation() -> None:
        """Do the thing,
        carefully.

        Details for developers."""

    assert summary_of(operation) == "Do the thing, carefully."
    assert summary_of(None) == "" and first_paragraph("") == ""
