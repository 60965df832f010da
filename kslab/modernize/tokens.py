"""Service-account token Secrets and kubeconfigs built from them -> TokenRequest.

In 2019 every service account got a ``kubernetes.io/service-account-token`` Secret, and the
workshop copied its token into a kubeconfig. Such a token never expires. Today ``kubectl create
token SA`` asks the TokenRequest API for one that expires (and is bound to an audience).
kslab never prints a token it finds; it only says where one is.

>>> from kslab.modernize.context import DocContext
>>> ctx = DocContext({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
...                   "metadata": {"name": "t", "namespace": "lab",
...                                "annotations": {"kubernetes.io/service-account.name": "web"}}}, target=36)
>>> service_account_token_secret(ctx)
>>> ctx.findings[0].replacement
'kubectl create token web -n lab --duration=1h'
"""

from __future__ import annotations

from collections.abc import Mapping

from kslab.modernize.context import DocContext
from kslab.modernize.finding import RULES

SA_TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"


def token_command(account: str, namespace: str = "") -> str:
    """The TokenRequest command for a service account."""
    return f"kubectl create token {account or 'SERVICE_ACCOUNT'}" + (f" -n {namespace}" if namespace else "") \
        + " --duration=1h"


def service_account_token_secret(ctx: DocContext) -> None:
    """A token Secret is listed (not rewritten): what replaces it is a command, not a manifest."""
    if ctx.kind != "Secret" or ctx.group or str(ctx.obj.get("type") or "") != SA_TOKEN_TYPE:
        return
    meta = ctx.obj.get("metadata") if isinstance(ctx.obj.get("metadata"), Mapping) else {}
    account = str(((meta or {}).get("annotations") or {}).get(SA_NAME_ANNOTATION) or "")
    ctx.report(RULES["sa-token-secret"], token_command(account, ctx.namespace), automatic=False,
               detail=f"Secret {ctx.name} holds a token for service account {account or '(not named)'} that "
                      "never expires; ask for a short-lived one with TokenRequest instead and delete this Secret "
                      "once nothing reads it.")


def kubeconfig_static_token(ctx: DocContext) -> None:
    """A kubeconfig (kind: Config) with a static token: kslab never writes it anywhere."""
    if ctx.kind != "Config" or not isinstance(ctx.obj.get("users"), list):
        return
    for user in ctx.obj["users"]:
        if isinstance(user, Mapping) and isinstance(user.get("user"), Mapping) and user["user"].get("token"):
            ctx.report(RULES["kubeconfig-static-token"],
                       "kubectl create token SA -n NS --duration=1h, then kubectl config set-credentials "
                       "NAME --token=\"$TOKEN\" into a 0600 file outside any git work tree",
                       automatic=False,
                       detail=f"kubeconfig user {user.get('name', '?')!s} carries a static bearer token (not "
                              "shown); if it came from a token Secret it never expires.")
    ctx.drop = True  # a kubeconfig holds credentials: kslab does not copy it into DIR


RULE_FUNCTIONS = (service_account_token_secret, kubeconfig_static_token)
