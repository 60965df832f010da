"""``kslab rbac``: RBAC questions, answered offline from policy files or live by the API server.

* ``kslab rbac can-i VERB (TYPE[.GROUP][/NAME] | /URL) (-f FILE... | --live) [-n NS | -A]
  [--as USER] [--as-group GROUP]... [--subresource S] [--explain]`` — ``yes`` or ``no`` (exit 0 / 1),
  the grammar of ``kubectl auth can-i``. Offline the policy comes from the files and ``--as`` is
  required; live it is a SelfSubjectAccessReview (yourself) or a SubjectAccessReview (``--as``).
* ``kslab rbac matrix (-f FILE... | --live) [--as USER] [--as-group G]... [-n NS]`` — verbs × resources;
  with both ``-f`` and ``--live``, predicted and observed side by side.
* ``kslab rbac who-can VERB (TYPE[.GROUP][/NAME] | /URL) (-f FILE... | --live) [-n NS | -A]`` — the
  subjects some binding lets do it (exit 0; 1 when nobody can).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for the type checker only: the command line imports lazily
    from kslab.cluster.lab import Lab
    from kslab.rbac import Decision, Policy, Request, UserInfo


def _policy_args(p: argparse.ArgumentParser, *, identity: bool = True) -> None:
    p.add_argument("-f", "--filename", dest="files", action="extend", nargs="+", default=[],
                   metavar="FILE", help="YAML/JSON files with Roles, ClusterRoles and bindings (- = stdin)")
    p.add_argument("--live", action="store_true",
                   help="ask the cluster (KSLAB_CONTEXT, or the course's kind context) instead of files")
    p.add_argument("--context", help="kube context for --live (default: KSLAB_CONTEXT or kind-kslab)")
    p.add_argument("-n", "--namespace", help='namespace of the request (default: "default")')
    if identity:
        p.add_argument("--as", dest="as_user", metavar="USER",
                       help="the user to ask about, e.g. system:serviceaccount:NS:NAME")
        p.add_argument("--as-group", dest="as_groups", action="append", default=[], metavar="GROUP",
                       help="a group of that user (repeatable); without it the API server's groups are assumed")


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("rbac", parents=parents, help="RBAC: can-i, access matrix, who-can",
                              description="Ask RBAC questions offline (policy files, kslab's evaluator) "
                                          "or live (the API server's access reviews).")
    sub = p.add_subparsers(dest="rbac_command", metavar="SUBCOMMAND", parser_class=type(p))

    can = sub.add_parser("can-i", parents=parents, help="may a user do this? prints yes or no",
                         description="Like `kubectl auth can-i`: exit 0 for yes, 1 for no.")
    can.add_argument("verb", help="get, list, watch, create, update, patch, delete, ... (case-sensitive)")
    can.add_argument("target", metavar="(TYPE[.GROUP][/NAME] | /URL)",
                     help="a resource type, optionally with API group and object name, or a URL path")
    _policy_args(can)
    can.add_argument("-A", "--all-namespaces", action="store_true", help='ask cluster-wide (namespace "")')
    can.add_argument("--subresource", default="", help="e.g. log, exec, status, scale")
    can.add_argument("--explain", action="store_true", help="also print why")
    can.set_defaults(func=run)

    mat = sub.add_parser("matrix", parents=parents, help="verbs × resources for one identity",
                         description="The access matrix of one identity in one namespace.")
    _policy_args(mat)
    mat.add_argument("--verbs", help="comma-separated verbs (default: get,list,watch,create,update,patch,delete)")
    mat.add_argument("--resources", help="comma-separated TYPE[.GROUP][/SUBRESOURCE] (default: a teaching set)")
    mat.set_defaults(func=run)

    who = sub.add_parser("who-can", parents=parents, help="which subjects may do this",
                         description="Every subject a binding lets perform the action (exit 1 if none).")
    who.add_argument("verb")
    who.add_argument("target", metavar="(TYPE[.GROUP][/NAME] | /URL)")
    _policy_args(who, identity=False)
    who.add_argument("-A", "--all-namespaces", action="store_true", help="only cluster-wide grants")
    who.add_argument("--subresource", default="")
    who.set_defaults(func=run)
    p.set_defaults(func=run, rbac_parser=p)


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "rbac_command", None)
    if command is None:
        args.rbac_parser.print_help()
        return 2
    return {"can-i": _can_i, "matrix": _matrix, "who-can": _who_can}[command](args)


# ---- helpers ------------------------------------------------------------------------------------
def _namespace(args: argparse.Namespace) -> str:
    from kslab.errors import UsageError

    if getattr(args, "all_namespaces", False):
        if args.namespace:
            raise UsageError("-n and -A both given", hint="-A asks cluster-wide; drop one of them")
        return ""
    return args.namespace if args.namespace is not None else "default"


def _source(args: argparse.Namespace, *, both_ok: bool = False) -> None:
    from kslab.errors import UsageError

    if not args.files and not args.live:
        raise UsageError("no policy: give -f FILE... (offline) or --live",
                         hint="e.g. kslab rbac can-i get pods -f rbac.yaml --as system:serviceaccount:web:app")
    if args.files and args.live and not both_ok:
        raise UsageError("-f and --live both given", hint="files are evaluated offline; --live asks the cluster")


def _load(args: argparse.Namespace) -> Policy:
    from kslab.rbac import Policy

    policy = Policy.from_files(args.files)
    for note in policy.notes:
        sys.stderr.write(f"note: {note}\n")
    return policy


def _identity(args: argparse.Namespace, *, required: bool) -> UserInfo | None:
    """The user asked about (with the groups the API server would add), or None for yourself."""
    from kslab.errors import UsageError
    from kslab.rbac import impersonate

    if not args.as_user:
        if args.as_groups:
            raise UsageError("--as-group needs --as", hint="kubectl and the API server refuse groups without a user")
        if required:
            # Only the API server knows who "me" is; a policy file does not, even beside --live.
            where = "a prediction from files" if args.live else "offline"
            raise UsageError(f"{where} there is no 'me': say whom to ask about with --as",
                             hint="e.g. --as system:serviceaccount:NAMESPACE:NAME, or --as alice --as-group devs")
        return None
    return impersonate(args.as_user, args.as_groups)


def _lab(args: argparse.Namespace) -> Lab:
    from kslab.cli.context import live_lab

    return live_lab(args.context, f"kslab rbac {args.rbac_command}")


def _warn_scope(request: Any) -> None:
    """kubectl's warnings, from the recorded resource list (offline there is no discovery)."""
    from kslab.rbac.resources import recorded

    if not request.is_resource or request.resource == "*":
        return
    scope = recorded().scope(request.resource, request.group)
    if scope == "Cluster" and request.namespace:
        sys.stderr.write(f"Warning: resource '{request.resource}' is not namespace scoped "
                         f"(recorded list); ask with -A for a real request's answer\n")
    elif scope is None and request.resource.lower() != request.resource:
        sys.stderr.write(f"note: '{request.resource}' taken as written: offline there is no discovery "
                         "to resolve it, and resource names are case-sensitive\n")


