"""Authentication: request headers -> Session, exactly once, at the edge."""

from livegres.auth.session import Session, resolve_session

__all__ = ["Session", "resolve_session"]
