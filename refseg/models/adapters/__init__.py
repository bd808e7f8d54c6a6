# Modules are imported for their registrations.
from . import cfe  # noqa: F401
from . import ske  # noqa: F401
