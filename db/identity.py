"""Who is running ptdv: the OS account (the SSH login), never an option or variable."""
from __future__ import annotations

import os
import pwd


def current_user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid{os.geteuid()}"
