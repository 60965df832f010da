"""What a service-account token says about its bearer — without ever showing the token.

A Kubernetes service-account token is a JWT: ``header.claims.signature``, each part base64url.
The claims are the lesson: who issued it (``iss``), whom it identifies (``sub``:
``system:serviceaccount:<ns>:<name>``), for whom it is meant (``aud``), and until when (``exp``).

* A **bound token** (TokenRequest API, and what kubelets mount into pods since 1.21) expires, is
  meant for an audience, and is bound to an object (the service account; for pods also the pod and
  node) — deleting that object invalidates it.
* A **legacy token** (a ``kubernetes.io/service-account-token`` Secret, the 2019 way) has no expiry
  and no audience; it is valid as long as the Secret exists, for anyone who copies it.

This module decodes claims (it does not verify signatures — the API server does that) and redacts
tokens and kubeconfigs for display. Nothing here prints a token or its signature.

>>> t = make_unsigned_example({"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:web:app"})
>>> decode_claims(t).subject
'system:serviceaccount:web:app'
>>> redact_token(t)
'eyJhbG…[redacted, 138 chars]'
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kslab.errors import InputError
from kslab.views.tables import Table

LEGACY_ISSUER = "kubernetes/serviceaccount"
#: Keys of a kubeconfig's ``users[].user`` entries that are secrets.
SECRET_USER_KEYS = ("token", "client-key-data", "password", "client-key", "tokenFile")


def _b64url_json(part: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"the token's {what} is not base64url-encoded JSON",
                         hint="is this a JWT (three parts separated by dots)?") from None
    if not isinstance(data, dict):
        raise InputError(f"the token's {what} is not a JSON object", hint="is this a JWT?")
    return data


#: The pod token the kubelet asks for (``expirationSeconds``): one hour and seven seconds, a value that
#: marks it as injected. Upstream: ``WarnOnlyBoundTokenExpirationSeconds`` in pkg/serviceaccount/claims.go.
KUBELET_REQUESTED_SECONDS = 60 * 60 + 7
#: What the API server makes of such a request while ``--service-account-extend-token-expiration`` is
#: true (its default; kubeadm and kind keep it; CIS 1.2.30 asks for false): one year, with a
#: ``warnafter`` claim at the requested time. Upstream: ``ExpirationExtensionSeconds``, same file.
EXTENDED_SECONDS = 24 * 365 * 60 * 60


def _duration(delta: dt.timedelta) -> str:
    """``3607 s``, or ``31536000 s (365 days)`` when it is days long.

    >>> _duration(dt.timedelta(seconds=3607)), _duration(dt.timedelta(days=365))
    ('3607 s', '31536000 s (365 days)')
    """
    seconds = delta.total_seconds()
    days = seconds / 86400
    return f"{seconds:.0f} s" + (f" ({days:g} days)" if days >= 2 else "")


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
    return None


@dataclass(frozen=True)
class Claims:
    """The decoded (unverified) header and claims of a service-account token."""

    issuer: str
    subject: str
    audiences: tuple[str, ...] = ()
    expires_at: dt.datetime | None = None
    issued_at: dt.datetime | None = None
    not_before: dt.datetime | None = None
    namespace: str = ""
    service_account: str = ""
    service_account_uid: str = ""
    bound_to: tuple[str, ...] = ()  # "pod web-1 (uid)", "node n1", "secret s"
    algorithm: str = ""
    key_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    predicted: bool = False
    #: ``kubernetes.io.warnafter``: set when the API server extended the token's lifetime (see
    #: :data:`EXTENDED_SECONDS`); a client should have refreshed it by then.
    warn_after: dt.datetime | None = None

    @property
    def legacy(self) -> bool:
        """True for a Secret-based token (the 2019 kind): issuer ``kubernetes/serviceaccount``."""
        return self.issuer == LEGACY_ISSUER

    @property
    def lifetime(self) -> dt.timedelta | None:
        if self.expires_at is None or self.issued_at is None:
            return None
        return self.expires_at - self.issued_at

    def rows(self, *, times: bool = True) -> list[dict[str, str]]:
        """The claims as (claim, value, meaning) rows. ``times=False`` leaves out absolute times."""
        life = self.lifetime
        expiry = ("never — valid until its Secret is deleted" if self.expires_at is None
                  else (f"{_duration(life)} after issue" if life else "set"))
        rows = [
            ("iss", self.issuer, "who issued it" + (" (legacy token controller)" if self.legacy else "")),
            ("sub", self.subject, "the user name the API server sees"),
            ("aud", ", ".join(self.audiences) or "(none)", "who should accept it"),
            ("lifetime", expiry, "how long it works"),
        ]
        if self.warn_after is not None and self.issued_at is not None:
            rows.append(("warnafter", f"{_duration(self.warn_after - self.issued_at)} after issue",
                         "extended by the API server: it logs use after this"))
        if times and self.issued_at is not None:
            rows.append(("iat", self.issued_at.isoformat(), "issued at (UTC)"))
        if times and self.expires_at is not None:
            rows.append(("exp", self.expires_at.isoformat(), "expires at (UTC)"))
        rows += [
            ("namespace", self.namespace, "kubernetes.io claim"),
            ("serviceaccount", self.service_account, "kubernetes.io claim"),
            ("bound to", ", ".join(self.bound_to) or "(nothing)", "deleting that invalidates it"),
            ("alg / kid", f"{self.algorithm} / {self.key_id or '-'}", "signature algorithm and key id"),
        ]
        return [{"claim": c, "value": v, "meaning": m} for c, v, m in rows]

    def view(self, *, times: bool = True) -> Table:
        """The claims as a :class:`~kslab.views.tables.Table` (HTML in a notebook, text elsewhere),
        titled with what kind of token this is; ``times``: with the issue and expiry instants."""
        kind = "legacy (Secret-based)" if self.legacy else "bound (TokenRequest)"
        head = f"Token claims — {kind}; decoded, not verified; the token itself is not shown"
        if self.predicted:
            head += " [predicted: the claims the API server puts in such a token]"
        return Table(self.rows(times=times), ["claim", "value", "meaning"], title=head,
                     abbreviate={"value": 80})

    def text(self, *, times: bool = True) -> str:
        return self.view(times=times).text()

    def __repr__(self) -> str:
        return self.text(times=not self.predicted)

    def _repr_html_(self) -> str:
        return self.view(times=not self.predicted).html()


def claims_from_payload(header: Mapping[str, Any], payload: Mapping[str, Any], *,
                        predicted: bool = False) -> Claims:
    """Build :class:`Claims` from a JWT's header and payload (both plain dicts)."""
    aud = payload.get("aud") or ()
    audiences = (aud,) if isinstance(aud, str) else tuple(str(a) for a in aud)
    k8s = payload.get("kubernetes.io") or {}
    bound = []
    if k8s:  # bound token: nested claims
        sa = k8s.get("serviceaccount") or {}
        namespace, name, uid = k8s.get("namespace", ""), sa.get("name", ""), sa.get("uid", "")
        for key in ("pod", "secret", "node"):
            obj = k8s.get(key)
            if isinstance(obj, Mapping):
                bound.append(f"{key} {obj.get('name', '')}")
        bound.append(f"serviceaccount {name}")
    else:  # legacy token: flat claims
        prefix = "kubernetes.io/serviceaccount/"
        namespace = payload.get(prefix + "namespace", "")
        name = payload.get(prefix + "service-account.name", "")
        uid = payload.get(prefix + "service-account.uid", "")
        if payload.get(prefix + "secret.name"):
            bound.append(f"secret {payload[prefix + 'secret.name']}")
    return Claims(
        issuer=str(payload.get("iss", "")), subject=str(payload.get("sub", "")), audiences=audiences,
        expires_at=_time(payload.get("exp")), issued_at=_time(payload.get("iat")),
        not_before=_time(payload.get("nbf")), namespace=str(namespace), service_account=str(name),
        service_account_uid=str(uid), bound_to=tuple(bound), algorithm=str(header.get("alg", "")),
        key_id=str(header.get("kid", "")), raw=dict(payload), predicted=predicted,
        warn_after=_time(k8s.get("warnafter")) if k8s else None)


