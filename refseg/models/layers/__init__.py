# Modules are imported for their registrations.
from . import vl_decoder  # noqa: F401
from . import projector  # noqa: F401
