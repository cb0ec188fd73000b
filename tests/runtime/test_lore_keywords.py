"""How entries with activation settings read their keywords: secondary logic, regex, case,
whole words (runtime/lore)."""

from __future__ import annotations

import pytest

from runtime.lore import keyword_warnings
from runtime.model.lore import TraceReason
from runtime.model.lorebooks import KeyMode, SecondaryLogic
from tests.runtime.lore_kit import book, entry, ids, run, traced

# -- secondary keywords ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logic", "text", "fires"),
    [
        (SecondaryLogic.AND_ANY, "the gate and the moon", True),
        (SecondaryLogic.AND_ANY, "the gate alone", False),
        (SecondaryLogic.AND_ALL, "the gate, the moon and the tide", True),
        (SecondaryLogic.AND_ALL, "the gate and the moon", False),
        (SecondaryLogic.NOT_ANY, "the gate alone", True),
        (SecondaryLogic.NOT_ANY, "the gate and the tide", False),
        (SecondaryLogic.NOT_ALL, "the gate and the tide", True),
        (SecondaryLogic.NOT_ALL, "the gate, the moon and the tide", False),
    ],
)
def test_secondary_logic_decides_after_a_primary_match(logic: SecondaryLogic, text: str, fires: bool) -> None:
    lorebook = book(entry("gate", ["gate"], secondary_keywords=["moon", "tide"], secondary_logic=logic))
    assert ids(run(lorebook, text)) == (["gate"] if fires else [])


def test_secondary_keywords_alone_never_activate_an_entry() -> None:
    lorebook = book(entry("gate", ["gate"], secondary_keywords=["moon"]))
    assert ids(run(lorebook, "the moon")) == []


def test_secondary_logic_defaults_to_and_any() -> None:
    lorebook = book(entry("gate", ["gate"], secondary_keywords=["moon", "tide"]))
    assert (ids(run(lorebook, "gate, tide")), ids(run(lorebook, "gate"))) == (["gate"], [])


def test_selective_false_ignores_the_secondary_keywords() -> None:
    lorebook = book(entry("gate", ["gate"], secondary_keywords=["moon"], selective=False))
    assert ids(run(lorebook, "the gate")) == ["gate"]


def test_a_failed_secondary_logic_is_traced_with_the_keywords_found() -> None:
    lorebook = book(
        entry("gate", ["gate"], secondary_keywords=["moon", "tide"], secondary_logic=SecondaryLogic.AND_ALL)
    )
    row = traced(run(lorebook, "the gate under the moon"), "gate")
    assert (row.activated, row.reason) == (False, TraceReason.SECONDARY_LOGIC)
    assert row.secondary is not None and (row.secondary.matched, row.secondary.passed) == (["moon"], False)
    assert row.secondary.logic == "and_all"


# -- regex keywords ----------------------------------------------------------------------


def test_slashed_keywords_are_regexes_with_their_flags_in_slash_regex_mode() -> None:
    lorebook = book(
        entry("dragons", ["/drag(on|in)s?/i"], key_mode=KeyMode.SLASH_REGEX),
        entry("exact", ["/Wyrm/"], key_mode=KeyMode.SLASH_REGEX),
    )
    assert ids(run(lorebook, "DRAGINS and a wyrm")) == ["dragons"]
    assert ids(run(lorebook, "a Wyrm")) == ["exact"]


def test_unslashed_keywords_stay_text_in_slash_regex_mode() -> None:
    lorebook = book(entry("mr", ["Mr. Smith"], key_mode=KeyMode.SLASH_REGEX))
    assert (ids(run(lorebook, "mr. smith")), ids(run(lorebook, "Mrs Smith"))) == (["mr"], [])


def test_slashed_keywords_are_plain_text_without_a_key_mode() -> None:
    lorebook = book(entry("slashes", ["/gate/"]))
    assert (ids(run(lorebook, "open the gate")), ids(run(lorebook, "path /gate/ here"))) == ([], ["slashes"])


