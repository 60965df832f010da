"""Service-account identities on a live cluster: create one, give it a kubeconfig, and watch what
the API server lets it do.

The sequence of notebook 04, modernised from 2019:

1. :func:`set_up` — namespace, service account, Role, RoleBinding (server-side apply, labelled as
   kslab's lab ``04`` so clean-up finds them);
2. :func:`service_account_identity` — a **bound token** from the TokenRequest API (expiry one hour
   by default), decoded to its claims, written into a kubeconfig (mode 0600, under kslab's state
   directory, never in the repository) with the cluster's CA, and a client that talks as it;
3. :func:`access_matrix` — what the evaluator predicts next to what SelfSubjectAccessReview
   observes; :func:`try_requests` — real requests, some answered 403 Forbidden;
4. :func:`legacy_token` — the 2019 way (a ``kubernetes.io/service-account-token`` Secret), shown
   once and deleted.

Offline every function returns the same kind of result with the predicted side only, saying why.
No function prints or returns a token in a form that displays it.
"""

from __future__ import annotations

import base64
import functools
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Callable
from typing import Any

from kslab import settings
from kslab.cluster.api_errors import api_call
from kslab.cluster.lab import Lab
from kslab.cluster.waiting import poll
from kslab.cluster.modes import ModeChoice
from kslab.cluster.pods import nodes_ready
from kslab.errors import ApiError
from kslab.cluster.client import PROBE_TIMEOUT, with_default_timeout
from kslab.private import refuse_inside_repository, write_private
from kslab.rbac import scenario
from kslab.rbac.matrix import (
    DEFAULT_RESOURCES,
    DEFAULT_VERBS,
    AccessMatrix,
    build_matrix,
    predict_matrix,
)
from kslab.rbac.model import Request, UserInfo
from kslab.rbac.policy import Decision, Policy
from kslab.rbac.rest import call_for, outcome
from kslab.rbac.subjects import impersonate, service_account_user
from kslab.rbac.tokens import (
    LEGACY_ISSUER,
    Claims,
    decode_claims,
    expected_claims,
    expected_pod_claims,
    redact_kubeconfig,
    redact_token,
)
from kslab.views.tables import Table, html_block
from kslab.views.text import TextView
from kslab.views.styles import BAD, GOOD

#: The lab name objects are labelled with (``kslab.dev/lab: "04"``).
LAB = "04"
DEFAULT_EXPIRY = 3600


# ---- where --------------------------------------------------------------------------------------
def lab_namespace(lab: Lab) -> str:
    """Where this lab works: its own namespace ``webapp-rbac``, or — for an identity that may not
    create namespaces, such as a classroom student — the namespace its kubeconfig names.

    >>> lab_namespace(Lab(ModeChoice("offline", None, False, "offline")))
    'webapp-rbac'
    """
    return lab.namespace_for(scenario.NAMESPACE)


# ---- set up -------------------------------------------------------------------------------------
@dataclass(repr=False)
class SetUp(TextView):
    """The objects of the lab and, live, what the API server stored."""

    objects: list[dict[str, Any]]
    applied: list[str] = field(default_factory=list)
    live: bool = False
    reason: str = ""
    note: str = ""

    def text(self) -> str:
        names = [f"{o['kind']}/{o['metadata'].get('namespace', '') + '/' if o['metadata'].get('namespace') else ''}"
                 f"{o['metadata']['name']}" for o in self.objects]
        if not self.live:
            return (f"offline ({self.reason}): nothing applied. On a cluster these would be created, in "
                    "this order:\n" + "\n".join(f"  {n}" for n in names))
        return "\n".join([*([self.note] if self.note else []),
                          f"applied with server-side apply (field manager {settings.FIELD_MANAGER}), labelled "
                          f"{settings.LAB_LABEL}={LAB}:", *(f"  {n}" for n in self.applied)])


