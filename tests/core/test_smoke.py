from bocage.core import posts, timelines
from bocage.node import Node
from tests.conftest import make_user


async def test_a_post_reaches_its_authors_profile(node: Node) -> None:
    alice = await make_user(node, "alice")
    async with node.db.write() as session:
        post = await posts.publish(session, node.ctx, alice, posts.PostDraft("hello"))
    async with node.db.read() as session:
        views = await timelines.profile(session, None, alice, timelines.Page())
    assert [view.post.id for view in views] == [post.id]
