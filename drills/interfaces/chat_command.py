"""Acting from the chat: `POST /chat/DRILL_ID/command` takes a Slack slash command
(form-encoded, `text=identify bad_resolver_config`) or an outgoing webhook's JSON
(`{"text": ...}`) and does the drill action it names, as the participant who signed it.

`/warroom ACTION ARGS`: words fill the action's required fields in order (`identify
waf_regex`); `field=value` sets any field (`schedule_review within=2d`); the words left
over are the `text`, for actions that take one (`log turned the WAF off`); `help` lists
the actions, `help ACTION` one of them.

Who is acting comes only from the signature: each participant has their own chat secret
(made when the drill is opened, kept in the drill store) and signs as Slack does (v0):
`X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=` + hex HMAC-SHA256 of
`v0:{timestamp}:{raw body}`. The user named in the body is not trusted.

Answers: a request that is unsigned, signed by no participant of this drill, more than five
minutes off or seen before (a replay, also after a restart) is refused with a JSON error
(401; 409 for a replay), as are a malformed body (400, 422), a too large one (413) and
too many requests (429). Everything past that answers 200 with a message Slack shows to
the sender alone (`{"response_type": "ephemeral", "text": ..., "accepted": true/false}`):
what was done, or why not (a typo, an unknown cause, the drill refusing). The answer never
says more than the participant's own page would (not whether a named cause is right).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shlex
import time
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from drills.errors import DrillError
from drills.jsonsafe import JSONRefused, loads_strict
from scenarios.actions import ACTION_FIELDS, ACTIONS, ActionSpec, action_help, typed_fields

from .answers import error_response, limit_response
from .limits import LimitExceeded

__all__ = ["command", "command_url", "parse_command", "signature_of", "CommandError", "SKEW_SECONDS"]

SKEW_SECONDS = 300
"""How far a request's timestamp may be from the server's clock (Slack's five minutes)."""
_COMMAND_WORDS = ("/warroom", "warroom")
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE)  # Teams' outgoing webhooks mention the bot
_FIELD = re.compile(r"^([a-z_]+)=(.*)$", re.DOTALL)


class CommandError(ValueError):
    """What a person typed is not a command; the message says how to write it."""


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def command_url(base_url: str, drill_id: str) -> str:
    """Where a drill's chat commands go (the Slack slash command's request URL)."""
    return f"{base_url.rstrip('/')}/chat/{drill_id}/command"


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of a request body."""
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


# -- what was typed ----------------------------------------------------------------------

def words_of(text: str) -> list[str]:
    """The command's words, without the command itself (`/warroom`, a Teams mention)."""
    text = _MENTION.sub(" ", text)
    try:
        words = shlex.split(text)
    except ValueError:  # an unpaired quote, as in "can't": plain words then
        words = text.split()
    while words and words[0].lower() in _COMMAND_WORDS:
        words = words[1:]
    return words


def usage(spec: ActionSpec) -> str:
    parts = [f"<{f}...>" if f == "text" else f"<{f}>" for f in spec.required]
    parts += ["[text...]" if f == "text" else f"[{f}=...]" for f in spec.optional]
    return f"/warroom {spec.name} {' '.join(parts)}".rstrip() + f"  ({spec.summary})"


def help_text(words: list[str]) -> str:
    spec = ACTIONS.get(words[0].replace("-", "_")) if words else None
    if spec is not None:
        return usage(spec)
    return ("/warroom ACTION ARGS: words fill the action's required fields in order, field=value sets any "
            "field, the words left over are the text.\n" + action_help())


def parse_command(words: list[str]) -> tuple[str, dict]:
    """(action, fields) from the words after `/warroom`. CommandError says what is wrong."""
    name, rest = words[0].replace("-", "_").lower(), words[1:]
    spec = ACTIONS.get(name)
    if spec is None:
        raise CommandError(f"unknown action {words[0]!r} (actions: {', '.join(ACTIONS)}; /warroom help)")
    fields: dict[str, str] = {}
    loose: list[str] = []
    for word in rest:
        named = _FIELD.match(word)
        if named is None:
            loose.append(word)
            continue
        key, value = named.groups()
        if key not in spec.fields:
            takes = ", ".join(spec.fields) or "no fields"
            known = "an action field, but not one " if key in ACTION_FIELDS else "not a field "
            raise CommandError(f"{key} is {known}{spec.name} takes ({takes}). Usage: {usage(spec)}")
        if key in fields:
            raise CommandError(f"{key} is given twice. Usage: {usage(spec)}")
        fields[key] = value
    for slot in [f for f in spec.required if f != "text" and f not in fields]:
        if not loose:
            raise CommandError(f"{spec.name} needs {slot}. Usage: {usage(spec)}")
        fields[slot] = loose.pop(0)
    if loose:
        if "text" not in spec.fields or "text" in fields:
            raise CommandError(f"too many words: {' '.join(loose)!r}. Usage: {usage(spec)}")
        fields["text"] = " ".join(loose)
    if "text" in spec.required and "text" not in fields:
        raise CommandError(f"{spec.name} needs some text. Usage: {usage(spec)}")
    return spec.name, fields


