"""Tables, one module per domain (as the core is grouped). Normalized columns for queries;
the exact signed JSON lives in `log_entries`. IDs of posts, accounts and notifications are
time-sortable (see kernel/ids.py).

Every model is imported here, so `from bocage.store.models import Post` works from anywhere
and `Base.metadata` holds every table (Alembic's env and backups read it).
"""

from bocage.store.models.accounts import (
    Account,
    AccountDomainBlock,
    AccountNote,
    Endorsement,
    FeaturedTag,
    SuggestionDismissal,
    User,
)
from bocage.store.models.auth import OAuthApp, OAuthCode, OAuthToken, WebSession
from bocage.store.models.base import Base, UTCDateTime
from bocage.store.models.cards import PostCard, PreviewCard
from bocage.store.models.collections import Collection, CollectionItem, FeatureGrant
from bocage.store.models.federation import InboundActivity, RemoteActor, RemoteHost
from bocage.store.models.filters import Filter, FilterKeyword, FilterStatus
from bocage.store.models.graph import (
    Block,
    Follow,
    FollowOption,
    ListMember,
    Mute,
    TagFollow,
    UserList,
)
from bocage.store.models.instance import (
    Announcement,
    AnnouncementDismissal,
    AnnouncementReaction,
    DomainAllow,
    DomainBlock,
    InstanceSetting,
    Invite,
)
from bocage.store.models.jobs import Job
from bocage.store.models.logs import LogEntry, LogFork, Tombstone
from bocage.store.models.media import MediaFile
from bocage.store.models.messaging import AccountConversation, ConversationPost, ThreadMute
from bocage.store.models.moderation import (
    AccountModeration,
    AdminAction,
    CanonicalEmailBlock,
    EmailDomainBlock,
    IpBlock,
    Report,
    ReportHandling,
    TrendReview,
)
from bocage.store.models.notifications import (
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)
from bocage.store.models.polls import Poll, PollVote
from bocage.store.models.posts import (
    Bookmark,
    Favourite,
    IdempotencyKey,
    Mention,
    Post,
    PostEdit,
    PostTag,
    ScheduledMedia,
    ScheduledStatus,
)
from bocage.store.models.push import WebPushSubscription
from bocage.store.models.quotes import Quote
from bocage.store.models.replication import GatewayConsent, HeldObject, Peer, PeerCandidate
from bocage.store.models.timelines import FeedEntry, ListFeedEntry, Marker

__all__ = [
    "Account",
    "AccountConversation",
    "AccountDomainBlock",
    "AccountModeration",
    "AccountNote",
    "AdminAction",
    "Announcement",
    "AnnouncementDismissal",
    "AnnouncementReaction",
    "Base",
    "Block",
    "Bookmark",
    "CanonicalEmailBlock",
    "Collection",
    "CollectionItem",
    "ConversationPost",
    "DomainAllow",
    "DomainBlock",
    "EmailDomainBlock",
    "Endorsement",
    "Favourite",
    "FeatureGrant",
    "FeaturedTag",
    "FeedEntry",
    "Filter",
    "FilterKeyword",
    "FilterStatus",
    "Follow",
    "FollowOption",
    "GatewayConsent",
    "HeldObject",
    "IdempotencyKey",
    "InboundActivity",
    "InstanceSetting",
    "Invite",
    "IpBlock",
    "Job",
    "ListFeedEntry",
    "ListMember",
    "LogEntry",
    "LogFork",
    "Marker",
    "MediaFile",
    "Mention",
    "Mute",
    "Notification",
    "NotificationPermission",
    "NotificationPolicy",
    "NotificationRequest",
    "OAuthApp",
    "OAuthCode",
    "OAuthToken",
    "Peer",
    "PeerCandidate",
    "Poll",
    "PollVote",
    "Post",
    "PostCard",
    "PostEdit",
    "PostTag",
    "PreviewCard",
    "Quote",
    "RemoteActor",
    "RemoteHost",
    "Report",
    "ReportHandling",
    "ScheduledMedia",
    "ScheduledStatus",
    "SuggestionDismissal",
    "TagFollow",
    "ThreadMute",
    "Tombstone",
    "TrendReview",
    "UTCDateTime",
    "User",
    "UserList",
    "WebPushSubscription",
    "WebSession",
]
