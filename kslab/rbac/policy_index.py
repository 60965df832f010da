"""The lookups a policy answers requests with: roles by name, bindings by namespace and by subject.

The API server's authorizer walks every ClusterRoleBinding and every RoleBinding of the request's
namespace and asks each whether it names the user. At a real cluster's size (thousands of
bindings) that walk is most of the cost of a question, although only the few bindings that name
the user, one of its groups or its service account can apply. So a :class:`PolicyIndex` files
every binding under the identities its subjects can match — a ``User`` subject and a
``ServiceAccount`` subject under the user name they match (``system:serviceaccount:NS:NAME``), a
``Group`` subject under the group — and a question looks up only the user's name and groups.
Bindings come back in the policy's order, so answers and explanations are the walk's, exactly.

>>> from kslab.rbac.model import RoleRef
>>> b = Binding("b", RoleRef("Role", "r"), (Subject("ServiceAccount", "app"),), "web")
>>> index = PolicyIndex([Role("r", (), "web")], [b])
>>> [x.name for x in index.candidates(UserInfo("system:serviceaccount:web:app"), "web")]
['b']
>>> index.candidates(UserInfo("system:serviceaccount:web:app"), "other")
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kslab.rbac.model import Binding, Role, Subject, UserInfo
from kslab.rbac.subjects import service_account_user

#: An identity a subject can match: ("user", name) or ("group", name).
Key = tuple[str, str]


def not_found(kind: str, name: str) -> str:
    """The API server's lister error, as it appears in an access review's reason."""
    return f'{kind.lower()}.rbac.authorization.k8s.io "{name}" not found'


def subject_key(subject: Subject, namespace: str) -> Key | None:
    """The identity a binding subject matches (``namespace`` is the RoleBinding's, "" for a
    ClusterRoleBinding), or None when it can match nobody (the rules of
    :func:`~kslab.rbac.subjects.subject_matches`)."""
    if subject.kind == "User":
        return ("user", subject.name)
    if subject.kind == "Group":
        return ("group", subject.name)
    if subject.kind == "ServiceAccount":
        sa_namespace = subject.namespace or namespace
        return ("user", service_account_user(sa_namespace, subject.name)) if sa_namespace else None
    return None


def user_keys(user: UserInfo) -> list[Key]:
    """The identities a user is: its name and each of its groups."""
    return [("user", user.name), *(("group", g) for g in user.groups)]


class PolicyIndex:
    """Roles by ``(namespace, name)``; bindings by scope and by the identities their subjects match.

    Built once per policy, in time linear in its objects.
    """

    def __init__(self, roles: Iterable[Role], bindings: Sequence[Binding]) -> None:
        self.roles: dict[tuple[str, str], Role] = {}
        for role in roles:
            self.roles.setdefault((role.namespace, role.name), role)  # the first, as a scan finds
        self.bindings = list(bindings)
        self.cluster: list[Binding] = []
        self.by_namespace: dict[str, list[Binding]] = {}
        self._position = {id(b): i for i, b in enumerate(self.bindings)}
        # (scope, identity) -> positions, scope "" for ClusterRoleBindings; identity -> positions of
        # RoleBindings in every namespace (for "it would be allowed over there").
        self._scoped: dict[tuple[str, Key], list[int]] = {}
        self._anywhere: dict[Key, list[int]] = {}
        self.resolved: list[tuple[Role | None, str]] = []
        for position, binding in enumerate(self.bindings):
            scope = binding.namespace
            if scope:
                self.by_namespace.setdefault(scope, []).append(binding)
            else:
                self.cluster.append(binding)
            keys = {k for s in binding.subjects if (k := subject_key(s, scope)) is not None}
            for key in keys:
                self._scoped.setdefault((scope, key), []).append(position)
                if scope:
                    self._anywhere.setdefault(key, []).append(position)
            self.resolved.append(self._resolve(binding))

    def _resolve(self, binding: Binding) -> tuple[Role | None, str]:
        ref = binding.role_ref
        if ref.kind == "Role":
            if not binding.namespace:
                return None, "must provide namespace when getting role"
            role = self.roles.get((binding.namespace, ref.name))
        elif ref.kind == "ClusterRole":
            role = self.roles.get(("", ref.name))
        else:
            return None, f'unsupported role reference kind: "{ref.kind}"'
        return (role, "") if role is not None else (None, not_found(ref.kind, ref.name))

    def resolution(self, binding: Binding) -> tuple[Role | None, str]:
        """The role a binding of this policy refers to, or ``(None, the API server's error)``."""
        position = self._position.get(id(binding))
        if position is not None and self.bindings[position] is binding:
            return self.resolved[position]
        return self._resolve(binding)  # a binding from elsewhere: resolve against these roles

    def _pick(self, lists: list[list[int]]) -> list[Binding]:
        lists = [p for p in lists if p]
        if not lists:
            return []
        positions = lists[0] if len(lists) == 1 else sorted(set().union(*lists))
        return [self.bindings[p] for p in positions]

    def candidates(self, user: UserInfo, scope: str) -> list[Binding]:
        """The bindings of one scope ("" = the ClusterRoleBindings, else a namespace's RoleBindings)
        with a subject that may name ``user``, in the policy's order."""
        return self._pick([self._scoped.get((scope, key), []) for key in user_keys(user)])

    def role_bindings_anywhere(self, user: UserInfo) -> list[Binding]:
        """RoleBindings of every namespace with a subject that may name ``user``, in the policy's order."""
        return self._pick([self._anywhere.get(key, []) for key in user_keys(user)])
