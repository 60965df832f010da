"""Token claims are decoded for the lesson; tokens themselves never appear in any output."""

from __future__ import annotations

import base64
import json

import pytest

from kslab.errors import InputError
from kslab.rbac.tokens import decode_claims, expected_claims, make_unsigned_example, redact_kubeconfig, \
    redact_token


def jwt(payload: dict, header: dict | None = None, signature: str = "c2lnbmF0dXJlLXRoYXQtbXVzdC1zdGF5LWhpZGRlbg") -> str:
    def enc(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{enc(header or {'alg': 'RS256', 'kid': 'k1'})}.{enc(payload)}.{signature}"


BOUND = jwt({"iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:web:app",
             "aud": ["https://kubernetes.default.svc.cluster.local"], "iat": 1700000000, "nbf": 1700000000,
             "exp": 1700003600, "kubernetes.io": {"namespace": "web", "serviceaccount": {"name": "app", "uid": "u1"},
                                                   "pod": {"name": "web-1", "uid": "p1"}, "node": {"name": "n1"}}})
LEGACY = jwt({"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:web:app",
              "kubernetes.io/serviceaccount/namespace": "web",
              "kubernetes.io/serviceaccount/secret.name": "app-token",
              "kubernetes.io/serviceaccount/service-account.name": "app",
              "kubernetes.io/serviceaccount/service-account.uid": "u1"})


def test_bound_token_claims() -> None:
    claims = decode_claims(BOUND)
    assert (claims.issuer, claims.subject, claims.namespace, claims.service_account) == (
        "https://kubernetes.default.svc.cluster.local", "system:serviceaccount:web:app", "web", "app")
    assert claims.audiences == ("https://kubernetes.default.svc.cluster.local",)
    assert claims.lifetime is not None and claims.lifetime.total_seconds() == 3600
    assert not claims.legacy and "pod web-1" in claims.bound_to and "node n1" in claims.bound_to
    assert (claims.algorithm, claims.key_id) == ("RS256", "k1")


def test_legacy_token_claims() -> None:
    claims = decode_claims(LEGACY)
    assert claims.legacy and claims.expires_at is None and claims.audiences == ()
    assert claims.bound_to == ("secret app-token",) and claims.service_account == "app"
    assert "never" in claims.text()


@pytest.mark.parametrize("token", [BOUND, LEGACY])
def test_no_output_shows_the_token_or_its_signature(token: str) -> None:
    claims = decode_claims(token)
    shown = claims.text() + repr(claims) + redact_token(token)
    shown += redact_kubeconfig({"users": [{"name": "u", "user": {"token": token}}]})
    for secret_part in (token, token.split(".")[2], token.split(".")[1]):
        assert secret_part not in shown


def test_predicted_claims_are_labelled_and_have_no_times() -> None:
    claims = expected_claims("web", "app", expiration_seconds=600)
    text = repr(claims)
    assert "predicted" in text and "600 s after issue" in text
    assert "2000-" not in text  # the placeholder issue time is never shown


@pytest.mark.parametrize("bad", ["not-a-token", "a.b", "!!!.###.x", make_unsigned_example({})[:-9] + "x.y"])
def test_not_a_jwt_is_input_error(bad: str) -> None:
    with pytest.raises(InputError):
        decode_claims(bad)


def test_redact_kubeconfig_hides_every_credential() -> None:
    config = {
        "clusters": [{"name": "c", "cluster": {"server": "https://x", "certificate-authority-data": "Q" * 400}}],
        "users": [{"name": "cert", "user": {"client-certificate-data": "C" * 300, "client-key-data": "KEY" * 50}},
                  {"name": "pw", "user": {"username": "admin", "password": "hunter2"}},
                  {"name": "t", "user": {"token": "secret-token-value-123456"}},
                  {"name": "oidc", "user": {"auth-provider": {"name": "oidc", "config": {"id-token": "zzz"}}}}],
    }
    text = redact_kubeconfig(config)
    for secret in ("KEYKEY", "hunter2", "secret-token-value-123456", "zzz", "Q" * 20, "C" * 20):
        assert secret not in text
    assert "server: https://x" in text and "username: admin" in text and "[redacted]" in text
    assert config["users"][2]["user"]["token"] == "secret-token-value-123456"  # input untouched


def test_an_extended_pod_token_shows_its_warnafter_and_the_prediction_matches_the_default() -> None:
    """The API server's default (--service-account-extend-token-expiration=true) turns the kubelet's
    3607 s request into one year plus ``warnafter``; the offline prediction says the same."""
    from kslab.rbac.tokens import EXTENDED_SECONDS, KUBELET_REQUESTED_SECONDS, expected_pod_claims

    issued = 1700000000
    extended = jwt({"iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:web:app",
                    "aud": ["https://kubernetes.default.svc.cluster.local"], "iat": issued,
                    "exp": issued + EXTENDED_SECONDS,
                    "kubernetes.io": {"namespace": "web", "serviceaccount": {"name": "app", "uid": "u1"},
                                      "pod": {"name": "web-1", "uid": "p1"},
                                      "warnafter": issued + KUBELET_REQUESTED_SECONDS}})
    claims = decode_claims(extended)
    rows = {r["claim"]: r["value"] for r in claims.rows()}
    assert rows["lifetime"].startswith("31536000 s (365 days)") and rows["warnafter"].startswith("3607 s")
    predicted = expected_pod_claims("web", "app")
    assert predicted.lifetime == claims.lifetime and predicted.warn_after - predicted.issued_at == \
        claims.warn_after - claims.issued_at
    assert "warnafter" not in {r["claim"] for r in decode_claims(BOUND).rows()}
    assert expected_pod_claims("web", "app", extend=False).lifetime.total_seconds() == 3607
