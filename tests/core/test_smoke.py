from bocage.core.posts import posts
from bocage.core.timelines import timelines
from bocage.node import Node
from tests.conftest import make_user


def test_a_post_reaches_its_authors_profile(node: Node) -> None:
    alice = make_user(node, "alice")
    with node.db.transaction() as session:
        post = posts.publish(session, node.ctx, alice, posts.PostDraft("hello"))
    with node.db.snapshot() as session:
        views = timelines.profile(session, None, alice, timelines.Page())
    assert [view.post.id for view in views] == [post.id]