def set_up(lab: Lab, objects: list[dict[str, Any]] | None = None) -> SetUp:
    """Create the namespace, service account, Role and RoleBinding (live); offline, list them.

    An identity that may not create namespaces (a classroom student) works in its own namespace: the
    lab's objects go there, without the Namespace object.
    """
    namespace = lab_namespace(lab)
    objects = objects if objects is not None else scenario.lab_objects(namespace)
    if not lab.live:
        return SetUp(objects, live=False, reason=lab.reason)
    lab.require_lab("the RBAC lab (creates a namespace, a service account, a Role and a RoleBinding)")
    note = ""
    if not lab.may_create_namespaces:
        objects = [o for o in objects if o["kind"] != "Namespace"]
        note = (f"in your namespace {namespace}: your identity may not create namespaces, so the lab's "
                "Namespace is not applied (yours keeps the Pod Security labels your instructor set)")
    stored = lab.apply(objects, lab_id=LAB)
    applied = [f"{o['kind']}/{(o['metadata'].get('namespace') or '') + '/' if o['metadata'].get('namespace') else ''}"
               f"{o['metadata']['name']}" for o in stored]
    return SetUp(objects, applied, live=True, note=note)


# ---- deploy into the namespace -----------------------------------------------------------------
@dataclass(repr=False)
class Deployed(TextView):
    """The webapp Deployment in the lab namespace: admitted or not, and whether a pod runs."""

    namespace: str
    admitted: bool
    message: str
    live: bool
    pod: str = ""
    reason: str = ""

    def text(self) -> str:
        head = "observed" if self.live else f"predicted (offline: {self.reason})"
        lines = [f"webapp Deployment in {self.namespace}, running as service account "
                 f"{scenario.SERVICE_ACCOUNT} — {head}: "
                 + ("admitted" if self.admitted else "refused") + f" ({self.message})"]
        if self.pod:
            lines.append(f"pod {self.pod} is Ready")
        return "\n".join(lines)


def deploy_webapp(lab: Lab, namespace: str | None = None, *, wait_seconds: int = 120) -> Deployed:
    """Deploy the webapp into the lab's namespace as the service account; wait for it if a node can run it.

    Offline the Pod Security verdict of kslab's evaluator (the namespace enforces ``restricted``)
    predicts whether the API server would admit it.
    """
    from kslab import pss

    namespace = namespace or lab_namespace(lab)
    deployment = scenario.webapp_deployment(namespace)
    if not lab.live:
        verdict = pss.evaluate(deployment, "restricted")
        return Deployed(namespace, verdict.allowed, "Pod Security restricted: " +
                        ("no violations" if verdict.allowed else verdict.message()), False, reason=lab.reason)
    lab.require_lab("deploying the webapp")
    try:
        lab.apply(deployment, lab_id=LAB)
    except ApiError as err:
        return Deployed(namespace, False, err.message, True)
    result = Deployed(namespace, True, "stored by the API server", True)
    if not nodes_ready(lab):
        result.message += "; no node is Ready, so no pod will run"
        return result
    result.pod = lab.wait_for_pod(namespace, "app=webapp", timeout=wait_seconds)
    return result


def pod_token_claims(lab: Lab, deployed: Deployed | None = None) -> Claims:
    """The claims of the token the kubelet mounted into the webapp's pod (bound to pod and node).

    When no pod runs (offline, or no node is Ready) it returns the claims such a token carries,
    marked predicted. The token is read inside this function and never returned.
    """
    mounted = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    namespace = deployed.namespace if deployed else lab_namespace(lab)
    pod = deployed.pod if deployed else ""
    if not lab.live or not pod:
        # The kubelet asks for 3607 s; with --service-account-extend-token-expiration (default true, kept by
        # kubeadm and kind) the API server issues it for a year with warnafter: pkg/serviceaccount/claims.go.
        predicted = expected_pod_claims(namespace, scenario.SERVICE_ACCOUNT)
        return replace(predicted, bound_to=("pod webapp-…", "node <its node>", "serviceaccount webapp"))
    result = lab.exec(namespace, pod, ["cat", mounted])
    if result.returncode != 0:
        raise ApiError(f"could not read {mounted} in pod {pod}: {result.stderr.strip()[:200]}",
                       hint="is automountServiceAccountToken disabled for this pod?")
    return decode_claims(result.stdout.strip())


