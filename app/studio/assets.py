"""Third-party browser files, served by the app from the installed front-end packages
(frontend/package-lock.json, installed by `make install`): htmx for the studio, Swagger UI and
Redoc for /docs and /redoc. No page loads anything from another site."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from app.config import Settings
from app.errors import NotFound

PREFIX = "/studio/vendor"
# Served name → the file in the installed packages: only these, nothing else of node_modules.
VENDOR = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "swagger-favicon.png": "swagger-ui-dist/favicon-32x32.png",
    "redoc.standalone.js": "redoc/bundles/redoc.standalone.js",
}
MEDIA = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
# The docs pages run the packages' inline start-up script; they may reach nothing but the app
# (Redoc's bundle links a logo on a CDN: the browser does not fetch it).
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def install(app: FastAPI, settings: Settings) -> None:
    """`/studio/vendor/{name}`, and `/docs` and `/redoc` built on them."""
    folder = settings.assets_dir

    @app.get(PREFIX + "/{name}", include_in_schema=False)
    def vendor_file(name: str) -> Response:
        relative = VENDOR.get(name)
        path = folder / relative if relative else None
        if path is None or not path.is_file():
            raise NotFound(
                f"no front-end file {name[:80]!r} (are the front-end packages installed? "
                "`make install` installs them)"
            )
        return FileResponse(
            path,
            media_type=MEDIA[path.suffix],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        del request
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/swagger-favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        del request
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            redoc_js_url=f"{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{PREFIX}/swagger-favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page
