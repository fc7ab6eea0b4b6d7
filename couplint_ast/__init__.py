"""couplint: find coupling between Python microservices."""

from __future__ import annotations

__version__ = "0.1.0"
