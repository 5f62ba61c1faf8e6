"""`manage.py restore FOLDER [--database-url URL]`: a backup made by `manage.py backup`, into an empty database.

The dump is loaded in one transaction (all or nothing); the uploaded files are copied into MEDIA_ROOT;
then the row counts and checksums of the firm, certification and figure tables (and the history) are
compared with the backup's manifest, and any difference is an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core import backup


class Command(BaseCommand):
    help = "Restore a backup folder (from `manage.py backup`) into an empty database and check it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="The backup folder (holds database.dump, media/ and manifest.json).")
        parser.add_argument(
            "--database-url",
            default="",
            help="postgresql://… of the empty database to restore into (default: DATABASE_URL's database).",
        )
        parser.add_argument(
            "--media-root", default="", help="Where the uploaded files go (default: MEDIA_ROOT of the settings)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"]).resolve()
        if options["database_url"]:
            params = backup.params_from_url(options["database_url"])
        else:
            params = backup.connection_params(settings.DATABASES["default"])
        media_root = Path(options["media_root"] or settings.MEDIA_ROOT)
        try:
            result = backup.restore(folder, params, media_root)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {folder} into database {params.get('dbname')}; files into {media_root}")
        for table, check in result["tables"].items():
            self.stdout.write(f"  {table:<28} {check['rows']:>10} rows  checksum matches the backup")
        self.stdout.write(f"  uploaded files: {result['media_files']}, all identical to the backup")
        self.stdout.write("next: `manage.py migrate` (a backup from an older version), then start Seedbed")