def test_every_keyword_is_a_regex_in_regex_mode_and_case_follows_the_entry() -> None:
    lorebook = book(
        entry("loose", ["g[ae]te"], key_mode=KeyMode.REGEX),
        entry("strict", ["G[ae]te"], key_mode=KeyMode.REGEX, case_sensitive=True),
    )
    assert ids(run(lorebook, "the GETE")) == ["loose"]
    assert ids(run(lorebook, "the Gate")) == ["loose", "strict"]


def test_secondary_keywords_follow_the_key_mode() -> None:
    lorebook = book(entry("gate", ["gate"], secondary_keywords=["/mo+n/"], key_mode=KeyMode.SLASH_REGEX))
    assert (ids(run(lorebook, "gate and mooon")), ids(run(lorebook, "gate and mn"))) == (["gate"], [])


def test_an_invalid_regex_never_matches_and_is_reported() -> None:
    lorebook = book(
        entry("broken", ["/[gate/", "fallback"], key_mode=KeyMode.SLASH_REGEX),
        entry("flag", ["/gate/q"], key_mode=KeyMode.SLASH_REGEX),
    )
    activation = run(lorebook, "[gate and gate/ and /[gate/")
    assert ids(activation) == []
    assert ids(run(lorebook, "a fallback")) == ["broken"]
    warnings = keyword_warnings(lorebook)
    assert [warning.split(":")[0] for warning in warnings] == ["entries[0].keywords[0]", "entries[1].keywords[0]"]
    assert '"/[gate/" is not a valid regular expression' in warnings[0] and "never matches" in warnings[0]
    assert 'unknown flag "q"' in warnings[1]
    assert traced(activation, "broken").warnings == [warnings[0].removeprefix("entries[0].")]


def test_a_runaway_regex_is_stopped_and_counts_as_absent() -> None:
    lorebook = book(entry("slow", ["/(x+x+)+y/"], key_mode=KeyMode.SLASH_REGEX), entry("gate", ["gate"]))
    activation = run(lorebook, "x" * 5000 + " gate")
    assert ids(activation) == ["gate"]
    assert "took too long" in (traced(activation, "slow").warnings or [""])[0]


# -- case and whole words ----------------------------------------------------------------


def test_case_sensitive_keywords_need_the_exact_case() -> None:
    lorebook = book(entry("gate", ["Gate"], case_sensitive=True))
    assert (ids(run(lorebook, "the gate")), ids(run(lorebook, "the Gate"))) == ([], ["gate"])


def test_the_lorebook_case_setting_applies_unless_the_entry_says_otherwise() -> None:
    lorebook = book(entry("book", ["Gate"]), entry("own", ["Gate"], case_sensitive=False), case_sensitive=True)
    assert ids(run(lorebook, "the gate")) == ["own"]


def test_whole_word_keywords_do_not_match_inside_words() -> None:
    lorebook = book(entry("gate", ["gate"], match_whole_words=True), entry("part", ["gate"]))
    assert ids(run(lorebook, "the gatehouse")) == ["part"]
    assert ids(run(lorebook, "the gatehouse, then the gate.")) == ["gate", "part"]


def test_whole_word_phrases_match_at_word_boundaries() -> None:
    lorebook = book(entry("tower", ["old tower"], match_whole_words=True))
    assert (ids(run(lorebook, "bold towers")), ids(run(lorebook, "(old tower)"))) == ([], ["tower"])


def test_whole_words_from_the_lorebook_settings() -> None:
    lorebook = book(entry("gate", ["gate"]), match_whole_words=True)
    assert (ids(run(lorebook, "gatehouse")), ids(run(lorebook, "gate_house"))) == ([], [])


def test_a_matched_keyword_is_traced_with_the_text_around_it() -> None:
    text = "A long road winds past farms and fields until, at last, the Gate of Dawn rises over the valley below."
    row = traced(run(book(entry("gate", ["moon", "gate"])), text), "gate")
    assert row.key is not None and row.key.keyword == "gate"
    assert row.key.excerpt == "…farms and fields until, at last, the Gate of Dawn rises over the valley below."
