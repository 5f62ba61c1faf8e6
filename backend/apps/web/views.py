"""Serves the single-page front end from the same origin as the API.

The built assets are static files under /static/app/ (settings map frontend/dist there); every other
path that is not the API, the admin, the health check or a static file gets index.html, and the
front end's router takes it from there.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from config.env import REPO_ROOT

NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>企业培育台账 Seedbed</title>
<style>body{font-family:"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:4em auto;
max-width:42em;line-height:1.7;color:#1f2d3d}code{background:#f2f4f7;padding:0 .3em}</style></head>
<body>
<h1>企业培育台账 · 网页端尚未构建</h1>
<p>服务器正在运行，但找不到构建好的前端页面。请在代码目录执行 <code>./seedbed run</code>（会自动构建），
或执行 <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code> 后重新执行
<code>manage.py collectstatic</code>。</p>
<h1 lang="en">Seedbed · the web front end has not been built</h1>
<p lang="en">The server is running, but the built front end was not found. Run <code>./seedbed run</code>
(which builds it), or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code> and then
<code>manage.py collectstatic</code>.</p>
<p>接口 API: <a href="/api/v1/">/api/v1/</a> · 文档 docs: <a href="/api/docs/">/api/docs/</a> ·
管理后台 admin: <a href="/admin/">/admin/</a></p>
</body></html>
"""


def index_html_candidates() -> list[Path]:
    """Where index.html may be: the fresh build in the work tree, or what collectstatic copied."""
    return [REPO_ROOT / "frontend" / "dist" / "index.html", Path(settings.STATIC_ROOT) / "app" / "index.html"]


@require_safe
def spa(request: HttpRequest) -> HttpResponse:
    for candidate in index_html_candidates():
        if candidate.is_file():
            response = HttpResponse(candidate.read_bytes(), content_type="text/html; charset=utf-8")
            break
    else:
        response = HttpResponse(NOT_BUILT, content_type="text/html; charset=utf-8", status=503)
    # index.html names the current asset files: a browser must never keep an old copy.
    add_never_cache_headers(response)
    return response
