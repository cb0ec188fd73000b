"""The LLM stub: an HTTP server speaking the `open_ai` and `anthropic` APIs, for tests, benchmarks and demos.

`dramaturg llm-stub` runs it. In auto mode it answers every agent with a plausible, valid
answer derived from the prompt; in scripted mode a control API under `/_stub/` queues exact
answers and faults per model. It never imports the server's services.
"""

from transport.llm_stub._app import create_stub_app as create_stub_app
from transport.llm_stub._auto import auto_answer as auto_answer
from transport.llm_stub._script import ScriptBook as ScriptBook
from transport.llm_stub._script import StubStep as StubStep
from transport.llm_stub._serve import serve_stub as serve_stub
from transport.llm_stub._settings import REFUSABLE as REFUSABLE
from transport.llm_stub._settings import StubMode as StubMode
from transport.llm_stub._settings import StubSettings as StubSettings

__all__ = [
    "REFUSABLE",
    "ScriptBook",
    "StubMode",
    "StubSettings",
    "StubStep",
    "auto_answer",
    "create_stub_app",
    "serve_stub",
]
