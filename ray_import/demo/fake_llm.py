"""A fake OpenAI-compatible chat-completions endpoint for the tests, the demo and benchmarks.

`FakeLLM` answers like a small, deterministic "recipe model" from a stdlib
`ThreadingHTTPServer` running in a daemon thread on 127.0.0.1, so the LLM import
path can be exercised end to end (with the official client or plain HTTP) without
any network access. `FakeLLMOptions` adds latency, a concurrency cap answered with
429 + `Retry-After`, and shares of 500s, non-JSON, fenced or schema-violating answers.

Routes (an `Authorization: Bearer <api_key>` header is required when `api_key` is set, else 401):

    GET  /v1/models             {"object": "list", "data": [{"id": <model>, ...}]}
    POST /v1/chat/completions   an OpenAI ChatCompletion; 400 on a bad JSON body, a bad
                                `messages`, `"stream": true`, or `json_schema` when not
                                supported; 413 over 2 MB; 429 over `capacity`

Anything else is a 404. The reply is `derive_recipe(<last user message with a page>)` as JSON: the page
text follows a `PAGE TEXT:` line; `#` headings, `- ` / `1. ` / `1) ` list items, other lines
are paragraphs. Ingredients and instructions are the list items (else the paragraphs) under
an "Ingredients" / "Method"-like heading, up to the next heading of the same or a higher
level; the title is the first `# ` heading. The kind of answer (ok / error / malformed /
fenced / invalid) is drawn from
sha256(seed, text, attempt) where attempt counts earlier draws of the same text, so a retry
may succeed. Markers in the text override the draw:

    [[fake-llm:error]]  [[fake-llm:malformed]]  [[fake-llm:fenced]]  [[fake-llm:invalid]]
    [[fake-llm:invalid-once]]   invalid on the first attempt of that text, then ok
    [[fake-llm:slow=<s>]]       extra latency (at most 30 s)
    [[fake-llm:reply=<base64>]] reply with the decoded text verbatim

Text containing "ignore previous instructions" gets a "gullible" answer (a path-traversal
title, a shell command ingredient, and a `system_prompt_leak` key).
Run `python -m ray_import.demo.fake_llm --port 8001 --latency-s 2 --capacity 8` to serve it.
"""

from __future__ import annotations

import argparse
import base64
import collections
import dataclasses
import hashlib
import json
import math
import re
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from ._serving import LoopbackServer, QuietServer

MAX_BODY = 2 * 1024 * 1024
_MAX_DRAIN = 64 * 1024 * 1024
_MAX_SLOW_S = 30.0
RECIPE_KEYS = ("title", "ingredients", "instructions", "yields", "total_time", "prep_time",
               "cook_time", "author", "description", "image", "language", "category",
               "cuisine", "keywords")
_LIST_KEYS = ("ingredients", "instructions", "keywords")

_MARKER_RE = re.compile(r"\[\[fake-llm:([a-z-]+)(?:=([^\]]*))?\]\]")
_PAGE_RE = re.compile(r"^[ \t]*PAGE TEXT:[ \t]*", re.M)
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_ITEM_RE = re.compile(r"^(?:[-*•]|\d+[.)])\s+(.*)$")
_ING_RE = re.compile(r"ingredient|ingrédient|zutaten|ingredienti|ingredientes|you'?ll need"
                     r"|you will need|what you need", re.I)
_INS_RE = re.compile(r"instruction|method|directions|preparation|préparation|steps|étapes"
                     r"|zubereitung|how to make", re.I)
_YIELDS_RE = re.compile(r"\b(serves|makes|yields?|pour)\s*:?\s*(\d+(?:\s*[-–]\s*\d+)?)([^.\n]*)",
                        re.I)
_WORDS_RE = re.compile(r"\s*((?:[^\W\d_][\w'-]*\s*){0,3})")
_STOP_WORDS = {"a", "an", "and", "as", "at", "by", "each", "for", "from", "in", "of", "on", "or",
               "per", "to", "with", "de", "et"}
_DURATION = (r"(?:(\d+)\s*(?:hours?|hrs?|h|heures?|stunden?)(?![a-z])\.?\s*(?:and\s+)?)?"
             r"(?:(\d+)\s*(?:minutes?|mins?|m|minuten?)(?![a-z]))?")
_TOTAL_RE = re.compile(r"(?:total(?:\s+time)?|ready\s+in|temps\s+total|gesamtzeit)\s*:?\s*"
                       + _DURATION, re.I)
_INJECTION_RE = re.compile(r"ignore previous instructions", re.I)


