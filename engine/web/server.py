"""Running the page: a socket on the loopback address and a free port, uvicorn, the browser.

The socket is bound (and listening) before anything is printed, so the
address printed is the one that answers, and the browser opened at once
waits for the server rather than failing. Ctrl+C stops the server.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import webbrowser
from typing import Callable

from engine.errors import UsageError
from engine.i18n import tr
from engine.web.app import WILDCARDS, ServeOptions, create_app


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); UsageError when it cannot be had."""
    try:
        infos = socket.getaddrinfo(host.strip("[]") or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(tr("serve.no_such_host", host=host, detail=exc.strerror)) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and host.strip("[]") == "::":
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if port:
            raise UsageError(tr("serve.port_taken", host=host, port=port, detail=exc.strerror)) from None
        raise UsageError(tr("serve.cannot_listen", host=host, detail=exc.strerror)) from None
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in WILDCARDS else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(options: ServeOptions, echo: Callable[[str], None], warn: Callable[[str], None]) -> None:
    """Serve the workspace until Ctrl+C."""
    import uvicorn

    app = create_app(options)  # opens the results store: a wrong --db stops here, before the address is printed
    sock = bind(options.host, options.port)
    url = address(sock, options.host)
    if not is_loopback(options.host):
        warn(tr("serve.open_host", host=options.host, port=sock.getsockname()[1]))
    echo(tr("serve.address", url=url, workspace=options.workspace.resolve()))
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False, lifespan="off",
                            timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    default = app.site.workspace.default(options.ruleset)
    if default is not None:  # score the first page's year now, while the browser opens
        threading.Thread(target=app.site.workspace.year, args=(default,), daemon=True).start()
    if options.open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        if app.site.reviews is not None:
            app.site.reviews.close()
