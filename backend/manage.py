#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from apps.core import audit

    command = sys.argv[1] if len(sys.argv) > 1 else ""
    audit.set_process_default_source("shell" if command in {"shell", "dbshell", "shell_plus"} else "command")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
