"""Network isolation of a lab: the flows it needs (flows.py) and the NetworkPolicies that
allow exactly them (policies.py)."""

from labgen.components.network.policies import COMPONENT

__all__ = ["COMPONENT"]
