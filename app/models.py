"""Imports every domain's models so that `Base.metadata` knows all tables (Alembic, tests).

Add one import line per domain package that has a `models.py`.
"""

from app.db import Base
from app.shops import models as shops_models  # noqa: F401
from app.commerce import models as commerce_models  # noqa: F401
from app.shopify import events as shopify_events  # noqa: F401
from app.jobs import models as jobs_models  # noqa: F401
from app.shopify import models as shopify_models  # noqa: F401

__all__ = ["Base"]
