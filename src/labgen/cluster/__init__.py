"""Talking to a cluster (`labgen bootstrap`, `labgen status`) through the Kubernetes API,
with the optional kubernetes client (``pip install 'labgen[cluster]'``)."""

from labgen.extras import require

require("kubernetes", "`labgen bootstrap` and `labgen status`")
