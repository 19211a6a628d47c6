"""Claiming, submitting, skipping and undoing: the annotator's side of the store.

How "no item goes to more than k annotators" holds under concurrency, on both engines:

- Every claim takes a slot 0..k-1 of the item, and (item, slot) is unique in the schema, so two
  claims of the same slot can never both commit; (item, user) is unique too, so a user never gets
  an item twice. This is the guarantee; the rest only keeps claims from colliding.
- SQLite: every store transaction is `BEGIN IMMEDIATE` (see `engine.py`), so claims run one at a
  time and each one sees the slots the previous one took.
- PostgreSQL: a claim locks the candidate item's row (`SELECT ... FOR UPDATE`, candidates in the
  queue's order, `queue.py`: one total order, ties by id, the same for every claim, so two claims
  never wait on each other in a cycle) and only then counts its slots, in a new statement that
  sees every claim committed before the lock was granted. First, though, one statement takes the
  first free item that no other transaction holds (`FOR UPDATE SKIP LOCKED`, `LIMIT 1`), so 50
  annotators claiming at once spread over 50 items instead of queueing on the first one; only
  when every free item is held by another claim does a claim wait for one
  (`SKIP LOCKED` alone would answer "nothing to do" while slots are free). Should a slot insert
  still collide, the savepoint is rolled back and the next slot or item is tried.

Submitting locks the item row the same way, so the k-th submission, and only it, closes the item.
Callers commit promptly (`Store.begin()` around one call): the locks last until the commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from tuneloop.annotate.store.errors import NotAllowed, WrongState
from tuneloop.annotate.store.guidelines import current_guidelines
from tuneloop.annotate.store.labels import check_label
from tuneloop.annotate.store.models import MAX_ID, Annotation, Assignment, Item, User, utcnow
from tuneloop.annotate.store.queue import serving_order
from tuneloop.annotate.store.repository import (
    assignment,
    audit,
    current_annotations,
    lock_item,
    open_assignment,
    slots_taken,
    submitted_count,
)
from tuneloop.annotate.store.suggestions import suggestion_for
from tuneloop.annotate.store.users import CAN_ANNOTATE, require_role

_CANDIDATES = 50  # items examined per claim attempt


def claim_next(
    session: Session, user: User, *, route_by_skill: bool = False, queue: str = "sequential"
) -> Item | None:
    """The next item for `user` to annotate, or None when nothing is left for them.

    An unfinished claim comes back first. Otherwise the first open item, in `queue` order
    (`queue.py`: sequential, random or uncertainty), that has a free slot and that the user never
    had. With `route_by_skill`, an item tagged with a domain goes only to users with that skill
    (untagged items go to anyone).
    """
    require_role(user, CAN_ANNOTATE, "annotate")
    pending = open_assignment(session, user)
    if pending is not None:
        return pending.item
    for _ in range(_CANDIDATES):  # the oldest free item that no other claim holds right now
        free = session.scalar(
            _free_items(user, route_by_skill, queue)
            .limit(1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if free is None:
            break
        if _take_slot(session, user, free):
            return free
    while candidates := _candidates(session, user, route_by_skill, queue):
        for item in candidates:  # every free item is being claimed by someone: wait for one
            locked = lock_item(session, item.id)
            if locked is None or locked.closed_at is not None:
                continue
            if _take_slot(session, user, locked):
                return locked
        # Every candidate filled up while we waited for its lock (PostgreSQL: the list came from a
        # snapshot older than those claims). A new query sees them full and offers the next ones;
        # only an empty list means nothing is left for this user.
    return None


def _take_slot(session: Session, user: User, locked: Item) -> bool:
    """Give `user` a free slot of the locked item; False when all k are taken."""
    taken = set(slots_taken(session, locked.id))
    for slot in range(locked.overlap):
        if slot in taken:
            continue
        claim = Assignment(item_id=locked.id, user_id=user.id, slot=slot)
        try:
            with session.begin_nested():
                session.add(claim)
        except IntegrityError:  # a claim committed between our count and insert: next slot
            continue
        audit(session, user, "item.claim", claim, item_id=locked.id, slot=slot)
        return True
    return False


def claim(session: Session, user: User, item: Item) -> Item:
    """Claim one given item for `user` (an import from another tool, where the item and the
    annotator are both known), with the same rules as `claim_next`: a free slot of k, never twice.
    """
    require_role(user, CAN_ANNOTATE, "annotate")
    locked = lock_item(session, item.id)
    if locked is None:
        raise WrongState(f"item {item.id} does not exist")
    if assignment(session, locked, user) is not None:
        raise NotAllowed(f"{user.name} already had item {locked.id}; an item goes to a user once")
    if locked.closed_at is not None:
        raise WrongState(f"item {locked.id} is closed; it took no more answers")
    if _take_slot(session, user, locked):
        return locked
    raise WrongState(f"item {locked.id} has all its {locked.overlap} slots taken")


def _free_items(user: User, route_by_skill: bool, queue: str) -> Select[Item]:
    """Open items with a free slot that `user` never had, in `queue` order."""
    held = select(func.count(Assignment.id)).where(
        Assignment.item_id == Item.id, Assignment.slot.is_not(None)
    )
    mine = select(Assignment.id).where(Assignment.item_id == Item.id, Assignment.user_id == user.id)
    query = select(Item).where(
        Item.closed_at.is_(None), held.scalar_subquery() < Item.overlap, ~mine.exists()
    )
    if route_by_skill:
        query = query.where(Item.domain.is_(None) | Item.domain.in_(user.skills or [""]))
    return query.order_by(*serving_order(queue))


def _candidates(session: Session, user: User, route_by_skill: bool, queue: str) -> list[Item]:
    return list(session.scalars(_free_items(user, route_by_skill, queue).limit(_CANDIDATES)))


def submit(
    session: Session,
    user: User,
    item: Item,
    label: Any,
    *,
    request_id: str | None = None,
    suggestions: bool = False,
    blind_share: float = 0.0,
) -> Annotation:
    """Record the user's answer to an item they claimed; the k-th answer closes the item.

    `request_id` makes the call idempotent: a retry with the same id (the response was lost, the
    server restarted) returns the answer already recorded instead of refusing or adding another.
    `suggestions` says whether the project shows model suggestions and `blind_share` which share
    of items never does; the answer records whether one was on screen for this item
    (`suggestions.suggestion_for`) and the suggestion the item carried, shown or not.
    """
    if request_id is not None:
        done = session.scalar(select(Annotation).where(Annotation.request_id == request_id))
        if done is not None:
            if done.annotator_id != user.id or done.item_id != item.id:
                raise NotAllowed(f"request id {request_id!r} belongs to another submission")
            return done
    claim = _open_claim(session, user, item)
    locked = lock_item(session, item.id)
    assert locked is not None
    if locked.closed_at is not None:
        raise WrongState(f"item {item.id} is closed; it took no more answers")
    value = check_label(locked.label_schema, label, locked.text)
    previous = session.scalar(
        select(Annotation)
        .where(Annotation.item_id == item.id, Annotation.annotator_id == user.id)
        .order_by(Annotation.id.desc())
        .limit(1)
    )
    annotation = Annotation(
        item_id=item.id,
        annotator_id=user.id,
        author_id=user.id,
        label=value,
        guideline_version_id=current_guidelines(session).id,
        supersedes_id=previous.id if previous is not None else None,
        suggestion_shown=suggestion_for(session, locked, suggestions, blind_share) is not None,
        suggestion_label=locked.suggestion_label,
        request_id=request_id,
    )
    session.add(annotation)
    claim.submitted_at = utcnow()
    audit(session, user, "annotation.submit", annotation, item_id=item.id, label=value)
    if submitted_count(session, locked) >= locked.overlap:
        locked.closed_at = utcnow()
        labels = [a.label for a in current_annotations(session, locked)]
        audit(session, None, "item.close", locked, labels=labels)
    return annotation


def skip(session: Session, user: User, item: Item, reason: str) -> Assignment:
    """Give a claimed item back with a reason; its slot goes to someone else, never back to this user."""
    if not reason.strip():
        raise WrongState("a skip needs a reason (unclear text, out of my domain, ...)")
    claim = _open_claim(session, user, item)
    claim.skipped_at, claim.skip_reason, claim.slot = utcnow(), reason.strip(), None
    audit(session, user, "item.skip", claim, item_id=item.id, reason=claim.skip_reason)
    return claim


def undo_last(session: Session, user: User, annotation_id: int | None = None) -> Annotation:
    """Withdraw the user's latest submission while its item is still open.

    The answer is not deleted: a retraction row supersedes it, the claim reopens, and the user's
    next `submit` on the item supersedes the retraction. Once the item is closed the other answers
    may be visible to this user, so a change then goes through review instead.
    With `annotation_id` (what the user saw as their last answer) the undo is idempotent: when that
    answer is already withdrawn its retraction comes back, and when a newer answer exists it is
    refused rather than withdrawing something the user did not mean.
    """
    if annotation_id is not None:
        target = session.get(Annotation, annotation_id) if 1 <= annotation_id <= MAX_ID else None
        if target is None or target.annotator_id != user.id or target.author_id != user.id:
            raise NotAllowed(f"annotation {annotation_id} is not one of {user.name}'s answers")
        retraction = session.scalar(select(Annotation).where(Annotation.supersedes_id == target.id))
        if retraction is not None and retraction.retracted:
            return retraction
    last = _last_submission(session, user)
    if last is None:
        raise WrongState(f"{user.name} has no submission to undo")
    locked = lock_item(session, last.item_id)
    assert locked is not None
    if locked.closed_at is not None:
        raise WrongState(f"item {locked.id} is closed: ask a reviewer to correct the answer instead")
    answer = session.scalar(
        select(Annotation)
        .where(Annotation.item_id == locked.id, Annotation.annotator_id == user.id)
        .order_by(Annotation.id.desc())
        .limit(1)
    )
    assert answer is not None and not answer.retracted
    if annotation_id is not None and answer.id != annotation_id:
        raise WrongState(f"annotation {annotation_id} is not {user.name}'s latest answer; nothing undone")
    retraction = Annotation(
        item_id=locked.id,
        annotator_id=user.id,
        author_id=user.id,
        label=None,
        retracted=True,
        guideline_version_id=answer.guideline_version_id,
        supersedes_id=answer.id,
    )
    session.add(retraction)
    last.submitted_at = None
    audit(session, user, "annotation.undo", retraction, item_id=locked.id, undone=answer.id)
    return retraction


def _open_claim(session: Session, user: User, item: Item) -> Assignment:
    claim = assignment(session, item, user)
    if claim is None:
        raise NotAllowed(f"{user.name} has not claimed item {item.id}")
    if claim.submitted_at is not None:
        raise WrongState(f"{user.name} already answered item {item.id}; use undo_last to change it")
    if claim.skipped_at is not None:
        raise WrongState(f"{user.name} skipped item {item.id}")
    return claim


def undoable(session: Session, user: User) -> Annotation | None:
    """The answer `undo_last` would withdraw now, or None (no submission, or its item closed). Its
    item and schema come loaded: the page shows the answer as its kind reads after the session."""
    last = _last_submission(session, user)
    if last is None or last.item.closed_at is not None:
        return None
    return session.scalar(
        select(Annotation)
        .options(joinedload(Annotation.item).joinedload(Item.label_schema))
        .where(Annotation.item_id == last.item_id, Annotation.annotator_id == user.id)
        .order_by(Annotation.id.desc())
        .limit(1)
    )


def _last_submission(session: Session, user: User) -> Assignment | None:
    return session.scalar(
        select(Assignment)
        .where(Assignment.user_id == user.id, Assignment.submitted_at.is_not(None))
        .order_by(Assignment.submitted_at.desc(), Assignment.id.desc())
        .limit(1)
    )
