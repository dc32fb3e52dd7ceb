"""Network isolation of a lab: the vocabulary of flows (model.py), the flows a lab needs
(flows.py) and the NetworkPolicies that allow exactly them (policies.py, whose
``COMPONENT`` the registry lists)."""
