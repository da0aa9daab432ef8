"""Who may do what (the contract's permission rules), as a table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jewgo.resolvers import policy
from jewgo.resolvers.domain import Review, ReviewStatus, Role, Viewer
from jewgo.resolvers.errors import DomainError, Forbidden, InvalidInput, Unauthenticated

ADMIN = Viewer(1, Role.ADMIN)
MODERATOR = Viewer(2, Role.MODERATOR)
AUTHOR = Viewer(3, Role.USER)
STRANGER = Viewer(4, Role.USER)
STAMP = datetime(2025, 1, 1, tzinfo=UTC)


def review(status: ReviewStatus) -> Review:
    return Review(10, 20, AUTHOR.id, 4, None, "text", status, STAMP, STAMP)


@pytest.mark.parametrize(
    ("rule", "viewer", "outcome"),
    [
        (policy.signed_in, None, Unauthenticated),
        (policy.signed_in, STRANGER, None),
        (policy.admin, None, Unauthenticated),
        (policy.admin, MODERATOR, Forbidden),
        (policy.admin, ADMIN, None),
        (policy.staff, AUTHOR, Forbidden),
        (policy.staff, MODERATOR, None),
        (policy.staff, ADMIN, None),
    ],
)
def test_role_rules(rule: object, viewer: Viewer | None, outcome: type[DomainError] | None) -> None:
    assert callable(rule)
    if outcome is None:
        assert rule(viewer) == viewer
    else:
        with pytest.raises(outcome):
            rule(viewer)


@pytest.mark.parametrize(
    ("viewer", "allowed"), [(AUTHOR, True), (ADMIN, True), (MODERATOR, False), (STRANGER, False)]
)
def test_reviews_are_changed_by_their_author_or_an_admin(viewer: Viewer, allowed: bool) -> None:
    if allowed:
        assert policy.author_or_admin(viewer, review(ReviewStatus.APPROVED)) == viewer
    else:
        with pytest.raises(Forbidden):
            policy.author_or_admin(viewer, review(ReviewStatus.APPROVED))


@pytest.mark.parametrize(
    ("viewer", "status", "visible"),
    [
        (None, ReviewStatus.APPROVED, True),
        (None, ReviewStatus.PENDING, False),
        (STRANGER, ReviewStatus.REJECTED, False),
        (AUTHOR, ReviewStatus.REJECTED, True),
        (MODERATOR, ReviewStatus.PENDING, True),
    ],
)
def test_unapproved_reviews_are_seen_by_author_and_staff(
    viewer: Viewer | None, status: ReviewStatus, visible: bool
) -> None:
    assert policy.can_see_review(viewer, review(status)) is visible


@pytest.mark.parametrize(
    ("viewer", "status", "scope"),
    [
        (None, None, (ReviewStatus.APPROVED, None)),
        (None, ReviewStatus.PENDING, None),
        (AUTHOR, ReviewStatus.PENDING, (ReviewStatus.PENDING, AUTHOR.id)),
        (MODERATOR, ReviewStatus.REJECTED, (ReviewStatus.REJECTED, None)),
        (STRANGER, ReviewStatus.APPROVED, (ReviewStatus.APPROVED, None)),
    ],
)
def test_list_scope(
    viewer: Viewer | None,
    status: ReviewStatus | None,
    scope: tuple[ReviewStatus, int | None] | None,
) -> None:
    assert policy.review_scope(viewer, status) == scope


def test_edits_by_authors_go_back_to_moderation() -> None:
    approved = review(ReviewStatus.APPROVED)
    assert policy.review_status_after_edit(AUTHOR, approved) is ReviewStatus.PENDING
    assert policy.review_status_after_edit(ADMIN, approved) is ReviewStatus.APPROVED


def test_admins_cannot_lock_themselves_out() -> None:
    with pytest.raises(InvalidInput):
        policy.not_self(ADMIN, ADMIN.id, "delete")
    policy.not_self(ADMIN, STRANGER.id, "delete")


def test_new_restaurants_need_approval_unless_an_admin_adds_them() -> None:
    assert policy.initial_restaurant_status(ADMIN) == "ACTIVE"
    assert policy.initial_restaurant_status(MODERATOR) == "PENDING"


@pytest.mark.parametrize(
    ("viewer", "user_id", "sees"),
    [(ADMIN, AUTHOR.id, True), (MODERATOR, AUTHOR.id, False), (MODERATOR, MODERATOR.id, True),
     (AUTHOR, AUTHOR.id, True), (STRANGER, AUTHOR.id, False), (None, AUTHOR.id, False)],
)  # fmt: skip
def test_an_email_is_the_users_own_and_the_admins(
    viewer: Viewer | None, user_id: int, sees: bool
) -> None:
    assert policy.can_see_email(viewer, user_id) is sees
