"""spec -> plan: the resolved, typed description of a lab that every renderer reads."""

from labgen.plan.model import GitOpsPlan, LabPlan, PoolPlan, pool_placement
from labgen.plan.resolve import build_plan

__all__ = ["GitOpsPlan", "LabPlan", "PoolPlan", "build_plan", "pool_placement"]
