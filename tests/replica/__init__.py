"""A deterministic local stand-in for diendandoanhnghiep.vn: `Replica`, `Site`, and the ground truth."""

from .server import Replica
from .site import VN, Site

__all__ = ["VN", "Replica", "Site"]
