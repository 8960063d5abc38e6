"""physconn: Alibaba Cloud Express Connect's physical-connection API, served locally.

The wheel carries the ``physconn`` server binary (on PATH after ``pip install``),
the test library :mod:`physconn.testing` and a pytest plugin
(:mod:`physconn.pytest_plugin`, fixtures ``physconn`` and ``physconn_vpc``).
"""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from importlib import metadata

__all__ = ["BinaryNotFound", "__version__", "find_binary"]

try:
    __version__: str = metadata.version("physconn")
except metadata.PackageNotFoundError:  # imported from a source checkout
    __version__ = "0+unknown"

_EXE = "physconn.exe" if sys.platform == "win32" else "physconn"


class BinaryNotFound(FileNotFoundError):
    """No physconn server binary could be found."""


def _installed_candidates() -> list[str]:
    """Where pip put the binary that came in the wheel (its scripts directory)."""
    out = []
    # The wheel's RECORD names the script, whatever the install scheme (venv,
    # --user, --prefix, --target).
    try:
        for f in metadata.files("physconn") or ():
            if f.name == _EXE and f.parent.name in ("bin", "Scripts"):
                out.append(str(f.locate()))
    except metadata.PackageNotFoundError:
        pass
    schemes = [sysconfig.get_default_scheme()]
    user = "nt_user" if os.name == "nt" else ("osx_framework_user" if sys.platform == "darwin" else "posix_user")
    if user in sysconfig.get_scheme_names():
        schemes.append(user)
    for scheme in schemes:
        try:
            out.append(os.path.join(sysconfig.get_path("scripts", scheme), _EXE))
        except KeyError:
            pass
    return out


def find_binary(binary: str | os.PathLike[str] | None = None) -> str:
    """The path of the physconn server binary.

    In order: ``binary`` if given, ``$PHYSCONN_BIN``, the binary installed with
    this package, then ``physconn`` on PATH. Raises :class:`BinaryNotFound`.
    """
    explicit = binary if binary is not None else os.environ.get("PHYSCONN_BIN") or None
    if explicit is not None:
        path = os.fspath(explicit)
        found = shutil.which(path) if os.sep not in path else path
        if found and os.path.isfile(found) and os.access(found, os.X_OK):
            return os.path.abspath(found)
        raise BinaryNotFound(f"physconn binary {path!r} (from {'binary=' if binary is not None else '$PHYSCONN_BIN'}) "
                             "is not an executable file")
    for cand in _installed_candidates():
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    on_path = shutil.which(_EXE)
    if on_path:
        return os.path.abspath(on_path)
    raise BinaryNotFound("no physconn binary: install the physconn wheel (`pip install physconn`), "
                         "or set PHYSCONN_BIN to a binary built with `cargo build -p physconn`")
