"""Private notes: what someone writes for themselves about another account (shown to them
alone, as Mastodon's Relationship.note)."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput
from bocage.store.models import Account, AccountNote
from bocage.store.upsert import insert_ignore

MAX_NOTE = 2000  # Mastodon's limit


def set_note(session: Session, account: Account, target: Account, comment: str) -> None:
    """Keep `comment` as the account's note about `target`; a blank one removes it."""
    if len(comment) > MAX_NOTE:
        raise InvalidInput(f"Comment is too long (maximum is {MAX_NOTE} characters)")
    mine = (AccountNote.account_id == account.id, AccountNote.target_id == target.id)
    if not comment.strip():
        session.execute(delete(AccountNote).where(*mine))
        return
    values = {"comment": comment, "updated_at": now()}
    # Insert, or else change the note there: two requests at once cannot both insert it.
    row = {"account_id": account.id, "target_id": target.id, **values}
    if not insert_ignore(session, AccountNote, row):
        session.execute(update(AccountNote).where(*mine).values(**values))
