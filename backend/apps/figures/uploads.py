"""What an uploaded evidence file really is, decided from its bytes, never from its name or the client's header.

Accepted: PDF, PNG, JPEG, GIF, WebP, and the Office Open XML formats staff receive statements in
(XLSX, DOCX). An Office file is a zip archive: it is recognised by its members
(`[Content_Types].xml` plus `xl/workbook.xml` or `word/document.xml`), read from the archive's
directory without extracting anything. Archives that would expand beyond a cap, or hold too many
members, are refused (zip bombs). The caps are settings:
SEEDBED_MAX_UPLOAD_BYTES (default 20 MB), SEEDBED_MAX_ZIP_MEMBERS (default 1,000),
SEEDBED_MAX_ZIP_UNCOMPRESSED_BYTES (default 200 MB).
Nothing here ever decompresses a member, so archive headers that lie about sizes cost nothing;
anything that later opens an archive must apply its own limits.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException

from apps.core.i18n import t

MB = 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "SEEDBED_MAX_UPLOAD_BYTES", 20 * MB))


def max_zip_members() -> int:
    return int(getattr(settings, "SEEDBED_MAX_ZIP_MEMBERS", 1000))


def max_zip_uncompressed_bytes() -> int:
    return int(getattr(settings, "SEEDBED_MAX_ZIP_UNCOMPRESSED_BYTES", 200 * MB))


@dataclass(frozen=True)
class FileType:
    key: str
    extension: str
    content_type: str
    label: str


PDF = FileType("pdf", "pdf", "application/pdf", "PDF")
PNG = FileType("png", "png", "image/png", "PNG")
JPEG = FileType("jpeg", "jpg", "image/jpeg", "JPEG")
GIF = FileType("gif", "gif", "image/gif", "GIF")
WEBP = FileType("webp", "webp", "image/webp", "WebP")
XLSX = FileType("xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (.xlsx)")
DOCX = FileType(
    "docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (.docx)"
)

# The extensions a client may name a file with, and the type its content must then be.
EXTENSIONS = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "gif": GIF,
    "webp": WEBP,
    "xlsx": XLSX,
    "docx": DOCX,
}
ALLOWED_LABEL = "PDF, PNG, JPEG, GIF, WebP, XLSX, DOCX"


class FileTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"
    default_detail = t("文件过大。", "The file is too large.")


def too_large() -> FileTooLarge:
    limit = max_upload_bytes() / MB
    return FileTooLarge(
        t(f"文件超过 {limit:g} MB 的上限，未保存。", f"The file exceeds the {limit:g} MB limit and was not stored.")
    )


class UnacceptableFile(ValueError):
    """The content is not an accepted type, or does not match the name; the message says why."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def clean_name(name: str) -> str:
    """The client's file name without any directory part or control characters, at most 255 characters."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else base[:255]
    return base or "file"


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def sniff(stream: IO[bytes]) -> FileType:
    """The type of the content, or UnacceptableFile. Leaves the stream at position 0."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _office_type(stream)
    raise UnacceptableFile(
        t(
            f"不支持的文件内容。仅接受 {ALLOWED_LABEL} 文件。",
            f"Unsupported file content. Only {ALLOWED_LABEL} files are accepted.",
        )
    )


def _office_type(stream: IO[bytes]) -> FileType:
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if len(members) > max_zip_members():
                raise UnacceptableFile(
                    t(
                        f"压缩包内文件过多（{len(members)} 个，上限 {max_zip_members()}），疑似压缩炸弹，已拒绝。",
                        f"The archive holds too many members ({len(members)}, limit {max_zip_members()}); "
                        "refused as a possible zip bomb.",
                    )
                )
            expanded = sum(member.file_size for member in members)
            if expanded > max_zip_uncompressed_bytes():
                limit = max_zip_uncompressed_bytes() / MB
                raise UnacceptableFile(
                    t(
                        f"压缩包解压后超过 {limit:g} MB，疑似压缩炸弹，已拒绝。",
                        f"The archive would expand beyond {limit:g} MB; refused as a possible zip bomb.",
                    )
                )
            names = {member.filename for member in members}
    except zipfile.BadZipFile as exc:
        raise UnacceptableFile(
            t("文件已损坏：不是有效的压缩格式。", "The file is damaged: not a valid archive.")
        ) from exc
    finally:
        stream.seek(0)
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    raise UnacceptableFile(
        t(
            f"压缩包不是 Excel (.xlsx) 或 Word (.docx) 文件。仅接受 {ALLOWED_LABEL} 文件。",
            f"The archive is not an Excel (.xlsx) or Word (.docx) file. Only {ALLOWED_LABEL} files are accepted.",
        )
    )


def check(stream: IO[bytes], name: str) -> FileType:
    """The detected type, which must be accepted and agree with the name's extension."""
    ext = extension_of(name)
    claimed = EXTENSIONS.get(ext)
    if claimed is None:
        raise UnacceptableFile(
            t(
                f"文件扩展名“.{ext}”不受支持。仅接受 {ALLOWED_LABEL} 文件。"
                if ext
                else f"文件名缺少扩展名。仅接受 {ALLOWED_LABEL} 文件。",
                f"The extension '.{ext}' is not accepted. Only {ALLOWED_LABEL} files are accepted."
                if ext
                else f"The file name has no extension. Only {ALLOWED_LABEL} files are accepted.",
            )
        )
    actual = sniff(stream)
    if actual != claimed:
        raise UnacceptableFile(
            t(
                f"文件名为 .{ext}，但内容是 {actual.label}。请上传真实的 {claimed.label} 文件，或改正文件名。",
                f"The name says .{ext} but the content is {actual.label}. "
                f"Upload a real {claimed.label} file or correct the name.",
            )
        )
    return actual


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()
