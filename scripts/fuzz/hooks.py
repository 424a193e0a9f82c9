"""Schemathesis hooks for fuzzing Portcullis (run by scripts/fuzz.sh).

Which credential each surface takes, and what the fuzzer must not do to the account it tests
with: a request that ends its session is fine (the token is fetched again), but one that
changes its password, bans or deletes it, or takes away its role would leave the rest of the
run answering 401 and 403, testing nothing.
"""

import os

import requests
import schemathesis

BASE = os.environ["FUZZ_BASE_URL"]
SURFACE = os.environ["FUZZ_SURFACE"]
USERNAME = os.environ["FUZZ_USERNAME"]
PASSWORD = os.environ["FUZZ_PASSWORD"]
USER_ID = os.environ["FUZZ_USER_ID"]
API_KEY = os.environ["FUZZ_API_KEY"]


# The tester signs in from an address of its own (the server trusts loopback as a proxy), so
# the throttles the fuzzer's generated logins earn for 127.0.0.1 never lock the tester out.
TESTER_ADDRESS = "192.0.2.1"
last_token = {}


def sign_in(path, body, field):
    """A fresh token, or the last one when signing in fails (a 401 then stays a 401)."""
    try:
        answer = requests.post(
            BASE + path, json=body, headers={"X-Forwarded-For": TESTER_ADDRESS}, timeout=10
        )
        answer.raise_for_status()
        token = answer.json()[field]
        last_token[path] = token.removeprefix("Bearer ")
    except (requests.RequestException, KeyError, ValueError) as failure:
        print(f"signing in at {path} failed: {failure}")
    return last_token.get(path, "none")


@schemathesis.auth(refresh_interval=600)
class Credentials:
    """The bearer each surface takes; fetched again when an answer says 401."""

    def get(self, case, context):
        if SURFACE in ("mgmt", "oauth2", "ops"):
            # Document 003 takes an API key; the provider's introspection takes one too.
            return API_KEY
        if SURFACE == "vms":
            body = {"login": USERNAME, "password": PASSWORD}
            return sign_in("/api/v1/token", body, "access_token")
        return sign_in("/api/login", {"username": USERNAME, "password": PASSWORD}, "token")

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# Operations on a user by id, where the id must not be the tester's: a ban, a new role or a
# deletion would lock it out. (Its own email, username and password, which
# `PATCH /api/me/details/auth` changes, are kept by leaving that operation out: see fuzz.sh.)
ON_A_USER = "/api/users/{id}"


@schemathesis.hook
def filter_case(context, case):
    if case.operation.method.upper() != "GET" and case.operation.path.startswith(ON_A_USER):
        return str((case.path_parameters or {}).get("id")) != USER_ID
    return True
