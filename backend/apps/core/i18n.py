"""Bilingual messages kept side by side in the code: Chinese first, English second.

`t("中文", "English")` is lazy, so it resolves to the language that LocaleMiddleware picked from
Accept-Language when the response is rendered. Django's and DRF's own messages come from their
shipped zh_Hans catalogues.
"""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import get_language


def _pick(zh: str, en: str) -> str:
    language = (get_language() or "zh-hans").lower()
    return en if language.startswith("en") else zh


t = lazy(_pick, str)
