"""Optional dependencies, installed as extras of the `ray-import` package.

A batch run needs neither: `pip install ray-import` imports, enriches and saves recipes.
`[llm]` brings the OpenAI client, for an `llm.mode` other than off; `[serve]` the HTTP server
stack, for `ray-import serve`. Where one is missing, the error names the extra to install.
"""

from __future__ import annotations

import importlib.util

EXTRAS = {"llm": ("openai",), "serve": ("fastapi", "uvicorn", "sse_starlette")}


def missing_module(extra: str) -> str | None:
    """The first module of `extra` that cannot be imported here, None when none is missing."""
    for module in EXTRAS[extra]:
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except (ImportError, ValueError):  # a parent package that is missing or broken
            return module
    return None


def needs_extra(what: str, extra: str) -> str:
    """The one-line message for `what` when `extra` is not installed."""
    return f"{what} needs the [{extra}] extra: pip install 'ray-import[{extra}]'"
