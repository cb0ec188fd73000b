"""The agents and their output parsers (PROTOCOL §9). This module only re-exports."""

from runtime.agents._actor_output import ActionComplete as ActionComplete
from runtime.agents._actor_output import ActorOutput as ActorOutput
from runtime.agents._actor_output import ActorOutputError as ActorOutputError
from runtime.agents._actor_output import ActorOutputEvent as ActorOutputEvent
from runtime.agents._actor_output import ActorOutputParser as ActorOutputParser
from runtime.agents._actor_output import ActorSegment as ActorSegment
from runtime.agents._actor_output import DialogueDelta as DialogueDelta
from runtime.agents._actor_output import SegmentKind as SegmentKind
from runtime.agents._actor_output import ThoughtDelta as ThoughtDelta
from runtime.agents._actor_output import parse_actor_output as parse_actor_output
from runtime.agents._json_agent import JsonAnswer as JsonAnswer
from runtime.agents._json_agent import call_json_agent as call_json_agent
from runtime.agents._json_output import JsonOutputError as JsonOutputError
from runtime.agents._json_output import parse_json_object as parse_json_object
from runtime.agents._json_output import strip_code_fence as strip_code_fence
from runtime.agents._narrator_output import NarratorOutputError as NarratorOutputError
from runtime.agents._narrator_output import require_narration as require_narration
