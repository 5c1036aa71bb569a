"""Where v1lab keeps per-user files (converted weights, caches).

The home folder is ``$V1LAB_HOME`` when set, else the platform's user cache folder for ``v1lab``
(``platformdirs.user_cache_dir``, e.g. ``~/.cache/v1lab`` on Linux).
"""

import os
from pathlib import Path

import platformdirs

__all__ = ["v1lab_home", "weights_dir"]


def v1lab_home() -> Path:
    """The per-user v1lab folder (created on demand)."""
    env = os.environ.get("V1LAB_HOME")
    home = Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("v1lab"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def weights_dir() -> Path:
    """Folder holding converted model weights."""
    path = v1lab_home() / "weights"
    path.mkdir(parents=True, exist_ok=True)
    return path
