"""The services of one node, made once by the node (the composition root) and handed to the
faces: `request.app.state.services`."""

from __future__ import annotations

from dataclasses import dataclass

from bocage.kernel.context import Context
from bocage.services.accounts import AccountService
from bocage.services.admin import AdminService
from bocage.services.auth import AuthService
from bocage.services.cards import CardService
from bocage.services.collections import CollectionService
from bocage.services.conversations import ConversationService
from bocage.services.filters import FilterService
from bocage.services.graph import GraphService
from bocage.services.inbox import InboxService
from bocage.services.instance import InstanceService
from bocage.services.lists import ListService
from bocage.services.media import MediaService
from bocage.services.moderation import ModerationService
from bocage.services.notifications import NotificationService
from bocage.services.ports import (
    DomainRulesCache,
    Downloads,
    HtmlReader,
    ImageProcessor,
    Logins,
    Lookups,
    MediaStore,
    Pages,
    PushCrypto,
    PushSender,
    SignatureChecks,
    SignUps,
)
from bocage.services.posts import PostService
from bocage.services.publishing import PublishingService
from bocage.services.push import PushService
from bocage.services.quotes import QuoteService
from bocage.services.remote_media import RemoteMediaService
from bocage.services.replication import ReplicationService
from bocage.services.search import SearchService
from bocage.services.streaming import StreamService
from bocage.services.tags import TagService
from bocage.services.timelines import TimelineService
from bocage.store.db import Database


@dataclass(frozen=True)
class Services:
    ctx: Context  # the node's settings and URLs, which faces render with
    accounts: AccountService
    admin: AdminService
    auth: AuthService
    cards: CardService
    collections: CollectionService
    conversations: ConversationService
    filters: FilterService
    graph: GraphService
    inbox: InboxService
    instance: InstanceService
    lists: ListService
    media: MediaService
    remote_media: RemoteMediaService
    moderation: ModerationService
    notifications: NotificationService
    posts: PostService
    publishing: PublishingService
    push: PushService
    quotes: QuoteService
    replication: ReplicationService
    search: SearchService
    streaming: StreamService
    tags: TagService
    timelines: TimelineService

    @classmethod
    def build(
        cls,
        db: Database,
        ctx: Context,
        *,
        lookups: Lookups,
        images: ImageProcessor,
        storage: MediaStore,
        downloads: Downloads,
        logins: Logins,
        sign_ups: SignUps,
        rules_cache: DomainRulesCache,
        checks: SignatureChecks,
        push_crypto: PushCrypto,
        push_sender: PushSender,
        pages: Pages,
        html: HtmlReader,
    ) -> Services:
        media = MediaService(db, ctx, images, storage)
        replication = ReplicationService(db, ctx, storage)
        return cls(
            ctx=ctx,
            accounts=AccountService(
                db, ctx, lookups=lookups, media=media, logins=logins, sign_ups=sign_ups
            ),
            admin=AdminService(db, ctx, rules_cache),
            auth=AuthService(db, ctx, logins),
            cards=CardService(
                db,
                ctx,
                pages=pages,
                html=html,
                images=images,
                storage=storage,
                downloads=downloads,
                lookups=lookups,
            ),
            collections=CollectionService(db, ctx),
            conversations=ConversationService(db, ctx),
            filters=FilterService(db, ctx),
            graph=GraphService(db, ctx, lookups),
            inbox=InboxService(db, ctx, checks),
            instance=InstanceService(db, ctx),
            lists=ListService(db, ctx),
            media=media,
            remote_media=RemoteMediaService(db, ctx, images, storage, downloads),
            moderation=ModerationService(db, ctx, rules_cache, peers=replication),
            notifications=NotificationService(db, ctx),
            posts=PostService(db, ctx, lookups),
            publishing=PublishingService(db, ctx, checks),
            push=PushService(db, ctx, push_crypto, push_sender),
            quotes=QuoteService(db, ctx),
            replication=replication,
            search=SearchService(db, ctx, lookups),
            streaming=StreamService(db, ctx),
            tags=TagService(db, ctx),
            timelines=TimelineService(db, ctx),
        )
