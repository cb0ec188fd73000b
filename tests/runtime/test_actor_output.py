"""The incremental Actor tag parser (§9.3) of runtime/agents/_actor_output.py."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from runtime.agents import (
    ActionComplete,
    ActorOutput,
    ActorOutputError,
    ActorOutputEvent,
    ActorOutputParser,
    ActorSegment,
    DialogueDelta,
    SegmentKind,
    ThoughtDelta,
    parse_actor_output,
)


def feed_all(deltas: Sequence[str]) -> tuple[list[list[ActorOutputEvent]], ActorOutput]:
    """The events of each delta, and the finished output."""
    parser = ActorOutputParser()
    events = [parser.feed(delta) for delta in deltas]
    return events, parser.finish()


def flat(events: list[list[ActorOutputEvent]]) -> list[ActorOutputEvent]:
    return [event for batch in events for event in batch]


def error_of(*deltas: str) -> str:
    parser = ActorOutputParser()
    with pytest.raises(ActorOutputError) as caught:
        for delta in deltas:
            parser.feed(delta)
        parser.finish()
    return caught.value.message


# -- whole outputs -----------------------------------------------------------------------


def test_segments_are_returned_in_output_order() -> None:
    output = parse_actor_output("<thought>Hm.</thought><dialogue>Hello.</dialogue><action>Waves.</action>")
    assert output.segments == [
        ActorSegment(SegmentKind.THOUGHT, "Hm."),
        ActorSegment(SegmentKind.DIALOGUE, "Hello."),
        ActorSegment(SegmentKind.ACTION, "Waves."),
    ]


def test_segment_text_is_kept_raw() -> None:
    output = parse_actor_output("<dialogue>  Hello,\n  friend.  </dialogue>")
    assert output.segments == [ActorSegment(SegmentKind.DIALOGUE, "  Hello,\n  friend.  ")]


def test_repeated_segments_are_allowed() -> None:
    output = parse_actor_output("<dialogue>A</dialogue><dialogue>B</dialogue>")
    assert [s.text for s in output.segments] == ["A", "B"]


def test_whitespace_between_and_around_tags_is_skipped() -> None:
    output = parse_actor_output("\n  <thought>a</thought>\n\n\t<dialogue>b</dialogue>  \n")
    assert [(s.kind, s.text) for s in output.segments] == [(SegmentKind.THOUGHT, "a"), (SegmentKind.DIALOGUE, "b")]


def test_tag_name_is_trimmed() -> None:
    output = parse_actor_output("< dialogue >Hi</dialogue>")
    assert output.segments == [ActorSegment(SegmentKind.DIALOGUE, "Hi")]


def test_nested_looking_tags_inside_dialogue_are_plain_text() -> None:
    output = parse_actor_output("<dialogue>I <action>bow</action> to you.</dialogue>")
    assert output.segments == [ActorSegment(SegmentKind.DIALOGUE, "I <action>bow</action> to you.")]


def test_other_closing_tag_inside_a_segment_is_plain_text() -> None:
    output = parse_actor_output("<thought>not </dialogue> yet</thought>")
    assert output.segments == [ActorSegment(SegmentKind.THOUGHT, "not </dialogue> yet")]


def test_raw_output_is_every_delta_concatenated() -> None:
    deltas = ["  <dia", "logue>Hi</dia", "logue>\n"]
    _, output = feed_all(deltas)
    assert output.raw_output == "".join(deltas)


# -- streaming ---------------------------------------------------------------------------


def test_dialogue_text_is_streamed_as_it_arrives() -> None:
    events, _ = feed_all(["<dialogue>Hel", "lo ", "there</dialogue>"])
    assert events == [[DialogueDelta("Hel")], [DialogueDelta("lo ")], [DialogueDelta("there")]]


def test_thought_text_is_streamed_as_thought_deltas() -> None:
    events, _ = feed_all(["<thought>care", "ful</thought>"])
    assert flat(events) == [ThoughtDelta("care"), ThoughtDelta("ful")]


def test_action_text_is_not_streamed_but_completed_once() -> None:
    events, output = feed_all(["<action>draws ", "a blade", "</action>"])
    assert events == [[], [], [ActionComplete("draws a blade")]]
    assert output.segments == [ActorSegment(SegmentKind.ACTION, "draws a blade")]


def test_opening_tag_cut_across_deltas_is_joined() -> None:
    events, output = feed_all(["<dia", "log", "ue>Hi</dialogue>"])
    assert flat(events) == [DialogueDelta("Hi")]
    assert output.segments == [ActorSegment(SegmentKind.DIALOGUE, "Hi")]


def test_closing_tag_split_over_three_deltas_is_held_back_then_dropped() -> None:
    events, output = feed_all(["<dialogue>Hi</dia", "log", "ue>"])
    assert events == [[DialogueDelta("Hi")], [], []]
    assert output.segments == [ActorSegment(SegmentKind.DIALOGUE, "Hi")]


def test_held_back_text_that_is_not_the_closing_tag_is_released() -> None:
    events, output = feed_all(["<dialogue>a </di", "ve> b</dialogue>"])
    assert events == [[DialogueDelta("a ")], [DialogueDelta("</dive> b")]]
    assert output.segments == [ActorSegment(SegmentKind.DIALOGUE, "a </dive> b")]


def test_less_than_followed_by_other_text_is_not_held_back() -> None:
    events, _ = feed_all(["<dialogue>one < two", " is true</dialogue>"])
    assert events == [[DialogueDelta("one < two")], [DialogueDelta(" is true")]]


def test_lone_less_than_at_a_delta_end_is_held_back() -> None:
    parser = ActorOutputParser()
    assert parser.feed("<thought>x <") == [ThoughtDelta("x ")]
    assert parser.feed("3") == [ThoughtDelta("<3")]


def test_one_character_deltas_give_the_same_segments() -> None:
    text = "<thought>a</thought> <dialogue>b <c> d</dialogue><action>e</action>"
    events, output = feed_all(list(text))
    assert output.segments == parse_actor_output(text).segments
    assert "".join(e.text for e in flat(events) if isinstance(e, DialogueDelta)) == "b <c> d"


def test_several_segments_in_one_delta_give_events_in_order() -> None:
    parser = ActorOutputParser()
    assert parser.feed("<thought>a</thought><action>b</action><dialogue>c</dialogue>") == [
        ThoughtDelta("a"),
        ActionComplete("b"),
        DialogueDelta("c"),
    ]


def test_empty_deltas_produce_no_events() -> None:
    parser = ActorOutputParser()
    parser.feed("<dialogue>")
    assert parser.feed("") == []


# -- slips: read as well as they can be, each noted once ---------------------------------------


def warnings_of(*deltas: str) -> tuple[list[ActorSegment], tuple[str, ...]]:
    _, output = feed_all(deltas)
    return output.segments, output.warnings


def test_text_before_the_first_tag_is_kept_as_dialogue() -> None:
    segments, warnings = warnings_of("Hello there. <action>waves</action>")
    assert segments == [ActorSegment(SegmentKind.DIALOGUE, "Hello there."), ActorSegment(SegmentKind.ACTION, "waves")]
    assert warnings == ("text outside segment tags was kept as dialogue",)


def test_text_outside_tags_is_streamed_as_dialogue_as_it_arrives() -> None:
    events, output = feed_all(["<dialogue>x</dialogue>  and", " then some"])
    assert events == [[DialogueDelta("x"), DialogueDelta("and")], [DialogueDelta(" then some")]]
    assert output.segments[-1] == ActorSegment(SegmentKind.DIALOGUE, "and then some")


def test_a_plain_answer_without_any_tag_is_one_dialogue() -> None:
    segments, warnings = warnings_of("I would not go there, friend.")
    assert segments == [ActorSegment(SegmentKind.DIALOGUE, "I would not go there, friend.")]
    assert warnings == ("text outside segment tags was kept as dialogue",)


def test_less_than_outside_tags_that_opens_no_tag_is_text() -> None:
    segments, _ = warnings_of("I <3 this place, 1 < 2 and x<y.")
    assert segments == [ActorSegment(SegmentKind.DIALOGUE, "I <3 this place, 1 < 2 and x<y.")]


def test_an_invented_tag_is_read_as_dialogue() -> None:
    segments, warnings = warnings_of("<speech>hi</speech>")
    assert segments == [ActorSegment(SegmentKind.DIALOGUE, "hi")]
    assert warnings == ("unknown tag <speech> was read as dialogue",)


def test_tag_names_in_other_case_are_read_as_the_segment() -> None:
    segments, warnings = warnings_of("<Action>bows</ACTION>")
    assert segments == [ActorSegment(SegmentKind.ACTION, "bows")]
    assert warnings == ("tag <Action> was read as <action>",)


def test_a_stray_closing_tag_is_skipped() -> None:
    segments, warnings = warnings_of("</dialogue><thought>hm</thought>")
    assert segments == [ActorSegment(SegmentKind.THOUGHT, "hm")]
    assert warnings == ("a closing tag </dialogue> without its opening tag was skipped",)


@pytest.mark.parametrize("kind", ["dialogue", "thought", "action"])
def test_a_blank_segment_is_dropped(kind: str) -> None:
    segments, warnings = warnings_of(f"<{kind}> \n </{kind}><dialogue>ok</dialogue>")
    assert segments == [ActorSegment(SegmentKind.DIALOGUE, "ok")]
    assert warnings == (f"an empty {kind} segment was dropped",)


def test_a_segment_left_open_at_the_end_is_kept() -> None:
    segments, warnings = warnings_of("<dialogue>Hello")
    assert segments == [ActorSegment(SegmentKind.DIALOGUE, "Hello")]
    assert warnings == ("output ended inside an unclosed dialogue segment; its text was kept",)


def test_half_a_closing_tag_at_the_end_is_left_out() -> None:
    segments, _ = warnings_of("<thought>Hm</thou")
    assert segments == [ActorSegment(SegmentKind.THOUGHT, "Hm")]


def test_an_action_left_open_is_completed_at_the_end() -> None:
    parser = ActorOutputParser()
    assert parser.feed("<action>draws a blade") == []
    assert parser.end() == [ActionComplete("draws a blade")]


def test_an_opening_tag_cut_off_at_the_end_is_kept_as_text() -> None:
    segments, _ = warnings_of("<dialogue>a</dialogue><act")
    assert segments == [ActorSegment(SegmentKind.DIALOGUE, "a"), ActorSegment(SegmentKind.DIALOGUE, "<act")]


def test_a_well_formed_answer_has_no_warnings() -> None:
    _, warnings = warnings_of("<thought>a</thought><dialogue>b</dialogue>")
    assert warnings == ()


def test_output_without_any_text_is_an_error() -> None:
    assert error_of("  \n ") == "actor output contained no text"
    assert error_of("<dialogue> </dialogue>") == "actor output contained no text"


def test_empty_output_is_an_error() -> None:
    assert error_of() == "actor output contained no text"


def test_actor_output_errors_are_backend_errors() -> None:
    with pytest.raises(ActorOutputError) as caught:
        parse_actor_output("")
    assert caught.value.code == 50001
