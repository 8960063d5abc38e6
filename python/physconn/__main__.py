"""``python -m physconn ARGS``: runs the bundled server binary with ARGS."""
from __future__ import annotations

import os
import subprocess
import sys

from . import find_binary


def main() -> int:
    binary = find_binary()
    if os.name == "posix":
        os.execv(binary, [binary, *sys.argv[1:]])
    return subprocess.call([binary, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
