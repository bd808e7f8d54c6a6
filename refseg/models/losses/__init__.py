# Modules are imported for their registrations.
from . import focal_dice  # noqa: F401
