"""The browser's way in when a token is required: `GET /login` (a small page, no outside assets),
`POST /login` (sets the session cookie) and `POST /logout` (clears it).

The form posts back to the same origin, so the Origin check of `transport.gate` covers it like
every other route; the cookie is HttpOnly and SameSite=Strict, and Secure on https.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs, quote

from quart import Response, request
from quart_trio import QuartTrio

from transport.auth import LOGIN_SESSION_S, SESSION_COOKIE, Authenticator, TooManyAttempts
from transport.request_body import BodyTooLarge, BodyTooSlow, read_body

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
MAX_FORM_BYTES = 4096
FORM_TIMEOUT_S = 10.0  # a login form is a few bytes; one that trickles in is refused
FORM_TYPE = "application/x-www-form-urlencoded"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dramaturg · sign in</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f1ea; color: #222; display: grid;
       place-items: center; min-height: 100vh; margin: 0; }}
form {{ background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 2px 12px #0002;
       width: min(22rem, 90vw); }}
h1 {{ font-size: 1.3rem; margin-top: 0; }}
input[type=password] {{ width: 100%; box-sizing: border-box; padding: .6rem; margin: .5rem 0 1rem;
       font-size: 1rem; }}
button {{ padding: .6rem 1.2rem; font-size: 1rem; }}
.note {{ color: #a33; }}
</style></head>
<body><form method="post" action="/login">
<h1>This Dramaturg server is private</h1>
<p>Enter the access token its operator gave you (the one printed when the server started, or
the value of <code>--auth-token</code>).</p>
{note}
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form></body></html>
"""


def login_page(
    note: str = "", next_path: str = "/", status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    shown = f'<p class="note">{html.escape(note)}</p>' if note else ""
    body = _PAGE.format(note=shown, next=html.escape(next_path, quote=True))
    response = Response(body, status=status, content_type="text/html; charset=utf-8", headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server only (never `//other.site`)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_redirect() -> Response:
    """303 to the login page, coming back to the current path afterwards."""
    target = f"{LOGIN_PATH}?next={quote(request.full_path.rstrip('?'), safe='')}"
    return Response("", status=303, headers={"Location": target, "Cache-Control": "no-store"})


def _cookie(value: str, max_age_s: int) -> str:
    secure = "; Secure" if request.scheme == "https" else ""
    return f"{SESSION_COOKIE}={value}; Max-Age={max_age_s}; Path=/; HttpOnly; SameSite=Strict{secure}"


async def _read_form() -> dict[str, str] | None:
    if request.mimetype != FORM_TYPE:
        return None
    try:
        body = await read_body(MAX_FORM_BYTES, FORM_TIMEOUT_S)
    except (BodyTooLarge, BodyTooSlow):
        return None
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=8)
    return {name: values[0] for name, values in fields.items()}


def mount_login(app: QuartTrio, authenticator: Authenticator) -> None:
    @app.get(LOGIN_PATH)
    async def show_login() -> Response:
        return login_page(next_path=safe_next(request.args.get("next")))

    @app.post(LOGIN_PATH)
    async def sign_in() -> Response:
        form = await _read_form()
        if form is None:
            return login_page("Send the form from this page.", status=400, headers={"Connection": "close"})
        next_path = safe_next(form.get("next"))
        client = request.remote_addr or "-"
        try:
            right = authenticator.check_token(client, form.get("token", ""), LOGIN_PATH)
        except TooManyAttempts as exc:
            note = f"Too many wrong tokens from your address. Try again in {exc.retry_after_s} seconds."
            return login_page(note, next_path, 429, {"Retry-After": str(exc.retry_after_s)})
        if not right:
            return login_page("That token is not right.", next_path, 401)
        cookie = _cookie(authenticator.open_session(), LOGIN_SESSION_S)
        return Response("", status=303, headers={"Location": next_path, "Set-Cookie": cookie})

    @app.post(LOGOUT_PATH)
    async def sign_out() -> Response:
        authenticator.close_session(request.cookies.get(SESSION_COOKIE))
        return Response("", status=303, headers={"Location": LOGIN_PATH, "Set-Cookie": _cookie("", 0)})
