# Modules are imported for their registrations.
from . import ref_segmentor  # noqa: F401
from . import risclip  # noqa: F401
