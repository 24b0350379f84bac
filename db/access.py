"""Who may see and change what: users, their roles and the units they cover, as plain functions.

A user is an OS account with one role and the units it covers; a unit covers its whole subtree.
The role matrix below is the only place that says which role may do which action.  Figures
(totals) of any unit are readable by every user; candidate details and every change need a role
at a unit covering the record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Collection, Iterable

from .errors import PtdvError
from .i18n import t

if TYPE_CHECKING:
    from .state import State

ROLES = ("viewer", "editor", "admin")

# actions: read candidate details; change candidates; change quotas and member figures;
# change units; manage users; change the store's settings
READ = "candidate.read"
WRITE = "candidate.write"
QUOTA = "quota.write"
UNITS = "unit.write"
USERS = "user.manage"
SETTINGS = "settings.write"
ACTIONS = (READ, WRITE, QUOTA, UNITS, USERS, SETTINGS)

MATRIX: dict[str, frozenset[str]] = {
    "viewer": frozenset({READ}),
    "editor": frozenset({READ, WRITE, QUOTA}),
    "admin": frozenset(ACTIONS),
}

# an OS login name: letters, digits, "_", ".", "-" (and "@" of directory accounts), at most 64
_ACCOUNT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}\$?")


@dataclass(frozen=True)
class User:
    account: str
    role: str
    units: tuple[int, ...]

    def to_doc(self) -> dict:
        return {"account": self.account, "role": self.role, "units": list(self.units)}

    @classmethod
    def from_doc(cls, doc: dict) -> "User":
        role = str(doc["role"])
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return cls(str(doc["account"]), role, tuple(int(u) for u in doc["units"]))


class AccessError(PtdvError):
    """A refusal whose ``role`` and ``action`` parameters are shown as labels in the user's language."""

    def _label(self, name: str, value: object, lang: str) -> object:
        if name == "role" and value in ROLES:
            return t(f"access.a_role.{value}", lang)  # "a viewer", "an editor"
        if name == "action" and value in ACTIONS:
            return t(f"access.action.{value}", lang)
        return super()._label(name, value, lang)


def role_allows(role: str, action: str) -> bool:
    return action in MATRIX.get(role, frozenset())


def check_account(account: str) -> str:
    text = str(account).strip()
    if not _ACCOUNT.fullmatch(text):
        raise PtdvError("access.bad_account", account=text)
    return text


def check_role(role: str) -> str:
    if role not in ROLES:
        raise PtdvError("access.bad_role", role=str(role), roles=", ".join(ROLES))
    return role


def users_from_docs(docs: Iterable[dict], creator: str | None, root: int | None) -> dict[str, User]:
    """The users table; a store without one (made before users existed) has its creator as admin
    of the top unit."""
    users = {user.account: user for user in map(User.from_doc, docs)}
    if not users and creator and root is not None:
        users[creator] = User(creator, "admin", (root,))
    return users


def covering(state: "State", user_units: Iterable[int], unit_id: int) -> int | None:
    """The user's unit that covers ``unit_id`` (it or one of its ancestors), or None."""
    mine = set(user_units)
    for unit in reversed(state.ancestors(unit_id)):
        if unit.id in mine:
            return unit.id
    return None


def covers(state: "State", user_units: Iterable[int], unit_id: int) -> bool:
    return covering(state, user_units, unit_id) is not None


def scope_under(state: "State", user_units: Iterable[int], unit_id: int) -> list[int]:
    """The units under ``unit_id`` (itself included) that the user covers."""
    units = list(user_units)
    if covers(state, units, unit_id):
        return state.subtree(unit_id)
    return [uid for u in _inside(state, units, unit_id) for uid in state.subtree(u)]


def reaches(state: "State", user_units: Iterable[int], unit_id: int) -> bool:
    """Whether the user covers ``unit_id`` or a unit below it: :func:`scope_under` is not empty, known from the
    user's units and their ancestors, without walking the tree below ``unit_id`` (at the top of a metro store,
    every part's summary)."""
    units = list(user_units)
    return covers(state, units, unit_id) or bool(_inside(state, units, unit_id))


def _inside(state: "State", units: list[int], unit_id: int) -> list[int]:
    """The user's units strictly below ``unit_id``."""
    return [u for u in units if u in state.units and any(a.id == unit_id for a in state.ancestors(u))]


def home(state: "State", user_units: Iterable[int]) -> int | None:
    """Where the user's work is: the lowest unit above (or at) every unit they cover."""
    chains = [[u.id for u in state.ancestors(uid)] for uid in user_units if uid in state.units]
    if not chains:
        return state.root
    common = None
    for level in zip(*chains):
        if len(set(level)) != 1:
            break
        common = level[0]
    return common if common is not None else state.root


def admins(state: "State") -> list[str]:
    """Accounts of the store's admins (admins of the top unit)."""
    return sorted(u.account for u in state.users.values() if u.role == "admin" and state.root in u.units)


def unit_names(state: "State", units: Iterable[int]) -> str:
    return ", ".join(state.units[u].name for u in units if u in state.units)


def outside_label(state: "State", user_units: Iterable[int], unit_id: int) -> str:
    """A unit outside the user's scope, named from where its way parts from theirs:
    ``Đảng ủy phường An Hải Bắc/Chi bộ khu dân cư số 1`` for someone of Phước Mỹ."""
    chain = state.ancestors(unit_id)
    if not chain:
        return str(unit_id)
    theirs = {a.id for u in user_units if u in state.units for a in state.ancestors(u)}
    apart = next((i for i, u in enumerate(chain) if u.id not in theirs), len(chain) - 1)
    return "/".join(u.name for u in chain[apart:])


def require(state: "State", account: str, action: str | None, unit_id: int | None) -> User:
    """The user ``account`` when they may do ``action`` at ``unit_id`` (with no action: when they
    are a user at all); an :class:`AccessError` saying what is missing otherwise."""
    user = state.users.get(account)
    if user is None:
        raise AccessError("access.unknown_user", account=account, admins=", ".join(admins(state)) or "?")
    if action is None or unit_id is None:
        return user
    holder = covering(state, user.units, unit_id)
    if holder is None:
        raise AccessError("access.no_role", account=account, unit=outside_label(state, user.units, unit_id),
                          units=unit_names(state, user.units), action=action)
    if not role_allows(user.role, action):
        raise AccessError("access.denied", account=account, role=user.role, unit=state.units[holder].name,
                          action=action)
    return user


def entry_readable(entry: dict, readable: Collection[int]) -> bool:
    """An audit entry about a candidate is for those who may read it (where it is or was); others
    (units, quotas, users) are for every user."""
    if not str(entry.get("target", "")).startswith("candidate:"):
        return True
    return entry.get("unit") in readable or (entry.get("before") or {}).get("unit") in readable
