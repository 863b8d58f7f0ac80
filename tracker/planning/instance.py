"""The planner's input as plain data: the constraints, the firms, organisations and officers.

Both planners (:mod:`tracker.planning.heuristic` and :mod:`tracker.planning.exact`) read an
:class:`Instance` and nothing else, so that each can be run and compared without a store;
:func:`tracker.planning.read.instance_from_store` builds one from the store. The modelling
choices these types encode (areas, the room of a joint organisation, an officer's areas)
are listed in :mod:`tracker.planning`.

Examples
--------
>>> from datetime import date
>>> inst = Instance(date(2024, 6, 30), [FirmItem("A", 4, park="P"), FirmItem("B", 1, street="S")])
>>> [f.code for f in inst.forced()], [f.area for f in inst.pool()]
(['A'], ['street:S'])
>>> branch_kind(50), branch_kind(51), branch_kind(100)
('branch', 'general_branch', 'committee')
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from ..i18n import both
from ..rules import DEFAULT_CONFIG, RuleConfig

__all__ = [
    "FirmItem",
    "Instance",
    "OfficerItem",
    "OrgItem",
    "PlannerConfig",
    "area_key",
    "branch_kind",
    "gc_paused",
]


@dataclass(frozen=True)
class PlannerConfig:
    """Constraints of the planner; rule thresholds come from :class:`tracker.rules.RuleConfig`.

    Parameters
    ----------
    rules : the thresholds (3 formal members, 50 members per branch, 5 units per joint branch)
    liaison_capacity : firms one liaison officer can serve
    allow_memberless_in_joint : may a firm with no formal member be in a joint branch
    """

    rules: RuleConfig = DEFAULT_CONFIG
    liaison_capacity: int = 3
    allow_memberless_in_joint: bool = True

    def __post_init__(self):
        if self.liaison_capacity < 1:
            raise ValueError(both("planner.error_capacity"))

    @property
    def min_formal(self) -> int:
        return self.rules.min_formal_members

    @property
    def max_units(self) -> int:
        return self.rules.max_joint_units

    @property
    def max_branch_members(self) -> int:
        return self.rules.max_branch_members


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while a million small objects are made.

    Items, lists and actions hold no reference cycles, yet each full collection walks every
    object made so far: at 1,000,000 firms the collector took about 40 % of the planner's
    read and of the plan. Reference counting still frees everything; the collector is only
    switched back on if it was on (a caller that paused it keeps it paused).

    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def area_key(park: str | None, street: str | None) -> str | None:
    """The area of a firm: its park, else its street, else None (unknown).

    >>> area_key("科学城", "萝岗街道"), area_key(None, "夏港街道"), area_key("", None)
    ('park:科学城', 'street:夏港街道', None)
    """
    if park:
        return f"park:{park}"
    if street:
        return f"street:{street}"
    return None


def branch_kind(members: int, config: PlannerConfig = PlannerConfig()) -> str:
    """Kind of a new organisation with ``members`` members: branch, general branch, committee."""
    if members <= config.max_branch_members:
        return "branch"
    return "general_branch" if members < 2 * config.max_branch_members else "committee"


@dataclass(frozen=True)
class FirmItem:
    """A firm of the population, as the planner sees it."""

    code: str
    formal: int = 0
    probationary: int = 0
    park: str | None = None
    street: str | None = None
    chains: tuple[str, ...] = ()
    status: str = "none"  # org / work / none on D
    single_unit: bool = False

    @property
    def members(self) -> int:
        return self.formal + self.probationary

    @cached_property
    def area(self) -> str | None:
        # Cached (in the instance's __dict__, outside the frozen fields): the planner asks
        # for it many times per firm, and formatting it each time cost seconds in a city.
        return area_key(self.park, self.street)


@dataclass(frozen=True)
class OrgItem:
    """An existing active 联合组建 organisation, with the firms it covers on D."""

    code: str
    area: str | None
    covered: int
    members: int = 0
    kind: str = "branch"
    chains: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfficerItem:
    """A liaison officer active on D: the areas of the firms served and the load."""

    id: int
    areas: frozenset
    load: int
    name: str = ""
    unit: str = ""


@dataclass
class Instance:
    """One planning problem: the population on D, the joint organisations and officers, the rules."""

    as_of: date
    firms: list[FirmItem]
    orgs: list[OrgItem] = field(default_factory=list)
    officers: list[OfficerItem] = field(default_factory=list)
    config: PlannerConfig = field(default_factory=PlannerConfig)

    def needs_branch(self, f: FirmItem) -> bool:
        """R1: the firm must get its own branch."""
        return f.formal >= self.config.min_formal and not f.single_unit

    def forced(self) -> list[FirmItem]:
        """The firms R1 forces to form their own branch."""
        least = self.config.min_formal  # as needs_branch, without a call per firm
        return [f for f in self.firms if f.formal >= least and not f.single_unit]

    def pool(self) -> list[FirmItem]:
        """Uncovered firms with fewer than 3 formal members: the firms to place."""
        least = self.config.min_formal
        return [f for f in self.firms if f.status == "none" and f.formal < least]

    def joint_eligible(self, f: FirmItem) -> bool:
        """May the firm join or form a joint branch (known area; members, unless allowed without)."""
        return f.area is not None and (f.formal > 0 or self.config.allow_memberless_in_joint)

    def room(self, org: OrgItem, area_firms: list[FirmItem] | None = None,
             largest: int | None = None) -> int:
        """Places left in an existing joint organisation (units and the 50-member cap).

        ``largest``: the most members of any firm of ``area_firms``, when the caller has
        it (an area with many organisations would otherwise scan its firms for each).
        """
        free = max(0, self.config.max_units - org.covered)
        if org.kind == "branch" and free:
            if largest is None:
                largest = max((f.members for f in (area_firms or [])), default=0)
            headroom = self.config.max_branch_members - org.members
            if largest > 0:
                free = min(free, max(0, headroom // largest))
            elif headroom < 0:
                free = 0
        return free

    def spare(self, officer: OfficerItem) -> int:
        """Firms the officer can still take."""
        return max(0, self.config.liaison_capacity - officer.load)
