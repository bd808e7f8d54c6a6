# Modules are imported for their registrations.
from . import cris_head  # noqa: F401
from . import risclip_head  # noqa: F401
from . import no_target_head  # noqa: F401
