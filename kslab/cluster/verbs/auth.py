"""Lab's verbs for identities: who am I (SelfSubjectReview), a service account's token (TokenRequest)
and may this identity do that (Self/SubjectAccessReview).
"""

from __future__ import annotations

from typing import Any

from kslab.cluster.api_errors import api_call
from kslab.cluster.lab_base import LabBase
from kslab.errors import ApiError
from kslab.rbac.model import UserInfo
from kslab.rbac.tokens import Token


class AuthVerbs(LabBase):
    """Authentication and authorization questions put to the API server."""

    def self_subject_review(self) -> UserInfo | None:
        """Who the API server thinks this Lab is (SelfSubjectReview, ``kubectl auth whoami``), or None
        when it cannot say (servers before Kubernetes 1.28)."""
        from kubernetes import client

        self.require_live("asking who this identity is")
        try:
            with api_call("SelfSubjectReview"):
                res = client.AuthenticationV1Api(self._client).create_self_subject_review(client.V1SelfSubjectReview())
                info = res.status.user_info
                return UserInfo(info.username or "", tuple(info.groups or ()))
        except ApiError:  # older servers lack the API; the caller says "you"
            return None

    def create_token(self, service_account: str, namespace: str, *, expiration_seconds: int = 3600,
                     audiences: list[str] | None = None) -> tuple[Token, str]:
        """A bound token for a service account (TokenRequest); returns ``(token, expires_at)``."""
        from kubernetes import client

        self.require_lab("requesting a service account token")
        spec = client.V1TokenRequestSpec(audiences=audiences or [],
                                          expiration_seconds=expiration_seconds)
        with api_call(f"TokenRequest for {namespace}/{service_account}"):
            res = self._core.create_namespaced_service_account_token(
                service_account, namespace, client.AuthenticationV1TokenRequest(spec=spec))
        return Token(res.status.token), str(res.status.expiration_timestamp)

    def access_review(self, verb: str, resource: str = "", *, group: str = "", namespace: str = "",
                      name: str = "", subresource: str = "", path: str = "", user: str | None = None,
                      groups: list[str] | None = None) -> tuple[bool, str]:
        """Ask the API server's authorizer: may this identity do this? Returns ``(allowed, reason)``.

        With ``user``/``groups`` it is a SubjectAccessReview about someone else; without, a
        SelfSubjectAccessReview about the identity this Lab connects as.
        """
        from kubernetes import client

        self.require_live("an access review")
        if path:
            attrs: dict[str, Any] = {"non_resource_attributes": client.V1NonResourceAttributes(
                path=path, verb=verb)}
        else:
            attrs = {"resource_attributes": client.V1ResourceAttributes(
                verb=verb, group=group, resource=resource, subresource=subresource or None,
                name=name or None, namespace=namespace or None)}
        authz = client.AuthorizationV1Api(self._client)
        with api_call("access review"):
            if user is None and not groups:
                res = authz.create_self_subject_access_review(
                    client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(**attrs)))
            else:
                res = authz.create_subject_access_review(client.V1SubjectAccessReview(
                    spec=client.V1SubjectAccessReviewSpec(user=user, groups=groups, **attrs)))
        return bool(res.status.allowed), str(res.status.reason or res.status.evaluation_error or "")
