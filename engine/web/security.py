"""The workbench's guard: who may talk to it, what a request may carry, and which files it may touch.

Every refusal is a `Refused` with a status and a Chinese message; `Guard` (an ASGI middleware, so it
acts before any route reads a byte of the body) refuses a Host that is not loopback (DNS rebinding),
a remote client without the start-up token, and a body over the limit. The CSRF token is checked by
`check_csrf` on every POST, from the htmx header or the form's hidden field. `inside` resolves a path
under a folder and refuses anything that leads out of it, through `..` or a symbolic link.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

MB = 1024 * 1024
MAX_FILE_BYTES = 20 * MB  # one uploaded table or case: engine.read.MAX_TABLE_FILE_BYTES
MAX_REQUEST_BYTES = 100 * MB  # a whole request (a batch of files, or one zip)
MAX_FILES = 200  # files in one upload, and tables unpacked from one zip
MAX_TEXT_BYTES = 2 * MB  # pasted text and a scheme typed in the editor (schemes are a few KB)
MAX_FIELDS = 50  # form fields other than files

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "127.0.0.1", "::1"})

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
TOKEN_COOKIE = "workbench_token"
TOKEN_PARAMETER = "token"


class Refused(Exception):
    """A request the workbench will not serve, told in Chinese: `status` is its 4xx code."""

    def __init__(self, status: int, message: str, hint: str | None = None):
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


@dataclass
class Secrets:
    """What this process was started with: the CSRF token of its forms, and for a remote server the
    token a browser must bring (printed at start)."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    access: str | None = None  # None: loopback only, no token asked

    def csrf_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())

    def access_ok(self, given: str | None) -> bool:
        return self.access is None or bool(given) and hmac.compare_digest(given.encode(), self.access.encode())


def is_loopback_host(host: str) -> bool:
    """127.0.0.1, ::1, localhost (any 127.x.y.z too) — with or without a port."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8765
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_csrf(secrets_: Secrets, header: str | None, form_value: str | None) -> None:
    if not (secrets_.csrf_ok(header) or secrets_.csrf_ok(form_value)):
        raise Refused(403, "请求缺少有效的安全令牌（CSRF），已拒绝，未做任何改动",
                      "请从工作台页面重新操作（刷新页面后再试）；工作台重启后，之前打开的页面需要刷新")


_NAME = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]{0,99}\Z")


def plain_name(name: str, what: str = "名称") -> str:
    """A single path component a URL may name: letters, digits, CJK, `_ . -`, never `..` or a slash."""
    if not _NAME.match(name) or ".." in name:
        raise Refused(400, f"{what}“{name[:40]}”不合规定", "只能含字母、数字、汉字和 _ . -")
    return name


def inside(root: Path, *parts: str) -> Path:
    """`root / parts`, resolved; refused when it leads out of `root` (through `..` or a symbolic link)."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise Refused(403, "只能读写方案文件夹之内的文件，已拒绝", "该路径（或它指向的链接）在方案文件夹之外")
    return target


# ------------------------------------------------------------------ the middleware -----

Render = Callable[[int, str, str | None], bytes]


class Guard:
    """ASGI middleware, before any route: Host must be loopback (unless remote use was allowed at start),
    a remote browser must bring the access token, and no body may exceed MAX_REQUEST_BYTES."""

    def __init__(self, app: Any, secrets_: Secrets, render: Render, allow_remote: bool = False,
                 max_body: int = MAX_REQUEST_BYTES):
        self.app, self.secrets, self.render = app, secrets_, render
        self.allow_remote, self.max_body = allow_remote, max_body

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        try:
            set_cookie = self._admit(scope, headers)
        except Refused as refusal:
            await self._refuse(send, refusal)
            return
        if set_cookie:  # the token came in the address: keep it in a cookie and drop it from the address
            await send({"type": "http.response.start", "status": 303, "headers": [
                (b"location", (scope.get("path") or "/").encode("utf-8")),
                (b"set-cookie", f"{TOKEN_COOKIE}={self.secrets.access}; Path=/; HttpOnly; SameSite=Strict".encode()),
                (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._refuse(send, _too_large(self.max_body))
            return
        await self.app(scope, self._counting(receive), self._watching(send))

    def _admit(self, scope: dict, headers: dict[str, str]) -> bool:
        host = headers.get("host", "")
        if not self.allow_remote and not is_loopback_host(host):
            raise Refused(421 if host else 400, f"拒绝访问：请求的主机名“{host[:80]}”不是本机（127.0.0.1 / localhost）",
                          "工作台只在本机使用；请在本机浏览器打开 engine serve 显示的地址")
        if self.secrets.access is None:
            return False
        if self.secrets.access_ok(_cookie(headers.get("cookie", ""), TOKEN_COOKIE)):
            return False
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(TOKEN_PARAMETER, [None])[0]
        if self.secrets.access_ok(given):
            return True
        raise Refused(401, "拒绝访问：缺少访问令牌", "请使用 engine serve 启动时显示的完整地址（含 ?token=…）")

    def _counting(self, receive: Callable[[], Awaitable[dict]]) -> Callable[[], Awaitable[dict]]:
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise _BodyTooLarge
            return message

        return counted

    def _watching(self, send: Callable) -> Callable:
        async def watched(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS:
                    if name not in names:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        return watched

    async def _refuse(self, send: Callable, refusal: Refused) -> None:
        body = self.render(refusal.status, refusal.message, refusal.hint)
        await send({"type": "http.response.start", "status": refusal.status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    """Raised inside a route's read of the body once it passes the limit; turned into a 413 by the app."""


_BodyTooLarge = BodyTooLarge


def _too_large(limit: int) -> Refused:
    return Refused(413, f"上传的内容过大（一次至多 {limit // MB} MB），已拒绝，未保存任何文件",
                   "请分几次上传，或只上传含自评表的文件")


def too_large(limit: int = MAX_REQUEST_BYTES) -> Refused:
    return _too_large(limit)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


# No script but our own files; no framing by other sites; nothing sniffed; no address sent elsewhere.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
