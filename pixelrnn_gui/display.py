"""Whether Qt will find a screen on Linux. Without one, or with a DISPLAY or WAYLAND_DISPLAY nothing
answers on (a stale variable in an ssh session, a closed Xvfb), Qt aborts the process with a core dump
and advises reinstalling; `pixelrnn gui` says what is wrong instead. Only a display that is certainly
unreachable is refused: an address this module cannot read is left to Qt."""
from __future__ import annotations

import re
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

X_DISPLAY = re.compile(r"(?P<host>[^:/]*):(?P<number>\d+)(\.\d+)?")
X_TCP_PORT = 6000
CONNECT_TIMEOUT_S = 1.0

SocketAddress = tuple[int, object]  # (address family, address)


def display_problem(env: Mapping[str, str]) -> str | None:
    """Why the app cannot open its window with the environment ``env``, or None when it can (or when
    a platform is chosen explicitly with QT_QPA_PLATFORM, or not on Linux)."""
    if not sys.platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None
    named = {name: env[name] for name in ("WAYLAND_DISPLAY", "DISPLAY") if env.get(name)}
    if not named:
        return "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset)"
    for name, value in named.items():
        addresses = display_addresses(name, value, env)
        if addresses is None or any(answers(address) for address in addresses):
            return None
    shown = ", ".join(f"{name}={value}" for name, value in named.items())
    return f"cannot connect to the display ({shown}): nothing answers there"


def display_addresses(name: str, value: str, env: Mapping[str, str]) -> list[SocketAddress] | None:
    """Where a Wayland compositor or an X server of ``value`` listens (as libwayland and libxcb look
    for it), or None for an address of another form."""
    if name == "WAYLAND_DISPLAY":
        runtime = env.get("XDG_RUNTIME_DIR")
        path = Path(value) if Path(value).is_absolute() else Path(runtime) / value if runtime else None
        return [] if path is None else [(socket.AF_UNIX, str(path))]
    match = X_DISPLAY.fullmatch(value)
    if match is None:
        return None
    host, number = match["host"], int(match["number"])
    tcp = (socket.AF_INET, (host if host not in ("", "unix") else "localhost", X_TCP_PORT + number))
    if host not in ("", "unix"):
        return [tcp]
    local = f"/tmp/.X11-unix/X{number}"
    return [(socket.AF_UNIX, "\0" + local), (socket.AF_UNIX, local), tcp]


def answers(address: SocketAddress) -> bool:
    """Whether something accepts a connection at ``address`` (closed again at once)."""
    family, target = address
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(CONNECT_TIMEOUT_S)
            probe.connect(target)
    except OSError:
        return False
    return True