# ---- the identity -------------------------------------------------------------------------------
@dataclass(repr=False)
class Identity(TextView):
    """A service account as an identity: its user, its token's claims, its kubeconfig and client.

    ``client`` is a :class:`~kslab.cluster.lab.Lab` that talks to the cluster *as* the service
    account (live only); it is not a lab context, so nothing can be created through it.
    """

    namespace: str
    name: str
    claims: Claims
    live: bool
    kubeconfig: Path | None = None
    context: str = ""
    server: str = ""
    ca_source: str = ""
    expires_at: str = ""
    client: Lab | None = None
    reason: str = ""

    @property
    def user(self) -> UserInfo:
        """The user name and groups the API server gives this service account's tokens."""
        return impersonate(service_account_user(self.namespace, self.name))

    def facts(self) -> Table | str:
        """Who this identity is and, live, where its kubeconfig, context, CA and token come from (a
        table); offline, a sentence saying nothing was requested."""
        rows = [{"what": "identity", "value": self.user.describe()}]
        if not self.live:
            return (f"identity: {self.user.describe()}\noffline ({self.reason}): no token was requested and no "
                    "kubeconfig written.\nLive, a TokenRequest would return a bound token with the claims below.")
        mode = oct(self.kubeconfig.stat().st_mode & 0o777) if self.kubeconfig else "?"
        rows += [{"what": "kubeconfig", "value": f"{self.kubeconfig} (mode {mode}; outside the repository)"},
                 {"what": "context", "value": f"{self.context} → {self.server}"},
                 {"what": "CA", "value": f"from {self.ca_source}"},
                 {"what": "token", "value": f"bound, from TokenRequest, expires {self.expires_at} (never shown)"}]
        return Table(rows, ["what", "value"])

    def text(self) -> str:
        facts = self.facts()
        return "\n".join([facts if isinstance(facts, str) else facts.text(), "",
                          self.claims.text(times=self.live)])

    def _repr_html_(self) -> str:
        return html_block(self.facts(), self.claims.view(times=self.live))

    def kubeconfig_text(self) -> str:
        """The kubeconfig as it may be shown: the token and long certificates redacted."""
        if self.kubeconfig is None:
            placeholder = "<a bound token from TokenRequest, never shown>"
            text = redact_kubeconfig(kubeconfig_dict(
                server="https://<the API server>", ca_pem=None, token=placeholder,
                context=f"kslab-{self.namespace}-{self.name}", cluster="<cluster>",
                user=f"{self.name}@{self.namespace}", namespace=self.namespace))
            return text.replace(redact_token(placeholder), placeholder)
        return redact_kubeconfig(self.kubeconfig.read_text(encoding="utf-8"))


def cluster_ca(lab: Lab, namespace: str) -> tuple[bytes | None, str]:
    """The CA to trust for the API server, and where it came from.

    First the admin kubeconfig's cluster entry (what this client already trusts); else the
    ``kube-root-ca.crt`` ConfigMap that the controller-manager publishes in every namespace;
    ``None`` when the kubeconfig relies on the system's trust store.
    """
    ca = lab.connection.ca_pem
    if ca:
        return ca, f"the admin kubeconfig's cluster entry (context {lab.context})"
    try:
        cm = lab.read_config_map(namespace, "kube-root-ca.crt")
        if cm.data and cm.data.get("ca.crt"):
            return cm.data["ca.crt"].encode(), f"ConfigMap {namespace}/kube-root-ca.crt"
    except ApiError as err:  # absent without a controller-manager, or not ours to read: fall through
        if err.status not in (403, 404):
            raise
    return None, "the system trust store (the admin kubeconfig names no CA)"


def kubeconfig_dict(*, server: str, ca_pem: bytes | None, token: str, context: str, cluster: str,
                     user: str, namespace: str, insecure: bool = False,
                     tls_server_name: str | None = None) -> dict[str, Any]:
    """A kubeconfig (as a dict) for one bearer-token identity: one cluster, one user, one context.

    >>> doc = kubeconfig_dict(server="https://127.0.0.1:6443", ca_pem=None, token="t", context="c",
    ...                       cluster="k", user="u", namespace="ns")
    >>> doc["contexts"][0]["context"]
    {'cluster': 'k', 'user': 'u', 'namespace': 'ns'}
    """
    cluster_entry: dict[str, Any] = {"server": server}
    if ca_pem:
        cluster_entry["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    if insecure:
        cluster_entry["insecure-skip-tls-verify"] = True
    if tls_server_name:
        cluster_entry["tls-server-name"] = tls_server_name
    return {"apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": cluster, "cluster": cluster_entry}],
            "users": [{"name": user, "user": {"token": str(token)}}],
            "contexts": [{"name": context, "context": {"cluster": cluster, "user": user,
                                                       "namespace": namespace}}],
            "current-context": context}