def decode_claims(token: str) -> Claims:
    """Decode a JWT's header and claims (no signature check). Raises :class:`InputError` if it is not one."""
    parts = str(token).strip().split(".")
    if len(parts) != 3:
        raise InputError("not a JWT: expected three dot-separated parts",
                         hint="pass the bearer token, not a kubeconfig or a Secret")
    return claims_from_payload(_b64url_json(parts[0], "header"), _b64url_json(parts[1], "claims"))


def expected_pod_claims(namespace: str, service_account: str, *, extend: bool = True) -> Claims:
    """The claims of the token a kubelet mounts into a pod (predicted). The kubelet asks for
    :data:`KUBELET_REQUESTED_SECONDS`; with ``--service-account-extend-token-expiration`` on (``extend``,
    the API server's default) the token is valid :data:`EXTENDED_SECONDS` and carries ``warnafter``.

    >>> expected_pod_claims("ns", "sa").lifetime.days, expected_pod_claims("ns", "sa", extend=False).lifetime
    (365, datetime.timedelta(seconds=3607))
    """
    base = expected_claims(namespace, service_account,
                           expiration_seconds=EXTENDED_SECONDS if extend else KUBELET_REQUESTED_SECONDS)
    if not extend or base.issued_at is None:
        return base
    from dataclasses import replace  # noqa: PLC0415

    return replace(base, warn_after=base.issued_at + dt.timedelta(seconds=KUBELET_REQUESTED_SECONDS))


