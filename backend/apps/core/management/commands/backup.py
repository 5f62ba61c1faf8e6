"""`manage.py backup [--output FOLDER]`: the database (pg_dump, custom format) and the uploaded files.

Writes `<output>/seedbed-<UTC timestamp>/` with database.dump, media/ and manifest.json (apps.core.backup).
Safe while Seedbed runs: the dump and the manifest's checksums come from one database snapshot.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core import backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format) and the uploaded files into a new folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(Path(settings.MEDIA_ROOT).parent / "backups"),
            help="Folder that receives the new backup folder (default: var/backups).",
        )
        parser.add_argument("--name", default="", help="Name of the backup folder (default: seedbed-<UTC time>).")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"] or f"seedbed-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
        into = Path(options["output"]).resolve() / name
        params = backup.connection_params(settings.DATABASES["default"])
        try:
            manifest = backup.backup(params, Path(settings.MEDIA_ROOT), into)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written to {into}")
        for table, check in manifest["tables"].items():
            self.stdout.write(f"  {table:<28} {check['rows']:>10} rows  md5 {check['md5']}")
        self.stdout.write(f"  uploaded files: {len(manifest['media'])}")
        self.stdout.write(f"  database.dump sha256 {manifest['dump_sha256']}")
