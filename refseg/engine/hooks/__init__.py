# Modules are imported for their registrations.
from . import checkpoint_hook  # noqa: F401
from . import visualization_hook  # noqa: F401
