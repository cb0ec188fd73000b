"""Fence stripping and JSON-object parsing for JSON agents (§9.5 steps 1–2)."""

from __future__ import annotations

import pytest

from runtime.agents import JsonOutputError, NarratorOutputError, parse_json_object, require_narration, strip_code_fence


def error_of(text: str) -> str:
    with pytest.raises(JsonOutputError) as caught:
        parse_json_object(text)
    return caught.value.message


# -- fences ------------------------------------------------------------------------------


def test_unfenced_text_is_only_trimmed() -> None:
    assert strip_code_fence('  \n{"ops":[]}\n ') == '{"ops":[]}'


def test_json_fence_is_removed() -> None:
    assert strip_code_fence('```json\n{"ops":[]}\n```') == '{"ops":[]}'


def test_fence_without_language_tag_is_removed() -> None:
    assert strip_code_fence('```\n{"a":1}\n```') == '{"a":1}'


def test_fence_surrounded_by_whitespace_is_removed() -> None:
    assert strip_code_fence('\n  ```JSON  \n{"a":1}\n  ```  \n') == '{"a":1}'


def test_multi_line_fenced_body_keeps_its_lines() -> None:
    assert strip_code_fence('```json\n{\n  "a": 1\n}\n```') == '{\n  "a": 1\n}'


def test_windows_line_endings_in_a_fence_are_handled() -> None:
    assert parse_json_object('```json\r\n{"a": 1}\r\n```') == {"a": 1}


def test_empty_fence_gives_empty_text() -> None:
    assert strip_code_fence("```json\n```") == ""


def test_fence_without_closing_line_is_kept() -> None:
    assert strip_code_fence('```json\n{"a":1}') == '```json\n{"a":1}'


def test_text_after_the_closing_fence_keeps_the_fence() -> None:
    text = '```json\n{"a":1}\n```\nHope this helps!'
    assert strip_code_fence(text) == text


def test_single_line_fence_is_not_stripped() -> None:
    assert strip_code_fence('```{"a":1}```') == '```{"a":1}```'


def test_opening_line_with_more_than_a_language_tag_is_not_a_fence() -> None:
    text = '```json here you go\n{"a":1}\n```'
    assert strip_code_fence(text) == text


# -- parsing -----------------------------------------------------------------------------


def test_plain_json_object_is_parsed() -> None:
    assert parse_json_object('{"ops": [{"type": "SetState", "key": "k", "value": 1.0}]}') == {
        "ops": [{"type": "SetState", "key": "k", "value": 1.0}]
    }


def test_fenced_json_object_is_parsed() -> None:
    assert parse_json_object('```json\n{"replies": []}\n```') == {"replies": []}


def test_integers_and_floats_stay_distinct() -> None:
    value = parse_json_object('{"i": 1, "f": 1.0}')
    assert (type(value["i"]), type(value["f"])) == (int, float)


def test_empty_output_is_an_error() -> None:
    assert error_of("  ") == "invalid JSON: output was empty"


def test_empty_fence_is_an_error() -> None:
    assert error_of("```json\n```") == "invalid JSON: output was empty"


def test_broken_json_reports_the_position() -> None:
    assert error_of('{"a": 1,\n "b": }') == "invalid JSON: Expecting value at line 2 column 7"


def test_an_object_framed_by_text_is_taken() -> None:
    assert parse_json_object('Sure: {"a": 1} and more') == {"a": 1}
    assert parse_json_object('```json\n{"a": {"b": [1]}}') == {"a": {"b": [1]}}


def test_a_framed_object_that_does_not_close_is_still_an_error() -> None:
    assert error_of('Sure: {"a": 1').startswith("invalid JSON: Expecting value")


def test_prose_is_an_error() -> None:
    assert error_of("Sure! Here is the plan.").startswith("invalid JSON: Expecting value")


def test_array_is_not_an_object() -> None:
    assert error_of("[1, 2]") == "expected a JSON object, got array"


def test_string_is_not_an_object() -> None:
    assert error_of('"plan"') == "expected a JSON object, got string"


def test_duplicate_key_is_an_error() -> None:
    assert error_of('{"ops": [], "ops": []}') == "invalid JSON: duplicate key 'ops' in an object"


def test_duplicate_key_in_a_nested_object_is_an_error() -> None:
    assert error_of('{"a": {"b": 1, "b": 2}}') == "invalid JSON: duplicate key 'b' in an object"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_constants_are_errors(constant: str) -> None:
    assert error_of(f'{{"a": {constant}}}') == f"invalid JSON: '{constant}' is not a JSON value"


def test_json_output_errors_are_provider_errors() -> None:
    with pytest.raises(JsonOutputError) as caught:
        parse_json_object("nope")
    assert caught.value.code == 50002


# -- narrator ----------------------------------------------------------------------------


def test_narration_is_returned_untrimmed() -> None:
    assert require_narration("  The rain stops.\n") == "  The rain stops.\n"


def test_blank_narration_is_an_error() -> None:
    with pytest.raises(NarratorOutputError) as caught:
        require_narration(" \n\t")
    assert (caught.value.message, caught.value.code) == ("narrator output contained no text", 50001)


def test_a_raw_line_break_inside_a_string_is_taken_as_written() -> None:
    assert parse_json_object('{"text": "two\nlines\tand a tab"}') == {"text": "two\nlines\tand a tab"}