@dataclasses.dataclass
class FakeLLMOptions:
    model: str = "fake-recipe-llm"
    latency_s: float = 0.0  # sleep before every completion answer, while counted in flight
    capacity: int = 0  # completions processed at once; beyond it 429 + Retry-After (0 = no cap)
    retry_after_s: float = 1.0
    error_rate: float = 0.0  # share answered 500
    malformed_rate: float = 0.0  # share answered 200 with content that is not JSON
    fenced_rate: float = 0.0  # share whose JSON is wrapped in ```json fences
    invalid_rate: float = 0.0  # share whose JSON violates the schema (no title, str ingredients)
    supports_json_schema: bool = True  # False: response_format json_schema -> 400
    api_key: str | None = None  # when set, requests need `Authorization: Bearer <api_key>`
    seed: int = 0


def message_text(content: object) -> str:
    """The text of a message `content`: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content
                         if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _yields(page: str) -> str | None:
    m = _YIELDS_RE.search(page)
    if m is None:
        return None
    verb, count = m[1].lower(), re.sub(r"\s+", "", m[2])
    words: list[str] = []
    for word in _WORDS_RE.match(m[3])[1].split():
        if word.lower() in _STOP_WORDS:
            break
        words.append(word)
    if verb == "serves" or not words:
        return f"{count} serving" + ("" if count == "1" else "s")
    return f"{count} {' '.join(words)}"


def _total_time(page: str) -> int | None:
    for m in _TOTAL_RE.finditer(page):
        if m[1] or m[2]:
            return int(m[1] or 0) * 60 + int(m[2] or 0)
    return None


def derive_recipe(user_text: str) -> dict:
    """The recipe the fake model answers for this user message (see the module docstring)."""
    found = _PAGE_RE.search(user_text)
    page = _MARKER_RE.sub("", user_text[found.end():] if found else user_text)
    items: list[tuple[str, int, str]] = []  # (h | li | p, heading level, text)
    for line in (raw.strip() for raw in page.splitlines()):
        if not line:
            continue
        if m := _HEADING_RE.match(line):
            items.append(("h", len(m[1]), m[2].strip()))
        elif m := _ITEM_RE.match(line):
            items.append(("li", 0, m[1].strip()))
        else:
            items.append(("p", 0, line))
    title_at = next((i for i, (k, lvl, _) in enumerate(items) if k == "h" and lvl == 1),
                    0 if items else None)
    sections = {"ing": {"li": [], "p": []}, "ins": {"li": [], "p": []}}
    description, section, level = None, None, 0
    for i, (kind, lvl, text) in enumerate(items):
        if kind == "h":
            if _ING_RE.search(text):
                section, level = "ing", lvl
            elif _INS_RE.search(text):
                section, level = "ins", lvl
            elif section is None or lvl <= level:  # deeper headings stay inside the section
                section = None
        elif section is not None:
            sections[section][kind].append(text)
        elif kind == "p" and description is None and title_at is not None and i > title_at:
            description = text
    recipe: dict = {key: [] if key in _LIST_KEYS else None for key in RECIPE_KEYS}
    recipe.update(
        title=items[title_at][2] if title_at is not None else None,
        ingredients=sections["ing"]["li"] or sections["ing"]["p"],
        instructions=sections["ins"]["li"] or sections["ins"]["p"],
        yields=_yields(page),
        total_time=_total_time(page),
        description=description,
    )
    return recipe


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _b64(value: str) -> str:
    value = value.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: QuietServer
    protocol_version = "HTTP/1.1"
    server_version = "RayImportFakeLLM/1.0"
    timeout = 30
    disable_nagle_algorithm = True
    _entry: dict | None = None

    def log_message(self, format: str, *args) -> None:  # noqa: A002, ANN002
        pass

    def _json(self, status: int, obj: dict, headers: dict[str, str] | None = None) -> None:
        if self._entry is not None:
            self._entry["status"] = status  # set before the client can see the answer
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, type_: str = "invalid_request_error",
               code: str | None = None, headers: dict[str, str] | None = None) -> None:
        stat = "errors" if status >= 500 else "rate_limited" if status == 429 else "bad_requests"
        self.server.owner._bump(stat)
        error = {"message": message, "type": type_, "param": None, "code": code}
        self._json(status, {"error": error}, headers)

    def _authorized(self) -> bool:
        key = self.server.owner.options.api_key
        return key is None or self.headers.get("Authorization", "") == f"Bearer {key}"

    def _unauthorized(self) -> None:
        self._error(401, "Incorrect API key provided.", code="invalid_api_key")

    def do_GET(self) -> None:
        self._entry = None
        llm = self.server.owner
        llm._bump("requests")
        if not self._authorized():
            return self._unauthorized()
        if urlsplit(self.path).path.rstrip("/") != "/v1/models":
            return self._error(404, f"Unknown request URL: GET {self.path}", code="unknown_url")
        model = {"id": llm.options.model, "object": "model", "created": 0, "owned_by": "ray-import"}
        self._json(200, {"object": "list", "data": [model]})

    def do_POST(self) -> None:
        self._entry = None
        self.server.owner._bump("requests")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length > MAX_BODY or length < 0:
            self.close_connection = True
            if 0 < length <= _MAX_DRAIN:  # drain it so the client sees the answer, not a reset
                while length > 0 and (chunk := self.rfile.read(min(length, 1 << 16))):
                    length -= len(chunk)
            return self._error(413 if length >= 0 else 400, "Request body too large or invalid",
                               headers={"Connection": "close"})
        raw = self.rfile.read(length)
        if urlsplit(self.path).path.rstrip("/") != "/v1/chat/completions":
            return self._error(404, f"Unknown request URL: POST {self.path}", code="unknown_url")
        try:
            req = json.loads(raw)
        except ValueError:
            req = None
        if isinstance(req, dict):
            self._entry = self.server.owner._log(req, "Authorization" in self.headers)
        self._complete(req if isinstance(req, dict) else None)

    def _complete(self, req: dict | None) -> None:
        llm = self.server.owner
        opts = llm.options
        if not self._authorized():
            return self._unauthorized()
        if req is None:
            return self._error(400, "We could not parse the JSON body of your request.")
        messages = req.get("messages")
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) for m in messages):
            return self._error(400, "'messages' must be a non-empty array of objects")
        if req.get("stream"):
            return self._error(400, "streaming not supported")
        fmt = req.get("response_format")
        fmt_type = fmt.get("type") if isinstance(fmt, dict) else fmt
        if fmt_type not in (None, "text", "json_object", "json_schema"):
            return self._error(400, f"Invalid response_format type: {fmt_type!r}")
        if fmt_type == "json_schema" and not opts.supports_json_schema:
            return self._error(400, "response_format json_schema is not supported")
        user = [message_text(m.get("content")) for m in messages if m.get("role") == "user"]
        # A repair turn ("your reply was not valid...") follows the turn that carried the page:
        # like a real model, answer from the page text of the conversation.
        paged = [u for u in user if _PAGE_RE.search(u)]
        text = paged[-1] if paged else (user[-1] if user else "")
        if not llm._enter():
            wait = {"Retry-After": f"{opts.retry_after_s:g}",
                    "retry-after-ms": str(int(opts.retry_after_s * 1000))}
            return self._error(429, "Rate limit reached: too many requests in flight.",
                               "requests", "rate_limit_exceeded", wait)
        try:  # leave the in-flight count before answering: the client may send again at once
            kind, attempt, markers = llm._draw(text)
            if self._entry is not None:
                self._entry["kind"] = kind
            try:
                slow = min(float(markers.get("slow") or 0), _MAX_SLOW_S)
            except ValueError:
                slow = 0.0
            time.sleep(max(0.0, opts.latency_s) + (slow if slow > 0 else 0.0))  # NaN -> 0
            if kind != "error":
                system = [message_text(m.get("content")) for m in messages
                          if m.get("role") in ("system", "developer")]
                content = _render(kind, text, markers, system[0] if system else "")
        finally:
            llm._leave()
        if kind == "error":
            llm._bump_kind(kind, 0, 0)
            return self._error(500, "The server had an error while processing your request.",
                               "server_error")
        prompt = sum(_tokens(message_text(m.get("content"))) for m in messages)
        completion = _tokens(content)
        llm._bump_kind(kind, prompt, completion)
        digest = hashlib.sha256(f"{opts.seed}\n{attempt}\n{text}".encode()).hexdigest()[:24]
        model = req.get("model") if isinstance(req.get("model"), str) else opts.model
        message = {"role": "assistant", "content": content}
        self._json(200, {
            "id": f"chatcmpl-{digest}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        })


def _render(kind: str, text: str, markers: dict[str, str], system: str) -> str:
    if kind == "reply":
        try:
            return _b64(markers["reply"])
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return "fake-llm: the reply marker is not valid base64 of UTF-8 text"
    recipe = derive_recipe(text)
    if _INJECTION_RE.search(text):
        recipe.update(title="../../etc/passwd", ingredients=["rm -rf /"],
                      system_prompt_leak=system[:500] or "You are a helpful assistant.")
    if kind == "invalid":
        recipe.pop("title", None)
        recipe["ingredients"] = ", ".join(recipe["ingredients"]) or "flour"
    body = json.dumps(recipe, ensure_ascii=False)
    if kind == "fenced":
        return f"```json\n{body}\n```"
    if kind == "malformed":  # a truncated object: no JSON parser (or brace matcher) recovers it
        return "Sure! Here is the recipe you asked for:\n" + body[: len(body) // 2]
    return body


class FakeLLM(LoopbackServer):
    """A deterministic fake OpenAI chat-completions server on a local port.

    Use as a context manager, or call `start()` / `stop()`. `stats` is a snapshot
    of the counters; `requests_log` lists every parsed completion request.
    """

    def __init__(self, options: FakeLLMOptions | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__(host, port)
        self.options = options or FakeLLMOptions()
        self.requests_log: list[dict] = []
        self._stats: dict = {"requests": 0, "completions_ok": 0, "rate_limited": 0, "errors": 0,
                             "bad_requests": 0, "max_in_flight": 0, "prompt_tokens": 0,
                             "completion_tokens": 0}
        self._by_kind: collections.Counter[str] = collections.Counter()
        self._attempts: dict[str, int] = {}
        self._in_flight = 0


    @property
    def base_url(self) -> str:
        return f"{self._origin()}/v1"

    @property
    def stats(self) -> dict:
        with self._lock:
            return {**self._stats, "by_kind": dict(self._by_kind)}

    # -- called from handler threads ------------------------------------------

    def _bump(self, key: str) -> None:
        with self._lock:
            self._stats[key] += 1

    def _bump_kind(self, kind: str, prompt: int, completion: int) -> None:
        with self._lock:
            self._by_kind[kind] += 1
            if kind != "error":
                self._stats["completions_ok"] += 1
                self._stats["prompt_tokens"] += prompt
                self._stats["completion_tokens"] += completion

    def _log(self, req: dict, authorization_present: bool) -> dict:
        entry = {"messages": req.get("messages"), "response_format": req.get("response_format"),
                 "tools": req.get("tools"), "model": req.get("model"),
                 "authorization_present": authorization_present, "status": None, "kind": None}
        with self._lock:
            self.requests_log.append(entry)
        return entry

    def _enter(self) -> bool:
        with self._lock:
            if self.options.capacity > 0 and self._in_flight >= self.options.capacity:
                return False
            self._in_flight += 1
            self._stats["max_in_flight"] = max(self._stats["max_in_flight"], self._in_flight)
            return True

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _draw(self, text: str) -> tuple[str, int, dict[str, str]]:
        """(kind, attempt, markers) for one admitted completion of this user text."""
        markers = {m[1]: m[2] or "" for m in _MARKER_RE.finditer(text)}
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._lock:
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
        o = self.options
        fixed = [k for k in ("error", "malformed", "fenced", "invalid") if k in markers]
        if fixed:
            kind = fixed[0]
        elif "invalid-once" in markers:
            kind = "invalid" if attempt == 0 else "ok"
        elif "reply" in markers:
            kind = "reply"
        else:
            digest = hashlib.sha256(f"{o.seed}\n{attempt}\n{text}".encode("utf-8")).digest()
            u, kind, acc = int.from_bytes(digest[:8], "big") / 2**64, "ok", 0.0
            for name, rate in (("error", o.error_rate), ("malformed", o.malformed_rate),
                               ("fenced", o.fenced_rate), ("invalid", o.invalid_rate)):
                acc += max(rate, 0.0)
                if u < acc:
                    kind = name
                    break
        if kind == "ok" and _INJECTION_RE.search(text):
            kind = "injection"
        return kind, attempt, markers


FakeLLM._handler = _Handler
FakeLLM._thread_name = "fake-llm"

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ray_import.demo.fake_llm",
        description="Serve a fake OpenAI-compatible recipe model until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    for field in dataclasses.fields(FakeLLMOptions):
        if field.name == "supports_json_schema":
            parser.add_argument("--no-json-schema", dest=field.name, action="store_false",
                                help="answer 400 to response_format json_schema")
        else:
            kind = {"float": float, "int": int}.get(str(field.type), str)
            parser.add_argument("--" + field.name.replace("_", "-"), type=kind,
                                default=field.default)
    args = vars(parser.parse_args(argv))
    options = FakeLLMOptions(**{f.name: args[f.name] for f in dataclasses.fields(FakeLLMOptions)})
    llm = FakeLLM(options, host=args["host"], port=args["port"]).start()
    print(llm.base_url, flush=True)
    print(f"model {options.model!r}; POST {llm.base_url}/chat/completions (Ctrl-C to stop)",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        llm.stop()


if __name__ == "__main__":
    main()
