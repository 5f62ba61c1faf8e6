"""The unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

import unicodedata

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from apps.core.i18n import t

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class UsccError(ValueError):
    pass


def normalise(raw: str) -> str:
    """Full-width characters become half-width, spaces and dashes go, letters are upper case."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-_").upper()


def validate(raw: str) -> str:
    """Returns the normalised code or raises UsccError with a bilingual message."""
    code = normalise(raw)
    try:
        return str(stdnum_uscc.validate(code))
    except InvalidLength as exc:
        raise UsccError(
            t(
                f"统一社会信用代码应为 18 位，实际为 {len(code)} 位。",
                f"A USCC has 18 characters; this one has {len(code)}.",
            )
        ) from exc
    except InvalidChecksum as exc:
        expected = stdnum_uscc.calc_check_digit(code[:17])
        raise UsccError(
            t(
                f"统一社会信用代码校验位错误：第 18 位应为 {expected}，实际为 {code[17]}。",
                f"Wrong USCC check character: the 18th character should be {expected}, not {code[17]}.",
            )
        ) from exc
    except (InvalidFormat, InvalidComponent, ValidationError) as exc:
        if not code[:8].isdigit():
            raise UsccError(
                t(
                    "统一社会信用代码前 8 位（登记管理部门、机构类别和行政区划码）应为数字。",
                    "The first 8 characters of a USCC (registering authority, entity type, region code) are digits.",
                )
            ) from exc
        raise UsccError(
            t(
                "统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）。",
                "The USCC contains characters that are not allowed (I, O, Z, S and V are never used).",
            )
        ) from exc


def organisation_code_warning(code: str) -> str | None:
    """Positions 9–17 embed an organisation code (GB 11714) with its own check digit.

    Whether every issuer keeps that inner check is unconfirmed, so a mismatch is a warning only.
    """
    body, check = code[8:16], code[16]
    try:
        total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    except ValueError:
        return None
    value = 11 - total % 11
    expected = "X" if value == 10 else "0" if value == 11 else str(value)
    if expected != check:
        return str(
            t(
                f"组织机构代码校验位（第 17 位）应为 {expected}，请核对。",
                f"The organisation-code check digit (17th character) should be {expected}; please check.",
            )
        )
    return None


def make(prefix17_without_inner_check: str) -> str:
    """Builds a valid code from 16 characters: adds the inner check (17th) and the USCC check (18th)."""
    body = prefix17_without_inner_check
    total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body[8:16], _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    inner = "X" if value == 10 else "0" if value == 11 else str(value)
    first17 = body + inner
    return first17 + str(stdnum_uscc.calc_check_digit(first17))
