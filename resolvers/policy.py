"""Who may do what: the permission rules of the contract, shared by v3 and v4."""

from __future__ import annotations

from jewgo.resolvers.domain import Review, ReviewStatus, Role, Viewer
from jewgo.resolvers.errors import Forbidden, InvalidInput, Unauthenticated


def signed_in(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise Unauthenticated("Sign in to do this")
    return viewer


def admin(viewer: Viewer | None) -> Viewer:
    viewer = signed_in(viewer)
    if not viewer.is_admin:
        raise Forbidden("Only an ADMIN may do this")
    return viewer


def staff(viewer: Viewer | None) -> Viewer:
    viewer = signed_in(viewer)
    if not viewer.is_staff:
        raise Forbidden("Only a MODERATOR or an ADMIN may do this")
    return viewer


def can_see_email(viewer: Viewer | None, user_id: int) -> bool:
    """`User.email` is the user's own and the admins' to see."""
    return viewer is not None and (viewer.is_admin or viewer.id == user_id)


def author_or_admin(viewer: Viewer | None, review: Review) -> Viewer:
    viewer = signed_in(viewer)
    if viewer.id != review.author_id and not viewer.is_admin:
        raise Forbidden("Only the author or an ADMIN may change this review")
    return viewer


def can_see_review(viewer: Viewer | None, review: Review) -> bool:
    """APPROVED reviews are public; others only to their author and to staff."""
    if review.status is ReviewStatus.APPROVED:
        return True
    return viewer is not None and (viewer.is_staff or viewer.id == review.author_id)


def review_status_after_edit(viewer: Viewer, review: Review) -> ReviewStatus:
    """An edit by anyone but staff goes back to moderation."""
    return review.status if viewer.is_staff else ReviewStatus.PENDING


def not_self(viewer: Viewer, user_id: int, action: str) -> None:
    """An admin cannot lock themselves out."""
    if viewer.id == user_id:
        raise InvalidInput(f"You cannot {action} yourself", {"id": f"cannot {action} yourself"})


def initial_restaurant_status(viewer: Viewer) -> str:
    return "ACTIVE" if viewer.role is Role.ADMIN else "PENDING"


def review_scope(
    viewer: Viewer | None, status: ReviewStatus | None
) -> tuple[ReviewStatus, int | None] | None:
    """Which reviews a list with this status filter may show the viewer.

    Returns the status and, when the viewer may only see their own, their id as the
    author to restrict to; None when nothing is visible (anonymous, non-APPROVED).
    """
    status = status or ReviewStatus.APPROVED
    if status is ReviewStatus.APPROVED or (viewer is not None and viewer.is_staff):
        return status, None
    if viewer is None:
        return None
    return status, viewer.id
