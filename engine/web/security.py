"""What keeps the page safe to run: the host check, the size limit, sessions, CSRF tokens, security headers.

One ASGI middleware (``Guard``) sits in front of the whole application:

- it answers only requests addressed to the host it serves (so a web page
  elsewhere cannot reach it through a rebound DNS name);
- it refuses a request body over the limit, by its Content-Length or as it
  arrives (413), before any of it is kept;
- it gives each browser a session (a random id in an HttpOnly, SameSite=Strict
  cookie) holding the session's CSRF token, the reviewer's name and the
  forms it has uploaded and not yet confirmed, all in memory;
- it adds the security headers (a Content-Security-Policy allowing only the
  page's own scripts and styles, no framing by other sites, no sniffing).

Every form posts its session's token; ``checked_form`` refuses a post whose
token is missing or wrong, or that comes from another origin. Uploads are
parsed in memory (``read_form``), never spooled to a file.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from starlette.datastructures import FormData, Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

COOKIE = "evalrun_session"
MAX_SESSIONS = 500
MAX_PENDING = 5  # uploaded forms a session keeps for confirmation
MAX_PENDING_BYTES = 200 * 1024 * 1024  # all sessions' uploads waiting for confirmation, together
PENDING_SECONDS = 3600
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'self'; "
       "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@dataclass
class Session:
    id: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    reviewer: str = ""
    flash: list = field(default_factory=list)  # messages for the next page
    pending: OrderedDict = field(default_factory=OrderedDict)  # upload id -> Pending
    seen: float = field(default_factory=time.monotonic)

    def keep(self, pending) -> str:
        """Keep an uploaded form until it is confirmed; the oldest go when there are too many."""
        now = time.monotonic()
        for upload_id in [k for k, p in self.pending.items() if now - p.at > PENDING_SECONDS]:
            del self.pending[upload_id]
        while len(self.pending) >= MAX_PENDING:
            self.pending.popitem(last=False)
        upload_id = secrets.token_urlsafe(16)
        self.pending[upload_id] = pending
        return upload_id


class Sessions:
    def __init__(self):
        self._items: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def trim(self) -> None:
        """Drop the oldest uploads waiting for confirmation while all of them together are over the budget."""
        with self._lock:
            waiting = sorted(((p.at, s, k, len(p.data)) for s in self._items.values() for k, p in s.pending.items()),
                             key=lambda item: item[0])
            total = sum(item[3] for item in waiting)
            for _, session, upload_id, size in waiting:
                if total <= MAX_PENDING_BYTES:
                    break
                session.pending.pop(upload_id, None)
                total -= size

    def get(self, session_id: str | None) -> tuple[Session, bool]:
        """The session of this id, or a new one (True when new)."""
        with self._lock:
            session = self._items.get(session_id or "")
            if session is not None:
                session.seen = time.monotonic()
                self._items.move_to_end(session.id)
                return session, False
            session = Session(secrets.token_urlsafe(32))
            self._items[session.id] = session
            while len(self._items) > MAX_SESSIONS:
                self._items.popitem(last=False)
            return session, True


class TooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"larger than {limit} bytes")


class Guard:
    """The ASGI middleware described in the module's text."""

    def __init__(self, app, *, hosts: set | None, max_body: int, sessions: Sessions, refuse):
        self.app, self.hosts, self.max_body, self.sessions = app, hosts, max_body, sessions
        self.refuse = refuse  # (scope, status, detail) -> an ASGI response: the error page

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        if self.hosts is not None and host_name(headers.get("host", "")) not in self.hosts:
            return await self.refuse(scope, 400, "host")(scope, receive, send)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await self.refuse(scope, 413 if length.isdigit() else 400, "size")(scope, _drained, send)
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is no session
            cookie = SimpleCookie()
        session, new = self.sessions.get(cookie[COOKIE].value if COOKIE in cookie else None)
        scope.setdefault("state", {})["session"] = session
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise TooLarge(self.max_body)
            return message

        async def with_headers(message):
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in out:
                        out[name] = value
                if new:
                    out.append("set-cookie", f"{COOKIE}={session.id}; Path=/; HttpOnly; SameSite=Strict")
            await send(message)

        await self.app(scope, counted, with_headers)


async def _drained():
    return {"type": "http.request", "body": b"", "more_body": False}


def host_name(host: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class _InMemory(MultiPartParser):
    """Starlette's multipart parser, keeping file parts in memory (the body is already size-limited)."""

    spool_max_size = 1 << 40


async def read_form(request, max_body: int) -> FormData:
    """The posted form, files in memory; 400 for a body that is not a form."""
    kind = request.headers.get("content-type", "")
    try:
        if kind.startswith("multipart/form-data"):
            return await _InMemory(request.headers, request.stream(), max_files=1, max_fields=20,
                                   max_part_size=64 * 1024).parse()
        if kind.startswith("application/x-www-form-urlencoded"):
            return await request.form(max_files=0, max_fields=50)
    except MultiPartException as exc:
        raise HTTPException(400, f"form: {exc.message}") from None
    raise HTTPException(400, "form")


async def checked_form(request, max_body: int) -> FormData:
    """The posted form, after its CSRF token and origin were checked (403 otherwise)."""
    session: Session = request.state.session
    origin = request.headers.get("origin")
    if origin and origin != "null" and host_of(origin) != request.headers.get("host", "").lower():
        raise HTTPException(403, "origin")
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise HTTPException(403, "csrf")  # not a form: no token can be in it
    form = await read_form(request, max_body)
    token = form.get("csrf")
    if not isinstance(token, str) or not secrets.compare_digest(token.encode(), session.csrf.encode()):
        raise HTTPException(403, "csrf")
    return form


def host_of(origin: str) -> str:
    return origin.split("://", 1)[-1].rstrip("/").lower()
