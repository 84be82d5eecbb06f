"""What the cases app tells the apps above it, which it may not import (``accord.movements``)."""

from django.dispatch import Signal

# A case that may be on a movement's manifest stops moving: it was returned to the sending state's
# side (a bar, new review points, a changed record) or withdrawn. Sent inside the caller's
# transaction, with the person and the case locked; arguments: ``case``, ``actor`` (a User or None
# for the system), ``reason`` and ``why`` ("returned for review" or "withdrawn"). Receivers act in the same transaction (a failure rolls it back).
move_stopped = Signal()
