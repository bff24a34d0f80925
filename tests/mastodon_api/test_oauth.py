"""OAuth as third-party apps (Elk, Phanpy, Tusky) use it: the authorization code flow with
PKCE through the node's own login and consent pages, then token use and revocation."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.federation.helpers import PASSWORD, Person
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]
CALLBACK = "https://app.example/callback"


def challenge_of(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


async def approve(alice: Person, app: dict[str, str], verifier: str) -> str:
    query = {
        "client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "code",
        "scope": "read write", "state": "s1", "code_challenge": challenge_of(verifier),
        "code_challenge_method": "S256",
    }  # fmt: skip
    consent = await alice.client.get("/oauth/authorize", params=query)
    assert consent.status_code == 200 and "Authorize Bocage web tests" in consent.text
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', consent.text))
    answer = await alice.submit("/oauth/authorize", {**fields, "decision": "approve"})
    assert answer.status_code == 303
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    returned = parse_qs(back.query)
    assert returned["state"] == ["s1"]
    return returned["code"][0]


async def test_authorization_code_with_pkce_then_revocation(api_node: NodeProcess) -> None:
    api = httpx.AsyncClient(base_url=api_node.url)
    app = (
        await api.post(
            "/api/v1/apps",
            json={
                "client_name": "Bocage web tests",
                "redirect_uris": [CALLBACK],
                "scopes": "read write",
            },
        )
    ).json()
    assert app["redirect_uris"] == [CALLBACK] and app["scopes"] == ["read", "write"]

    anonymous = await api.get("/oauth/authorize", params={"client_id": app["client_id"]})
    assert anonymous.status_code == 303 and "/login?next=" in anonymous.headers["location"]

    alice = await Person(api_node, "alice").login()
    secret = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    exchange = {**secret, "grant_type": "authorization_code", "redirect_uri": CALLBACK}

    code = await approve(alice, app, "a-verifier-of-enough-length-1234567890abcdef")
    wrong = await api.post("/oauth/token", data={**exchange, "code": code, "code_verifier": "x"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"

    verifier = "another-verifier-of-enough-length-1234567890"
    code = await approve(alice, app, verifier)
    issued = await api.post(
        "/oauth/token", data={**exchange, "code": code, "code_verifier": verifier}
    )
    assert issued.status_code == 200, issued.text
    token = issued.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "read write"
    again = await api.post(
        "/oauth/token", data={**exchange, "code": code, "code_verifier": verifier}
    )
    assert again.status_code == 400  # a code is single use

    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    me = await api.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert me.status_code == 200 and me.json()["username"] == "alice"
    revoked = await api.post("/oauth/revoke", data={**secret, "token": token["access_token"]})
    assert revoked.status_code == 200
    gone = await api.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert gone.status_code == 401 and gone.json() == {"error": "The access token is invalid"}
    await alice.close()
    await api.aclose()


def password_token(node: NodeProcess, who: str) -> httpx.Response:
    app = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "Revocable", "scopes": "read"})
    return httpx.post(
        f"{node.url}/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": f"{who}@example.org",
            "password": PASSWORD, "scope": "read",
        },
    )  # fmt: skip


async def test_a_person_revokes_an_app_from_the_web_settings(api_node: NodeProcess) -> None:
    token = password_token(api_node, "bob").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    me = "/api/v1/accounts/verify_credentials"
    bob = await Person(api_node, "bob").login()
    assert (await bob.client.get(me, headers=bearer)).status_code == 200
    listing = await bob.get("/settings/apps")
    token_id = re.search(r"/settings/apps/(\d+)/revoke", listing.text)
    assert "Revocable" in listing.text and token_id
    await bob.post(f"/settings/apps/{token_id.group(1)}/revoke")
    assert (await bob.client.get(me, headers=bearer)).status_code == 401
    await bob.close()


async def test_the_admin_can_switch_the_password_grant_off(api_node: NodeProcess) -> None:
    root = await Person(api_node, "root").login()
    await root.post("/admin/instance/password-grant", {})  # the box unticked
    refused = password_token(api_node, "alice")
    assert refused.status_code == 400 and refused.json()["error"] == "unsupported_grant_type"
    await root.post("/admin/instance/password-grant", {"enabled": "on"})
    assert password_token(api_node, "alice").status_code == 200
    await root.close()


async def test_an_app_signs_someone_up_and_the_admin_approves(api_node: NodeProcess) -> None:
    api = httpx.AsyncClient(base_url=api_node.url)
    app = await api.post("/api/v1/apps", data={"client_name": "Signup", "scopes": "read write"})
    secret = {"client_id": app.json()["client_id"], "client_secret": app.json()["client_secret"]}
    as_app = await api.post("/oauth/token", data={**secret, "grant_type": "client_credentials",
                                                  "scope": "write"})  # fmt: skip
    bearer = {"Authorization": f"Bearer {as_app.json()['access_token']}"}
    form = {"username": "newcomer", "email": "new@example.org", "password": "long enough pw",
            "agreement": "true"}  # fmt: skip
    no_reason = await api.post("/api/v1/accounts", data=form, headers=bearer)
    assert no_reason.status_code == 422 and "why you want to join" in no_reason.json()["error"]
    signed_up = await api.post(
        "/api/v1/accounts", data={**form, "reason": "I garden"}, headers=bearer
    )
    assert signed_up.status_code == 200, signed_up.text
    theirs = {"Authorization": f"Bearer {signed_up.json()['access_token']}"}
    waiting = await api.get("/api/v1/accounts/verify_credentials", headers=theirs)
    assert waiting.status_code == 401  # the node asks an admin first (approval mode)

    root = await Person(api_node, "root").login()
    await root.post("/admin/signups/newcomer/approve")
    approved = await api.get("/api/v1/accounts/verify_credentials", headers=theirs)
    assert approved.status_code == 200 and approved.json()["username"] == "newcomer"
    await root.close()
    await api.aclose()


async def test_secrets_sent_with_any_characters_are_only_wrong(api_node: NodeProcess) -> None:
    """A client secret, a PKCE verifier or a form's CSRF token holding non-ASCII text is a
    wrong one (401, 400, 403), not a 500: constant-time comparison refused such text."""
    api = httpx.AsyncClient(base_url=api_node.url)
    app = (await api.post("/api/v1/apps", json={
        "client_name": "Bocage web tests", "redirect_uris": [CALLBACK], "scopes": "read write",
    })).json()  # fmt: skip
    wrong = await api.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": "sécret", "scope": "read"})  # fmt: skip
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    alice = await Person(api_node, "alice").login()
    code = await approve(alice, app, "a-verifier-of-enough-length-1234567890abcdef")
    exchange = {"client_id": app["client_id"], "client_secret": app["client_secret"],
                "grant_type": "authorization_code", "redirect_uri": CALLBACK, "code": code,
                "code_verifier": "vérifier-of-enough-length-1234567890abcdefghi"}  # fmt: skip
    refused = await api.post("/oauth/token", data=exchange)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    form = await alice.client.post("/settings/profile", data={"csrf": "jeton-forgé"})
    assert form.status_code == 403 and "did not come from this site" in form.text
