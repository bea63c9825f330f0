#!/usr/bin/env python3
"""A tiny login page for trying Tessera's sign-in flow in a browser.

Tessera has no user accounts: when a client sends a browser to
$ISSUER/oauth/authorize, Tessera redirects it to the client's login_uri with a
login_challenge. This script is such a login page. It asks for a user name (no
password: it is a demo), then tells Tessera who signed in through the admin API
and sends the browser back to Tessera, which answers the client.

    GET  /?login_challenge=...  reads the login request and shows the form
    POST /accept                accepts it for the user name typed in
    POST /reject                rejects it (access_denied)
    GET  /callback              a stand-in for the client's redirect URI, which
                                shows what the client received (code, state, iss)

Standard library only. Run it next to a local Tessera:

    python3 examples/login-page/login.py --tessera http://127.0.0.1:8080 \\
        --admin-token "$PAT" --auth-server "$AUTH_SERVER_ID" --port 9000

See README.md next to this file for the whole walk-through. The admin token
stays in this process: the browser never sees it. A real login page would
authenticate users properly and run over HTTPS.
"""

import argparse
import html
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CSRF_COOKIE = "login_csrf"
MAX_FORM_BYTES = 16 * 1024


class TesseraError(Exception):
    """An error answer from Tessera's admin API (a problem body)."""

    def __init__(self, status, detail):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class Tessera:
    """The three login-request calls of the admin API."""

    def __init__(self, base_url, admin_token, auth_server_id):
        self.base = base_url.rstrip("/")
        self.token = admin_token
        self.auth_server_id = auth_server_id

    def _url(self, challenge, action=""):
        quoted = urllib.parse.quote(challenge, safe="")
        return f"{self.base}/v1/auth-servers/{self.auth_server_id}/login-requests/{quoted}{action}"

    def _call(self, method, url, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            try:
                problem = json.load(error)
                detail = problem.get("detail", error.reason)
            except ValueError:
                detail = error.reason
            raise TesseraError(error.code, detail) from None
        except urllib.error.URLError as error:
            raise TesseraError(502, f"cannot reach Tessera at {self.base}: {error.reason}") from None

    def login_request(self, challenge):
        return self._call("GET", self._url(challenge))

    def accept(self, challenge, subject, claims):
        return self._call("POST", self._url(challenge, "/accept"), {"subject": subject, "claims": claims})

    def reject(self, challenge):
        body = {"error": "access_denied", "error_description": "The user denied the sign-in"}
        return self._call("POST", self._url(challenge, "/reject"), body)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }}
  input[type=text], input[type=email] {{ width: 100%; padding: .5rem; margin: .25rem 0 1rem; box-sizing: border-box; }}
  button {{ padding: .5rem 1.25rem; margin-right: .5rem; }}
  code, pre {{ background: #f3f3f3; padding: .1rem .3rem; overflow-wrap: anywhere; white-space: pre-wrap; }}
  dt {{ font-weight: bold; }} .error {{ color: #a00; }}
</style></head>
<body>{body}</body></html>"""


def page(title, body):
    return PAGE.format(title=html.escape(title), body=body).encode()


class Handler(BaseHTTPRequestHandler):
    tessera = None  # set in main()

    # --- helpers --------------------------------------------------------------------------

    def send_page(self, status, title, body, headers=()):
        content = page(title, body)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        # Login pages must not be framed (clickjacking) or cached.
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy", "frame-ancestors 'none'")
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)

    def send_error_page(self, status, message):
        body = f"<h1>Sign-in problem</h1><p class=error>{html.escape(message)}</p>"
        self.send_page(status, "Sign-in problem", body)

    def redirect(self, location):
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def read_form(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_FORM_BYTES:
            raise ValueError("form too large")
        raw = self.rfile.read(length).decode("utf-8", "replace")
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}

    def csrf_cookie(self):
        jar = cookies.SimpleCookie(self.headers.get("Cookie", ""))
        morsel = jar.get(CSRF_COOKIE)
        return morsel.value if morsel else None

    # --- routes ---------------------------------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if url.path == "/":
            self.show_form(query.get("login_challenge"))
        elif url.path == "/callback":
            self.show_callback(query)
        else:
            self.send_error_page(404, "Nothing here. Tessera sends the browser to / with a login_challenge.")

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path not in ("/accept", "/reject"):
            self.send_error_page(404, "Nothing here.")
            return
        try:
            form = self.read_form()
        except ValueError as error:
            self.send_error_page(400, str(error))
            return
        challenge = form.get("login_challenge", "")
        # Login CSRF: only a form this browser got from us may answer the challenge.
        expected = self.csrf_cookie()
        if not challenge or not expected or not secrets.compare_digest(expected, form.get("csrf", "")):
            self.send_error_page(400, "The form has expired or did not come from this page; start again from the app.")
            return
        try:
            if path == "/accept":
                subject = form.get("username", "").strip()
                if not subject:
                    self.send_error_page(400, "Type a user name.")
                    return
                claims = {"preferred_username": subject}
                email = form.get("email", "").strip()
                if email:
                    claims["email"] = email
                answer = self.tessera.accept(challenge, subject, claims)
            else:
                answer = self.tessera.reject(challenge)
        except TesseraError as error:
            self.send_error_page(400 if error.status < 500 else 502, f"Tessera answered {error}")
            return
        # Back to Tessera's authorization endpoint, which answers the client.
        self.redirect(answer["redirect_to"])

    def show_form(self, challenge):
        if not challenge:
            body = (
                "<h1>Example login page</h1><p>This page is Tessera's <code>login_uri</code> for your "
                "client. Open your client's authorization URL; Tessera sends the browser here with a "
                "<code>login_challenge</code>.</p>"
            )
            self.send_page(200, "Example login page", body)
            return
        try:
            request = self.tessera.login_request(challenge)
        except TesseraError as error:
            status = 400 if error.status < 500 else 502
            self.send_error_page(status, f"Cannot read the login request: Tessera answered {error}")
            return
        csrf = secrets.token_urlsafe(24)
        cookie = f"{CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Lax"
        e = html.escape
        scopes = " ".join(request.get("scope", [])) or "(none)"
        body = f"""
<h1>Sign in to {e(request["client_name"])}</h1>
<dl>
  <dt>Client</dt><dd>{e(request["client_name"])} (<code>{e(request["client_id"])}</code>)</dd>
  <dt>Asks for</dt><dd><code>{e(request["response_type"])}</code> with scopes <code>{e(scopes)}</code></dd>
  <dt>Will answer at</dt><dd><code>{e(request["redirect_uri"])}</code></dd>
  <dt>Expires</dt><dd>{e(request["expires_at"])}</dd>
</dl>
<form method="post" action="/accept">
  <input type="hidden" name="login_challenge" value="{e(challenge)}">
  <input type="hidden" name="csrf" value="{e(csrf)}">
  <label>User name (becomes <code>sub</code>; no password, this is a demo)
    <input type="text" name="username" autofocus autocomplete="username" maxlength="255"></label>
  <label>Email (optional, goes into the ID token and userinfo)
    <input type="email" name="email" autocomplete="email"></label>
  <button type="submit">Accept</button>
  <button type="submit" formaction="/reject" formnovalidate>Deny</button>
</form>"""
        self.send_page(200, "Sign in", body, headers=[("Set-Cookie", cookie)])

    def show_callback(self, query):
        e = html.escape
        rows = "".join(f"<dt>{e(k)}</dt><dd><code>{e(v)}</code></dd>" for k, v in query.items())
        hint = ""
        if "code" in query:
            hint = (
                "<p>The code is valid for 60 seconds and once. Redeem it with your "
                "<code>code_verifier</code> (see the README):</p><pre>export CODE="
                f"{e(query['code'])}</pre>"
            )
        body = f"""
<h1>The client's redirect URI</h1>
<p>This stands in for your application: Tessera sent the browser here with these parameters.</p>
<dl id="params">{rows or "<dd>(no query parameters)</dd>"}</dl>{hint}
<script>
  // Implicit and hybrid answers come in the fragment, which never reaches a server.
  if (location.hash.length > 1) {{
    const list = document.getElementById("params");
    for (const [k, v] of new URLSearchParams(location.hash.slice(1))) {{
      const dt = document.createElement("dt"); dt.textContent = k + " (fragment)";
      const dd = document.createElement("dd"); const c = document.createElement("code");
      c.textContent = v; dd.appendChild(c); list.append(dt, dd);
    }}
  }}
</script>"""
        self.send_page(200, "Callback", body)

    def log_message(self, fmt, *args):
        # Log paths without their query: challenges and codes are credentials.
        line = re.sub(r"\?[^ \"]*", "?...", fmt % args)
        sys.stderr.write(f"{self.address_string()} {line}\n")


def main():
    parser = argparse.ArgumentParser(description="Example login page for Tessera's sign-in flow.")
    parser.add_argument("--tessera", default="http://127.0.0.1:8080", help="Tessera's base URL")
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("TESSERA_ADMIN_TOKEN"),
        help="the admin token for /v1 (default: $TESSERA_ADMIN_TOKEN)",
    )
    parser.add_argument("--auth-server", required=True, help="the auth server id (a UUID)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="port to listen on (default 9000)")
    args = parser.parse_args()
    if not args.admin_token:
        parser.error("give --admin-token or set TESSERA_ADMIN_TOKEN")

    Handler.tessera = Tessera(args.tessera, args.admin_token, args.auth_server)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"Login page on http://{args.host}:{args.port}/ (use it as the client's login_uri)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
