"""`engine serve`: bind the workbench to this machine (or, asked explicitly, to the network with a token),
say where it is, open the browser, and serve until Ctrl-C."""

from __future__ import annotations

import secrets
import socket
import threading
import webbrowser
from pathlib import Path
from typing import Callable

from ..errors import EngineError, Location, Problem
from .security import TOKEN_PARAMETER, Secrets, is_loopback_host


class ServeError(EngineError):
    kind = "serve"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or a Chinese refusal."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        busy = "已被占用" if error.errno in (98, 48, 10048) else f"无法使用（{error.strerror or error}）"
        raise ServeError(Problem(f"{host} 的端口 {port} {busy}", Location("命令行"),
                                 hint="用 --port 换一个端口，或 --port 0 自动选一个空闲端口", code="port-busy")) from None
    sock.listen(64)
    return sock


def serve(schemes: str | Path, cases: str | Path | None, host: str, port: int, allow_remote: bool,
          open_browser: bool, say: Callable[[str], None]) -> int:
    import uvicorn

    from .app import create_app

    schemes = Path(schemes)
    if not schemes.is_dir():
        raise ServeError(Problem(f"方案文件夹“{schemes}”不存在", Location("命令行"),
                                 hint="用 --schemes 指定存放方案的文件夹（其中为 方案编号/年度.yaml）", code="no-schemes"))
    remote = not is_loopback_host(host)
    if remote and not allow_remote:
        raise ServeError(Problem(f"拒绝在 {host} 上提供服务：工作台默认只供本机（127.0.0.1）使用", Location("命令行"),
                                 hint="确需让其他电脑访问，请写 --host 0.0.0.0 --allow-remote；访问时须带启动时显示的令牌",
                                 code="remote-refused"))
    if cases is None and (schemes.resolve().parent / "cases").is_dir():
        cases = schemes.resolve().parent / "cases"
    keys = Secrets(access=secrets.token_urlsafe(18) if remote else None)
    app = create_app(schemes, cases, secrets_=keys, allow_remote=remote)
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") and not remote else host
    address = f"http://{'[' + shown_host + ']' if ':' in shown_host else shown_host}:{bound}/"
    if remote:
        address += f"?{TOKEN_PARAMETER}={keys.access}"
    say(f"绩效自评工作台已启动：{address}")
    say(f"方案文件夹：{schemes.resolve()}" + (f"；案例文件夹（只读）：{Path(cases).resolve()}" if cases else ""))
    if remote:
        say("注意：已允许其他电脑访问。访问须用上面含令牌的完整地址；请只在可信的网络中这样做。")
    say("按 Ctrl-C 停止。")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    if open_browser:
        def when_started() -> None:
            for _ in range(600):
                if server.started:
                    webbrowser.open(address)
                    return
                threading.Event().wait(0.05)

        threading.Thread(target=when_started, daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        app.bench.workspace.close()
        sock.close()
    say("工作台已停止。")
    return 0