def kubeconfig_path(context: str | None, namespace: str, name: str) -> Path:
    """Where the service account's kubeconfig goes: kslab's state directory (absolute), never a git work
    tree — a relative ``KSLAB_HOME`` run from inside the repository is refused here, before any token exists."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", context or "cluster")
    return refuse_inside_repository(settings.state_dir() / "kubeconfigs" / f"{safe}--{namespace}--{name}.yaml")





def connect_as(kubeconfig: Path, context: str, *, describe: str = "", lab_context: bool = False) -> Lab:
    """A Lab whose client uses this kubeconfig's credentials: not a lab context (read and probe only)
    unless ``lab_context`` opts in, e.g. to send what the API server should refuse and see it refuse."""
    from kubernetes import client, config

    cfg = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), context=context, client_configuration=cfg,
                            persist_config=False)
    cfg.retries = 1
    api = with_default_timeout(client.ApiClient(cfg), connect=PROBE_TIMEOUT, read=settings.request_timeout())
    return Lab(ModeChoice("live", context, lab_context, describe or f"with the credentials of {kubeconfig}"),
               api_client=api)


def service_account_identity(lab: Lab, namespace: str | None = None,
                             name: str = scenario.SERVICE_ACCOUNT, *,
                             expiration_seconds: int = DEFAULT_EXPIRY,
                             audiences: list[str] | None = None, path: Path | None = None) -> Identity:
    """A kubeconfig for a service account (in the lab's namespace), with a bound token from TokenRequest (live).

    Offline it returns the identity with the claims such a token would carry, marked predicted.
    """
    namespace = namespace or lab_namespace(lab)
    if not lab.live:
        return Identity(namespace, name, expected_claims(namespace, name, expiration_seconds=expiration_seconds),
                        live=False, reason=lab.reason)
    # Where the token will live is settled before a token exists: never inside a git work tree.
    target = refuse_inside_repository(path) if path is not None else kubeconfig_path(lab.context, namespace, name)
    token, expires = lab.create_token(name, namespace, expiration_seconds=expiration_seconds,
                                      audiences=audiences)
    claims = decode_claims(token)
    ca_pem, ca_source = cluster_ca(lab, namespace)
    conn = lab.connection
    context = f"kslab-{namespace}-{name}"
    doc = kubeconfig_dict(server=conn.server, ca_pem=ca_pem, token=token, context=context,
                           cluster=lab.context or "cluster", user=f"{name}@{namespace}",
                           namespace=namespace, insecure=conn.insecure, tls_server_name=conn.tls_server_name)
    import yaml

    write_private(target, yaml.safe_dump(doc, sort_keys=False))
    del doc, token  # the token lives on only in the 0600 file
    client = connect_as(target, context, describe=f"as {service_account_user(namespace, name)} "
                                                   f"(bound token, kubeconfig {target})")
    return Identity(namespace, name, claims, True, target, context, conn.server, ca_source, expires, client)


# ---- asking the API server ----------------------------------------------------------------------
def review(lab: Lab, request: Request, user: UserInfo | None = None) -> Decision:
    """The API server's own answer (SelfSubjectAccessReview, or SubjectAccessReview for ``user``)."""
    allowed, reason = lab.access_review(
        request.verb, request.resource, group=request.group, namespace=request.namespace,
        name=request.name, subresource=request.subresource, path=request.path or "",
        user=user.name if user else None, groups=list(user.groups) if user else None)
    if user is None:
        who = whoami(lab) or UserInfo("(you: the kubeconfig's identity)")
        how = "SelfSubjectAccessReview"
    else:
        who, how = user, "SubjectAccessReview"
    lines = [reason or ("allowed" if allowed else "the API server's authorizers gave no reason")]
    if user is not None and user.assumed:
        lines.append(f"asked with groups {', '.join(user.groups)} — those kubectl --as would get")
    return Decision(allowed, request, who, reason, None, tuple(lines),
                    source=f"observed ({how} on context {lab.context})")


def whoami(lab: Lab) -> UserInfo | None:
    """Who the API server thinks this client is (SelfSubjectReview, Kubernetes 1.28+), if it can say."""
    return lab.self_subject_review()


def observed_matrix(lab: Lab, *, namespace: str, user: UserInfo | None = None,
                    verbs: list[str] | tuple[str, ...] = DEFAULT_VERBS,
                    resources: list[str] | tuple[str, ...] = DEFAULT_RESOURCES,
                    subject: str = "") -> AccessMatrix:
    """The access matrix as the API server answers it, one access review per cell.

    Without ``user`` each cell is a SelfSubjectAccessReview as the client's own identity
    (``subject`` names it in the title); with ``user`` a SubjectAccessReview about that user.
    """
    def ask(request: Request) -> tuple[bool, str]:
        return lab.access_review(request.verb, request.resource, group=request.group,
                                 namespace=request.namespace, subresource=request.subresource,
                                 user=user.name if user else None,
                                 groups=list(user.groups) if user else None)

    how = "SubjectAccessReview" if user else "SelfSubjectAccessReview"
    if not subject:
        who = user or whoami(lab)
        subject = who.describe() if who else "you (the kubeconfig's identity)"
    return build_matrix(ask, subject=subject, namespace=namespace, verbs=verbs, resources=resources,
                        source=f"observed ({how}, context {lab.context})")


def access_matrix(identity: Identity, policy: Policy | None = None, *,
                  verbs: list[str] | tuple[str, ...] = DEFAULT_VERBS,
                  resources: list[str] | tuple[str, ...] = DEFAULT_RESOURCES) -> Any:
    """Predicted next to observed (live: SelfSubjectAccessReview *as* the service account)."""
    from kslab.rbac.matrix_view import SideBySide

    policy = policy or scenario.policy(identity.namespace, identity.name)
    predicted = predict_matrix(policy, identity.user, namespace=identity.namespace, verbs=verbs,
                               resources=resources)
    if identity.client is None:
        return SideBySide(predicted, None, why_no_observed=f"offline: {identity.reason}")
    observed = observed_matrix(identity.client, namespace=identity.namespace, verbs=verbs,
                               resources=resources, subject=identity.user.describe())
    return SideBySide(predicted, observed)


def live_policy(lab: Lab) -> Policy:
    """The cluster's Roles, ClusterRoles and bindings, read now, as a :class:`Policy` to evaluate.

    An identity that may not list them cluster-wide (a classroom student) gets what it may read — the
    Roles and RoleBindings of its kubeconfig's namespace — and the policy's ``scope`` says so, so
    every answer drawn from it is labelled.
    """
    lab.require_live("reading the cluster's RBAC objects")
    # (kind, list it everywhere, list it in one namespace — None for cluster-scoped kinds)
    listings = [("Role", lab.list_roles, lab.list_roles),
                ("ClusterRole", lab.list_cluster_roles, None),
                ("RoleBinding", lab.list_role_bindings, lab.list_role_bindings),
                ("ClusterRoleBinding", lab.list_cluster_role_bindings, None)]
    objs: list[dict[str, Any]] = []
    narrowed: list[str] = []  # kinds read only in the kubeconfig's namespace
    unread: list[str] = []  # kinds this identity may not list at all
    for kind, everywhere, in_namespace in listings:
        items = _list_forbidden_as_none(everywhere, f"listing {kind}s")
        if items is None and in_namespace is not None and lab.namespace:
            items = _list_forbidden_as_none(functools.partial(in_namespace, lab.namespace),
                                            f"listing {kind}s in {lab.namespace}")
            if items is not None:
                narrowed.append(f"{kind}s")
        if items is None:
            unread.append(f"{kind}s")
            continue
        for item in items:
            obj = lab.serialize(item)
            obj.update({"kind": kind, "apiVersion": "rbac.authorization.k8s.io/v1"})
            objs.append(obj)
    # Stored objects were validated by the server and are already aggregated by its controller.
    policy = Policy.from_objects(objs, validate=False, aggregate_roles=False)
    if narrowed or unread:
        _label_partial(policy, lab.namespace, narrowed, unread)
    return policy


def _list_forbidden_as_none(list_fn: Callable[[], list[Any]], doing: str) -> list[Any] | None:
    """The listed items, or None when the API server forbids the listing (403)."""
    try:
        with api_call(doing):
            return list_fn()
    except ApiError as err:
        if err.status == 403:
            return None
        raise


def _label_partial(policy: Policy, namespace: str | None, narrowed: list[str], unread: list[str]) -> None:
    """Say which RBAC objects a policy lacks, and drop "grants nothing" notes that only mean "not readable"."""
    parts = []
    if narrowed:
        parts.append(f"the {' and '.join(narrowed)} of namespace {namespace} (your identity may not list "
                     "them cluster-wide)")
    if unread:
        parts.append(f"no {' or '.join(unread)} (not readable), so whatever those grant is missing here")
    hidden = [b for b in policy.bindings
              if (b.role_ref.kind == "ClusterRole" and "ClusterRoles" in unread) or
              (b.role_ref.kind == "Role" and "Roles" in unread)]
    policy.notes = [n for n in policy.notes if not any(n.startswith(f"{b.describe()} grants nothing")
                                                       for b in hidden)]
    hints = [f"{b.describe()} refers to a role you may not read" for b in hidden]
    policy.scope = "Only what your identity may read: " + "; ".join(parts) + "." + "".join(f" {h}." for h in hints)


# ---- real requests ------------------------------------------------------------------------------
def _outcome_style(value: object) -> str:
    """Green for an allowed request, red for a forbidden one (the word says which)."""
    text = str(value)
    if text.startswith(("allowed", "ok", "created")):
        return f"color:{GOOD}"
    return f"color:{BAD}" if "forbidden" in text or "403" in text else ""

@dataclass(frozen=True)
class ProbeResult:
    action: str
    call: str
    predicted: bool
    status: int | None = None  # None: not sent (offline)
    message: str = ""


@dataclass(repr=False)
class ProbeReport(TextView):
    """Real requests as the service account: what the evaluator predicted, what the server did."""

    identity: str
    results: list[ProbeResult]
    live: bool
    reason: str = ""

    def rows(self) -> list[dict[str, str]]:
        return [{"action": r.action, "request": r.call,
                 "predicted": "allowed" if r.predicted else "forbidden",
                 "observed": "— (offline)" if r.status is None else f"{outcome(r.status)} ({r.status})"}
                for r in self.results]

    def _head(self) -> str:
        head = f"Requests as {self.identity}"
        return head + ("" if self.live else f" — offline ({self.reason}): predicted only, nothing was sent")

    def table(self) -> Table:
        """The requests: what each does, the call, the predicted and the observed outcome."""
        return Table(self.rows(), ["action", "request", "predicted", "observed"],
                     wrap={"action": 34, "request": 46},
                     style={"predicted": _outcome_style, "observed": _outcome_style})

    def _said(self) -> list[str]:
        said = [f"  {r.action}: {r.message}" for r in self.results if r.message]
        return ["The API server said:", *said] if said else []

    def text(self) -> str:
        return "\n".join([self._head(), self.table().text(), *self._said()])

    def _repr_html_(self) -> str:
        return html_block(self._head(), self.table(), "\n".join(self._said()))

    def agree(self) -> bool:
        """True when every observed outcome matches the prediction (allowed vs forbidden)."""
        return all(r.status is None or (r.status != 403) == r.predicted for r in self.results)


def try_requests(identity: Identity, policy: Policy | None = None,
                 probes: list[scenario.Probe] | None = None) -> ProbeReport:
    """Send the lab's probe requests as the identity (live); offline, predict their outcome."""
    policy = policy or scenario.policy(identity.namespace, identity.name)
    probes = probes if probes is not None else scenario.probes(identity.namespace)
    results = []
    for probe in probes:
        predicted = policy.authorize(identity.user, probe.request).allowed
        call = call_for(probe.request, body=probe.body)
        status, message = None, ""
        if identity.client is not None:
            with api_call(f"{call.describe()} as {identity.user.name}"):
                status, data = identity.client.raw(call.path, method=call.method, query=call.query,
                                                   body=call.body)
            if status >= 400 and isinstance(data, dict):
                message = str(data.get("message", ""))
        results.append(ProbeResult(probe.action, call.describe(), predicted, status, message))
    return ProbeReport(identity.user.name, results, identity.live, identity.reason)


def cluster_policy(lab: Lab, fallback: Policy | None = None) -> Policy:
    """Live: every Role and binding in the cluster, read now. Offline: the lab's own objects, noted."""
    if lab.live:
        return live_policy(lab)
    policy = fallback or scenario.policy()
    policy.scope = ("offline: from the lab's own objects only; a real cluster also has its built-in "
                    "roles and bindings (cluster-admin for system:masters, the controllers' roles …)")
    return policy


# ---- the 2019 way -------------------------------------------------------------------------------
@dataclass(repr=False)
class LegacyTokenReport(TextView):
    """What happened when a legacy token Secret was created for the service account."""

    live: bool
    secret: str
    sa_secrets_field: list[str] = field(default_factory=list)
    populated: bool = False
    waited: float = 0.0
    claims: Claims | None = None
    deleted: bool = False
    reason: str = ""

    def text(self) -> str:
        if not self.live:
            return (f"offline ({self.reason}): no Secret created.\nLive, this creates a Secret of type "
                    "kubernetes.io/service-account-token annotated with the service account's name; the "
                    "token controller in kube-controller-manager fills in `token` and `ca.crt` — a token "
                    f"with issuer {LEGACY_ISSUER!r}, no audience and no expiry — and the Secret is then "
                    "deleted, which invalidates that token.")
        lines = [f"ServiceAccount .secrets: {self.sa_secrets_field or '(empty — no token Secret since 1.24)'}",
                 f"created Secret {self.secret} (type kubernetes.io/service-account-token)"]
        if self.populated and self.claims is not None:
            lines += [f"the token controller filled it in after {self.waited:.0f}s; its claims (token not shown):",
                      self.claims.text()]
        else:
            lines.append(f"not populated after {self.waited:.0f}s: the token controller runs in "
                         "kube-controller-manager, and this cluster seems to have none (or it is slow). "
                         "No token was issued.")
        lines.append("deleted the Secret again (a non-expiring token should not linger)" if self.deleted
                     else "the Secret could not be deleted; `kslab cluster clean` will remove it")
        return "\n".join(lines)


def legacy_token(lab: Lab, namespace: str | None = None, name: str = scenario.SERVICE_ACCOUNT,
                 *, wait_seconds: float = 15.0) -> LegacyTokenReport:
    """Demonstrate the 2019 way: a token Secret, filled in by the token controller (if there is one)."""
    secret = f"{name}-legacy-token"
    if not lab.live:
        return LegacyTokenReport(False, secret, reason=lab.reason)
    namespace = namespace or lab_namespace(lab)
    lab.require_lab("creating a legacy service-account token Secret")
    sa = lab.read_service_account(namespace, name)
    listed = [s.name for s in (sa.secrets or [])]
    lab.apply({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
               "metadata": {"name": secret, "namespace": namespace,
                            "annotations": {"kubernetes.io/service-account.name": name}}}, lab_id=LAB)
    report = LegacyTokenReport(True, f"{namespace}/{secret}", listed)
    start = time.monotonic()

    def token_filled_in() -> tuple[str | None, str]:
        obj = lab.read_secret(namespace, secret)
        return (obj.data or {}).get("token") or None, "no token filled in yet"

    try:
        raw = poll(token_filled_in, timeout=wait_seconds).value
        if raw:
            report.claims = decode_claims(base64.b64decode(raw).decode())
            report.populated = True
    finally:
        report.waited = time.monotonic() - start
        try:
            lab.delete_secret(namespace, secret)
            report.deleted = True
        except Exception:  # noqa: BLE001 - reported in the text; clean-up catches it later
            report.deleted = False
    return report


# ---- clean up -----------------------------------------------------------------------------------
@dataclass(repr=False)
class CleanUp(TextView):
    """What clean-up deleted in the cluster, and the kubeconfig files it removed."""

    cluster: Any
    removed: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [str(self.cluster)]
        lines += [f"removed kubeconfig {p}" for p in self.removed]
        return "\n".join(lines)


def clean_up(lab: Lab, *identities_: Identity) -> CleanUp:
    """Delete the lab's objects (label ``kslab.dev/lab=04``) and the kubeconfigs written for it.

    Deleting the service account also invalidates every bound token issued for it.
    """
    from kslab.cluster.cleanup import clean

    report = CleanUp(clean(lab, LAB))
    for ident in identities_:
        if ident.kubeconfig is not None and ident.kubeconfig.exists():
            ident.kubeconfig.unlink()
            report.removed.append(str(ident.kubeconfig))
    return report


__all__ = ["CleanUp", "Deployed", "Identity", "LegacyTokenReport", "ProbeReport", "SetUp", "access_matrix", "cluster_ca",
           "clean_up", "cluster_policy", "connect_as", "deploy_webapp", "lab_namespace", "legacy_token", "pod_token_claims",
           "live_policy", "observed_matrix", "review",
           "service_account_identity", "set_up", "try_requests", "whoami", "write_private"]
