"""The admin service in process (services/admin.py, core/moderation/): what the blocks do to
sign-ups (an IP block that asks approval whatever the registration mode), the moderation log
every face writes to (the web pages' actions too), and what silencing and sensitizing an
account do to what others see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bocage.core.accounts.accounts import Registration
from bocage.core.auth import oauth
from bocage.core.instance import instance
from bocage.kernel.errors import Forbidden, InvalidInput
from bocage.node import Node
from bocage.store.models import AdminAction, User
from tests.conftest import make_user
from tests.services.conftest import client, png


def _open_sign_ups(node: Node) -> None:
    with node.db.transaction() as session:
        instance.update_info(
            session, name="Bocage", description="", rules=[], registration_mode="open"
        )


def _actions(node: Node) -> list[tuple[str, str]]:
    with node.db.transaction() as session:
        rows = session.scalars(select(AdminAction).order_by(AdminAction.id)).all()
        return [(row.action, row.target_type) for row in rows]


async def test_an_ip_block_holds_sign_ups_for_approval(app_node: Node) -> None:
    _open_sign_ups(app_node)
    root = make_user(app_node, "root", admin=True)
    services = app_node.services
    await services.admin.create_ip_block(
        root, "203.0.113.0/24", "sign_up_requires_approval", "", None
    )
    held = await services.accounts.register(
        Registration("held", "held@example.org", "long enough password"), "203.0.113.9"
    )
    free = await services.accounts.register(
        Registration("free", "free@example.org", "long enough password"), "198.51.100.1"
    )
    assert (held.user.approved, free.user.approved) == (False, True)
    view = await services.admin.account(held.user.account_id)
    assert view.moderation is not None and view.moderation.sign_up_ip == "203.0.113.9"

    await services.admin.create_ip_block(root, "192.0.2.7", "sign_up_block", "", None)
    with pytest.raises(Forbidden):
        await services.accounts.register(
            Registration("blocked", "blocked@example.org", "long enough password"), "192.0.2.7"
        )
    assert await services.admin.denies("192.0.2.7") is False  # only no_access shuts out
    await services.admin.create_ip_block(root, "192.0.2.8", "no_access", "", None)
    assert await services.admin.denies("192.0.2.8") is True


async def test_email_blocks_refuse_sign_ups(app_node: Node) -> None:
    _open_sign_ups(app_node)
    root = make_user(app_node, "root", admin=True)
    services = app_node.services
    await services.admin.create_email_domain_block(root, "junk.example")
    await services.admin.create_canonical_email_block(root, "Some.One+x@example.net", None)
    for email in ("a@junk.example", "b@sub.junk.example", "someone@example.net"):
        with pytest.raises(InvalidInput):
            await services.accounts.register(
                Registration("refused", email, "long enough password"), "198.51.100.2"
            )
    fine = await services.accounts.register(
        Registration("fine", "some.two@example.net", "long enough password"), "198.51.100.2"
    )
    assert fine.user.approved


async def test_every_face_writes_the_moderation_log(app_node: Node) -> None:
    root = make_user(app_node, "root", admin=True)
    bob = make_user(app_node, "bob")
    services = app_node.services
    await services.moderation.suspend("bob", True, actor=root)  # as the web page does
    await services.moderation.suspend("bob", False, actor=root)
    await services.admin.act_on_account(
        root, bob.id, "silence", report_id=None, text="", warning_preset_id=None
    )
    await services.moderation.block_domain("bad.example", "suspend", actor=root)
    assert _actions(app_node) == [
        ("suspend", "account"),
        ("unsuspend", "account"),
        ("silence", "account"),
        ("create", "domain_block"),
    ]
    log = await services.moderation.action_log()
    assert [row.account_id for row in log] == [root.id] * 4


async def test_silenced_and_sensitized_accounts(app_node: Node) -> None:
    root = make_user(app_node, "root", admin=True)
    bob = make_user(app_node, "bob")
    alice = make_user(app_node, "alice")
    services = app_node.services
    with app_node.db.transaction() as session:
        app = oauth.register_app(session, "t", [], "read write", None)
        tokens = {
            name: oauth.token_for_new_user(
                session, app, session.scalars(select(User).where(User.account_id == who.id)).one()
            )[0]
            for name, who in (("alice", alice), ("bob", bob))
        }
    async with (
        client(app_node, tokens["bob"]) as as_bob,
        client(app_node, tokens["alice"]) as as_alice,
    ):
        before = (await as_bob.post("/api/v1/statuses", data={"status": "Loud"})).json()["id"]
        await services.admin.act_on_account(
            root, bob.id, "silence", report_id=None, text="", warning_preset_id=None
        )
        after = (await as_bob.post("/api/v1/statuses", data={"status": "Quiet"})).json()["id"]
        shown = [s["id"] for s in (await as_alice.get("/api/v1/timelines/public")).json()]
        assert before not in shown and after not in shown
        await services.admin.undo(root, bob.id, "unsilence")
        shown = [s["id"] for s in (await as_alice.get("/api/v1/timelines/public")).json()]
        assert before in shown and after in shown

        await services.admin.act_on_account(
            root, bob.id, "sensitive", report_id=None, text="", warning_preset_id=None
        )
        upload = await as_bob.post(
            "/api/v2/media", files={"file": ("a.png", png((20, 20)), "image/png")}
        )
        media_id = upload.json()["id"]
        posted = await as_bob.post(
            "/api/v1/statuses", data={"status": "A picture", "media_ids[]": media_id}
        )
        assert posted.json()["sensitive"] is True
        plain = await as_alice.post("/api/v1/statuses", data={"status": "Mine"})
        assert plain.json()["sensitive"] is False
