"""How the tests run the `modelcheck` command in a subprocess."""

import os
import shutil
import sys


def command() -> list[str]:
    """The installed console script beside this Python, else ``python -m modelcheck``."""
    exe = shutil.which("modelcheck", path=os.path.dirname(sys.executable)) or shutil.which("modelcheck")
    return [exe] if exe else [sys.executable, "-m", "modelcheck"]


def plain_env(**extra: str) -> dict[str, str]:
    """This environment without what asks for terminal output (FORCE_COLOR...), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}
    return {**env, **extra}