def expected_claims(namespace: str, service_account: str, *, expiration_seconds: int = 3600,
                    audiences: tuple[str, ...] = ("https://kubernetes.default.svc.cluster.local",),
                    issuer: str = "https://kubernetes.default.svc.cluster.local") -> Claims:
    """The claims a TokenRequest token would carry (offline: a prediction, labelled as such).

    Issuer and audience are the API server's ``--service-account-issuer`` / ``--api-audiences``;
    kubeadm and kind default both to ``https://kubernetes.default.svc.cluster.local``.
    """
    issued = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # placeholder: only the lifetime is shown
    payload = {"iss": issuer, "sub": f"system:serviceaccount:{namespace}:{service_account}",
               "aud": list(audiences), "iat": int(issued.timestamp()),
               "exp": int(issued.timestamp()) + expiration_seconds,
               "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": service_account,
                                                                            "uid": "(assigned by the server)"}}}
    return claims_from_payload({"alg": "RS256"}, payload, predicted=True)


class Token(str):
    """A bearer token that never shows itself: ``repr``/display print a redacted form.

    >>> t = Token("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
    >>> t
    Token(eyJhbG…[redacted, 49 chars])
    """

    def __repr__(self) -> str:
        return f"Token({self[:6]}…[redacted, {len(self)} chars])"

    def _repr_html_(self) -> str:
        return html.escape(repr(self))


def redact_token(token: str) -> str:
    """A token as it may be shown: its first six characters and its length.

    >>> redact_token("abcdefghijklmnop")
    'abcdef…[redacted, 16 chars]'
    """
    return repr(Token(token))[len("Token("):-1]


def _shorten(value: str) -> str:
    return f"{value[:8]}…[{len(value)} chars]" if len(value) > 16 else value


def redact_kubeconfig(config: str | Mapping[str, Any]) -> str:
    """A kubeconfig as YAML with every credential redacted and long certificates shortened.

    >>> print(redact_kubeconfig({"users": [{"name": "sa", "user": {"token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}}]}))
    users:
    - name: sa
      user:
        token: eyJhbG…[redacted, 29 chars]
    """
    import yaml  # noqa: PLC0415

    data = yaml.safe_load(config) if isinstance(config, str) else json.loads(json.dumps(config))
    if not isinstance(data, dict):
        raise InputError("not a kubeconfig (expected a mapping)", hint="pass the file's text")
    for entry in data.get("users") or []:
        user = (entry or {}).get("user") or {}
        for key in list(user):
            if key in SECRET_USER_KEYS and isinstance(user[key], str):
                user[key] = redact_token(user[key]) if key == "token" else "[redacted]"
            elif key == "client-certificate-data" and isinstance(user[key], str):
                user[key] = _shorten(user[key])
        if isinstance(user.get("auth-provider"), dict):
            user["auth-provider"] = {"name": user["auth-provider"].get("name"), "config": "[redacted]"}
    for entry in data.get("clusters") or []:
        cluster = (entry or {}).get("cluster") or {}
        if isinstance(cluster.get("certificate-authority-data"), str):
            cluster["certificate-authority-data"] = _shorten(cluster["certificate-authority-data"])
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip("\n")


def make_unsigned_example(payload: Mapping[str, Any]) -> str:
    """A JWT-shaped string with an empty signature part, for examples and tests only.

    The API server would reject it (no signature); it exists so the decoding can be shown offline.
    """
    def enc(obj: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{enc({'alg': 'none'})}.{enc(payload)}.unsigned"
