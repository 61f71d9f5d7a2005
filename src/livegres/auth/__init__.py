"""Authentication: request headers -> Session, exactly once, at the edge (``Authenticator``)."""

from livegres.auth.authenticator import Authenticator
from livegres.auth.session import Session

__all__ = ["Authenticator", "Session"]
