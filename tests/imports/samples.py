"""An import job, for the permission walk (tests/test_access.py).

Import jobs belong to the user who uploaded them, not to a firm, so the walk's firm-B rule cannot find
one: they are listed with the reference models. tests/imports/test_access_walk.py walks the import
routes with the owner, another staff member, a viewer and enterprise users.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile

from apps.imports.models import ImportJob

REFERENCE_MODELS = (ImportJob,)


def make_samples(firm: Any) -> None:
    job = ImportJob(
        kind="firms",
        storage_key=uuid.uuid4().hex,
        original_name="企业.csv",
        file_format="csv",
        encoding="utf-8",
        size=10,
        sha256="0" * 64,
        status="invalid",
        error_rows=1,
    )
    job.file.save("x.csv", ContentFile("统一社会信用代码,企业名称\n".encode()), save=False)
    job.error_workbook.save("x.xlsx", ContentFile(b"PK"), save=False)
    job.save()