# ---- can-i --------------------------------------------------------------------------------------
def _can_i(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.errors import UsageError
    from kslab.rbac.grammar import parse_target
    from kslab.rbac.model import Request

    _source(args)
    target = parse_target(args.target)
    if target.path is not None and args.subresource:
        raise UsageError("--subresource can not be used with NonResourceURL", hint="drop --subresource")
    namespace = "" if target.path is not None else _namespace(args)
    request = Request(args.verb, target.resource, target.group, args.subresource, target.name,
                      namespace, target.path)
    user = _identity(args, required=not args.live)
    if args.live:
        decision = _live_decision(args, user, request)
    else:
        assert user is not None  # _identity required --as offline
        policy = _load(args)
        _warn_scope(request)
        decision = policy.authorize(user, request)
    if args.json:
        emit_json(decision.to_dict())
    else:
        print(decision.answer)
        if args.explain:
            print(decision.text())
    return 0 if decision.allowed else 1


def _live_decision(args: argparse.Namespace, user: UserInfo | None, request: Request) -> Decision:
    from kslab.cluster.identities import review

    return review(_lab(args), request, user)


# ---- matrix -------------------------------------------------------------------------------------
def _matrix(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.rbac.matrix import DEFAULT_RESOURCES, DEFAULT_VERBS, predict_matrix
    from kslab.rbac.matrix_view import SideBySide

    _source(args, both_ok=True)
    verbs = [v for v in (args.verbs or "").split(",") if v] or list(DEFAULT_VERBS)
    resources = [r for r in (args.resources or "").split(",") if r] or list(DEFAULT_RESOURCES)
    namespace = _namespace(args)
    user = _identity(args, required=not args.live or bool(args.files))
    predicted = observed = None
    if args.files:
        assert user is not None  # _identity required --as for a prediction
        predicted = predict_matrix(_load(args), user, namespace=namespace, verbs=verbs, resources=resources)
    if args.live:
        from kslab.cluster.identities import observed_matrix

        observed = observed_matrix(_lab(args), namespace=namespace, user=user, verbs=verbs,
                                   resources=resources)
    if args.json:
        emit_json({"predicted": predicted.to_dict() if predicted else None,
                   "observed": observed.to_dict() if observed else None})
    elif predicted and observed:
        print(SideBySide(predicted, observed).text())
    else:
        print((predicted or observed).text())  # type: ignore[union-attr]
    return 0


# ---- who-can ------------------------------------------------------------------------------------
def _who_can(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.rbac.grammar import parse_target
    from kslab.rbac.matrix import who_can

    _source(args)
    target = parse_target(args.target)
    namespace = "" if target.path is not None else _namespace(args)
    if args.live:
        from kslab.cluster.identities import live_policy

        policy = live_policy(_lab(args))
    else:
        policy = _load(args)
    result = who_can(policy, args.verb, target.resource, group=target.group, namespace=namespace,
                     name=target.name, subresource=args.subresource, path=target.path)
    if args.live:
        result.notes.append("(evaluated by kslab on the cluster's Roles and bindings as read just now)")
    if args.json:
        emit_json(result.to_dict())
    else:
        print(result.text())
    return 0 if result.rows else 1