# -- the request -------------------------------------------------------------------------

async def _raw_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _Refused(413, f"request too large (at most {limit // 1024} KiB)")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise _Refused(413, f"request too large (at most {limit // 1024} KiB)")
    return raw


def _signer(request: Request, raw: bytes, store) -> tuple:
    """The participant whose secret signed the request, and the signature and its timestamp."""
    timestamp = request.headers.get("x-slack-request-timestamp")
    signature = request.headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise _Refused(401, "unsigned: a chat command needs X-Slack-Request-Timestamp and X-Slack-Signature")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise _Refused(401, "X-Slack-Request-Timestamp must be Unix seconds")
    if abs(time.time() - int(timestamp)) > SKEW_SECONDS:
        raise _Refused(401, f"stale: the request's timestamp is more than {SKEW_SECONDS // 60} minutes from "
                            "the server's clock")
    drill_id = request.path_params["drill_id"]
    signers = store.chat_signers(drill_id) if len(drill_id) <= 128 else []
    for access, secret in signers:
        if hmac.compare_digest(signature_of(secret, timestamp, raw).encode(), signature.encode("utf-8", "replace")):
            return access, signature, int(timestamp)
    # The same answer for an unknown drill: a caller without a secret learns nothing.
    raise _Refused(401, "bad signature: no participant of this drill signed this request")


def _text_of(request: Request, raw: bytes, json_depth: int) -> str:
    """The command text of a slash command (form-encoded) or an outgoing webhook (JSON)."""
    if request.headers.get("content-type", "").startswith("application/json") or raw.lstrip()[:1] == b"{":
        try:
            data = loads_strict(raw, max_depth=json_depth)
        except JSONRefused as exc:
            raise _Refused(400 if exc.malformed else 422, f"the body must be JSON or form-encoded: {exc}")
    else:
        try:
            data = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True,
                                                 max_num_fields=100).items()}
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Refused(400, f"the body must be form-encoded UTF-8: {exc}")
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str):
        raise _Refused(422, "the command's text is missing (a `text` field)")
    return text


def _reply(text: str, accepted: bool) -> JSONResponse:
    return JSONResponse({"response_type": "ephemeral", "text": text, "accepted": accepted})


async def command(request: Request):
    """POST /chat/{drill_id}/command (the module docstring has the rules)."""
    try:
        return await _command(request)
    except _Refused as refused:
        return error_response(refused.status, refused.message)
    except LimitExceeded as exc:
        return limit_response(exc)


async def _command(request: Request):
    server = request.app.state.server
    raw = await _raw_body(request, server.limits.body_bytes)
    access, signature, timestamp = _signer(request, raw, server.store)
    if not server.store.first_sight(access.drill_id, signature, timestamp, int(time.time()) - 2 * SKEW_SECONDS):
        raise _Refused(409, "replayed: this signed request was already taken")
    server.throttle.write(access.token)
    words = words_of(_text_of(request, raw, server.limits.json_depth))
    if not words or words[0].lower() == "help":
        return _reply(help_text(words[1:]), False)
    try:
        name, fields = parse_command(words)
        clean = typed_fields(fields)
    except ValueError as exc:
        return _reply(f"Not done: {exc}", False)
    try:
        live = server.hub.live(access.drill_id)
        if live is None:
            return _reply("Not done: the drill has ended", False)
        live.session.act(access.role, name, clean, actor=access.person)
    except DrillError as exc:  # ActionRejected among them: the drill's own refusal
        return _reply(f"Not done: {exc}", False)
    live.touch(access.token)
    done = " ".join(f"{k}={json.dumps(v) if isinstance(v, str) and ' ' in v else v}" for k, v in fields.items())
    return _reply(f"Done: {name} {done}".rstrip() + f" (as {access.person}, {access.role}, at "
                  f"{live.session.now():.1f}m)", True)
